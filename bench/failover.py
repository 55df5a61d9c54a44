"""`python -m bench failover --bookings 100`: how late meetings start when one of two workers is killed.

Two `bookflow worker` processes on PostgreSQL (a throw-away schema of 127.0.0.1:5432/test, or
``--database-url``) and a fresh Temporal dev server; a batch of meetings all starting at one moment; a kill -9
of one worker a second before they start (testkit/failover.py). Lateness is each MEETING_STARTED's recorded
time minus the start. Goal (issue 14): p99 ≤ 2 s. ``--no-kill`` gives the same run's baseline.
``survivor_cpu_s`` is the CPU the surviving worker spent from the kill until the last start; ``--explain`` adds
where the seconds went, read from the workflows' histories (timer fired, task waited, task ran, timeouts).
"""

import argparse
import asyncio
import json
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.devserver import start_quiet_dev_server
from testkit.failover import FailoverRun, Trace, kill_one_of_two, percentile, taken_over, traces
from testkit.postgres import postgres_schema_url


def percentile_ms(values: list[timedelta], q: int) -> float:
    """The q-th percentile in milliseconds."""
    return round(percentile(values, q).total_seconds() * 1000, 1)


async def database(url: str | None) -> tuple[Database, Callable[[], Awaitable[None]] | None]:
    """The bench's store, migrated before any process starts: ``url``, else a new PostgreSQL schema."""
    drop = None
    if url is None:
        url, drop = await postgres_schema_url()
    db = Database(url, TEST_SECRET_KEYS)
    await db.migrate()
    return db, drop


def explained(result: FailoverRun, found: list[Trace]) -> dict:
    """Where the seconds went, from the histories: how late the timers fired, how long the workflow tasks that
    handled them waited to start and then ran, how many waited out a dead worker's sticky queue (or a task
    started on it), and the five latest."""

    def ms(span: Callable[[Trace], float], q: int) -> float:
        return percentile_ms(sorted(timedelta(seconds=span(t)) for t in found), q)

    return {
        "timer_fired_p99_ms": ms(lambda t: t.fired, 99),
        "task_wait_p50_ms": ms(lambda t: t.started - t.fired, 50),
        "task_wait_p99_ms": ms(lambda t: t.started - t.fired, 99),
        "task_run_p50_ms": ms(lambda t: t.completed - t.started, 50),
        "task_run_p99_ms": ms(lambda t: t.completed - t.started, 99),
        "taken_over_from_the_killed_worker": len(taken_over(result, found)),
        "sticky_timeouts": sum(t.timeouts.count("sticky") for t in found),
        "start_to_close_timeouts": sum(t.timeouts.count("start") for t in found),
        "latest": [{"fired": t.fired, "started": t.started, "timeouts": t.timeouts} for t in found[:5]],
    }


async def run(bookings: int, kill: bool, database_url: str | None, explain: bool) -> dict:
    env = await start_quiet_dev_server()
    db, drop = await database(database_url)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            result = await kill_one_of_two(env.client, db, "bench-failover", Path(scratch), bookings, kill)
        why = explained(result, await traces(env.client, result)) if explain else {}
    finally:
        await db.dispose()
        if drop:
            await drop()
        await env.shutdown()
    late = result.lateness
    return {
        "bookings": bookings,
        "workers": 2,
        "killed": 1 if kill else 0,
        "meeting_started_exactly_once": set(result.started.values()) == {1} and len(result.started) == bookings,
        "lateness_p50_ms": percentile_ms(late, 50),
        "lateness_p99_ms": percentile_ms(late, 99),
        "lateness_max_ms": round(late[-1].total_seconds() * 1000, 1),
        "late_over_1s": sum(1 for v in late if v > timedelta(seconds=1)),
        "survivor_cpu_s": result.survivor_cpu,
        **why,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench failover")
    parser.add_argument("--bookings", type=int, default=100)
    parser.add_argument("--no-kill", action="store_true", help="Kill no worker: the baseline lateness.")
    parser.add_argument("--database-url", help="An empty database instead of a new PostgreSQL schema.")
    parser.add_argument("--explain", action="store_true", help="Add where the seconds went, from the histories.")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args.bookings, not args.no_kill, args.database_url, args.explain))))
    return 0

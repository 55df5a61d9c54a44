"""`python -m bench scale --workers 1,2 --bookings 200`: throughput of 2 API processes and N worker processes.

For each worker count: a fresh PostgreSQL schema (127.0.0.1:5432/test) on one Temporal dev server, two
`bookflow api` and N `bookflow worker` processes, an instance-wide webhook to a loopback receiver, and
``--bookings`` one-minute meetings booked over both APIs (20 requests in flight), all starting together
(testkit/cluster.py). Two figures per count, both from phases bound by processing, not by timers:

- ``bookings_per_s``: bookings ÷ (first POST → the last BOOKING_CREATED webhook received);
- ``deliveries_per_s``: MEETING_STARTED webhooks ÷ (the meetings' common start → the last one received).

Every event recorded exactly once and every webhook delivered are checked, and reported.
"""

import argparse
import asyncio
import json
import tempfile
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client

from bench.failover import database
from domain.triggers import Trigger
from testkit.cluster import LIFECYCLE, delivered, lifecycles, running_cluster, seed_cluster, subscribe
from testkit.devserver import start_quiet_dev_server
from testkit.receiver import receiving


def lead_for(bookings: int) -> timedelta:
    """Time to book the whole batch before its start, on a 2-core machine, with room."""
    return timedelta(seconds=20 + bookings * 0.3)


async def one_count(client: Client, workers: int, bookings: int) -> dict:
    db, drop = await database(None)
    try:
        await seed_cluster(db, bookings)
        with tempfile.TemporaryDirectory() as scratch:
            async with (
                receiving() as receiver,
                running_cluster(client, db, f"bench-scale-{workers}", Path(scratch), 2, workers) as cluster,
            ):
                await subscribe(cluster, receiver)
                run = await lifecycles(cluster, db, receiver, bookings, lead_for(bookings))
    finally:
        await db.dispose()
        if drop:
            await drop()
    once = all(set(run.recorded(t)) == set(run.uids) and set(run.recorded(t).values()) == {1} for t in LIFECYCLE)
    every = all(delivered(run.requests, t) >= set(run.uids) for t in LIFECYCLE)
    return {
        "workers": workers,
        "apis": 2,
        "bookings": bookings,
        "bookings_per_s": round(bookings / run.booking_seconds, 2),
        "deliveries_per_s": round(len(delivered(run.requests, Trigger.MEETING_STARTED)) / run.start_burst_seconds, 2),
        "deliveries": len(run.requests),
        "events_exactly_once": once,
        "webhooks_all_delivered": every,
    }


async def run(worker_counts: list[int], bookings: int) -> dict:
    env = await start_quiet_dev_server()
    try:
        return {"runs": [await one_count(env.client, n, bookings) for n in worker_counts]}
    finally:
        await env.shutdown()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale")
    parser.add_argument("--workers", default="1,2", help="Worker process counts to run, comma-separated.")
    parser.add_argument("--bookings", type=int, default=200)
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]
    print(json.dumps(asyncio.run(run(counts, args.bookings))))
    return 0

"""`python -m bench slots`: slots of a 30-day window for 10 round-robin hosts with 200 bookings each.

Prints one JSON line: in-process p50/p99 (stored data loaded from SQLite and slots computed, as the route
does, without HTTP), the same over HTTP (`GET /v2/slots` through the ASGI app), the booking-time check's
p50 (one exact time, all hosts, data loaded) and, apart, the engine alone on loaded data
(``engine_p50_ms``). Targets (issue 15): 20 / 60 / 50 / 10 ms. The ``*_cpu_*`` figures are the process's
CPU time for the same runs: on a shared machine they show the cost apart from waiting for a core.
"""

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from api.access_config import AccessConfig
from api.app import create_app
from api.booking_availability import verdict
from api.config import ApiConfig
from api.context import ApiContext
from availability.engine import slots
from availability.inputs import Query
from domain.config import Configuration, EventType, Host, User
from domain.schedules import Schedule, WeeklyRange
from store import availability, config
from store.db import Database
from worker.config_checks import ConfigValidators

LENGTH = 30


def _configuration(hosts: int) -> tuple[Configuration, EventType]:
    users = [
        User(id=i, name=f"Host {i}", email=f"host{i}@example.com", username=f"host{i}", time_zone="Europe/Rome")
        for i in range(1, hosts + 1)
    ]
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    schedules = [
        Schedule(
            id=u.id,
            owner_id=u.id,
            name="Working hours",
            time_zone="Europe/Rome",
            is_default=True,
            availability=[WeeklyRange(days=days, start_time="08:00", end_time="20:00")],
        )
        for u in users
    ]
    event_type = EventType(
        id=1,
        slug="intro",
        title="Intro",
        length_in_minutes=LENGTH,
        hosts=[Host(user_id=u.id) for u in users],
        scheduling_type="roundRobin",
        minimum_booking_notice=0,
    )
    return Configuration(users=users, schedules=schedules, event_types=[event_type]), event_type


async def _fill(db: Database, event_type: EventType, start: datetime, hosts: int, per_host: int) -> None:
    """``per_host`` 30-minute bookings per host at random free half hours of weekday working time."""
    rng = random.Random(15)
    half_hours = [
        start + timedelta(days=d, hours=7 + h / 2)  # 08:00-20:00 Rome is 07:00-19:00 UTC, near enough
        for d in range(30)
        if (start + timedelta(days=d)).weekday() < 5
        for h in range(24)
    ]
    async with db.transaction() as session:
        for host in range(1, hosts + 1):
            chosen = rng.sample(half_hours, per_host)
            holds = [
                availability.Hold(
                    host_id=host,
                    kind=availability.BOOKING,
                    uid=f"b{host}-{i}",
                    event_type_id=event_type.id,
                    status="ACCEPTED",
                    slot_start=t,
                    slot_end=t + timedelta(minutes=LENGTH),
                )
                for i, t in enumerate(chosen)
            ]
            await availability.add_holds(session, holds, datetime.now(UTC))


async def _timed(run: Callable[[], Awaitable[object]], rounds: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per run. CPU time (the process's, aiosqlite's thread included) is
    what the request costs here; wall time also holds whatever else the machine is running."""
    await run()  # warm caches (zone tables, statement cache)
    wall, cpu = [], []
    for _ in range(rounds):
        began, began_cpu = time.perf_counter(), time.process_time()
        await run()
        cpu.append((time.process_time() - began_cpu) * 1000)
        wall.append((time.perf_counter() - began) * 1000)
    return wall, cpu


def _p(samples: list[float], q: int) -> float:
    return round(statistics.quantiles(samples, n=100, method="inclusive")[q - 1], 2)


async def _bench(hosts: int, per_host: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        await db.migrate()
        document, event_type = _configuration(hosts)
        async with db.transaction() as session:
            await config.apply_configuration(session, document)
        start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        end = start + timedelta(days=30)
        await _fill(db, event_type, start, hosts, per_host)
        host_ids = [h.user_id for h in event_type.hosts]

        async def in_process() -> object:
            now = datetime.now(UTC)
            async with db.sessions() as session:
                loaded = await availability.load_hosts(session, event_type, host_ids, start, end, now)
            return slots(Query(event_type, loaded, start, end, now, viewer_zone="Europe/Rome"))

        access = AccessConfig(BOOKFLOW_RATE_LIMIT_PUBLIC="1000000/minute")
        ctx = ApiContext(db, None, "bench", 1, ConfigValidators(), ApiConfig(access=access))  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=create_app(ctx))
        params = {"eventTypeId": 1, "start": start.isoformat(), "end": end.isoformat(), "timeZone": "Europe/Rome"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

            async def over_http() -> object:
                response = await http.get("/v2/slots", params=params)
                assert response.status_code == 200, response.text
                return response

            found = await in_process()
            assert found, "the bench found no slots at all"
            some_slot = next(iter(found.values()))[0].astimezone(UTC)

            async def booking_check() -> object:
                async with db.sessions() as session:
                    result = await verdict(session, event_type, some_slot, LENGTH, datetime.now(UTC))
                assert result.ok
                return result

            now = datetime.now(UTC)
            async with db.sessions() as session:
                loaded = await availability.load_hosts(session, event_type, host_ids, start, end, now)
            query = Query(event_type, loaded, start, end, now, viewer_zone="Europe/Rome")

            async def engine_only() -> object:
                return slots(query)

            engine_samples, engine_cpu = await _timed(engine_only, rounds)
            in_samples, in_cpu = await _timed(in_process, rounds)
            http_samples, http_cpu = await _timed(over_http, rounds)
            check_samples, check_cpu = await _timed(booking_check, rounds)
        await db.dispose()
    return {
        "slots_p50_ms": _p(in_samples, 50),
        "slots_p99_ms": _p(in_samples, 99),
        "http_p50_ms": _p(http_samples, 50),
        "check_p50_ms": _p(check_samples, 50),
        "engine_p50_ms": _p(engine_samples, 50),
        "engine_cpu_p50_ms": _p(engine_cpu, 50),
        "slots_cpu_p50_ms": _p(in_cpu, 50),
        "slots_cpu_p99_ms": _p(in_cpu, 99),
        "http_cpu_p50_ms": _p(http_cpu, 50),
        "check_cpu_p50_ms": _p(check_cpu, 50),
        "hosts": hosts,
        "bookings_per_host": per_host,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench slots")
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--bookings", type=int, default=200, help="bookings per host in the 30-day window")
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_bench(args.hosts, args.bookings, args.rounds))))
    return 0

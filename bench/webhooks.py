"""`python -m bench webhooks --rate 20 --duration 60`: webhook delivery latency under a steady load.

Bookings are created at ``--rate`` per second for ``--duration`` seconds, each firing BOOKING_CREATED,
with two subscribers (real HTTP receivers on loopback). Latency runs from the trigger (the event's
``createdAt``, set by the booking workflow) to the receiver's arrival time. The stack is the
production composition (build_worker, one worker) on the Temporal dev server and a SQLite store, or
PostgreSQL (``--postgres``: a throw-away schema at 127.0.0.1:5432; ``--database-url``: an empty database).

The worker runs alone in its own OS process (bench.lifecycle_worker, as in bench lifecycle); the load
generator (reserving each booking and starting its workflow, as the API does) and both receivers run in
this one, so they do not compete with the worker for its GIL. ``worker_cpu_ms_per_booking`` is the worker's
CPU time (user + system, all threads, from /proc) from the first booking until the last delivery arrived,
divided by the bookings: at ``--rate`` bookings/s the worker needs ``rate * that`` ms of CPU per second, and
one process gets at most one core's worth of its Python threads (the GIL).
``--profile DIR`` samples the worker with py-spy into ``DIR/webhooks.txt`` (see bench lifecycle).
The JSON includes the 1-minute load average before and after, as the machine may be shared.
"""

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client

from bench.lifecycle import cpu_seconds, profiled, worker_process
from domain.booking import Attendee, Booking, BookingInput, BookingStatus
from domain.triggers import Trigger
from domain.webhooks import Subscription
from store import bookings
from store import webhooks as store
from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.devserver import start_quiet_dev_server
from testkit.postgres import postgres_schema_url
from testkit.receiver import Receiver, receiving
from testkit.stack import ORGANIZER, event_type, seed

QUEUE = "bench-webhooks"


async def _subscribe(db: Database, url: str) -> None:
    now = datetime.now(UTC)
    sub = Subscription(
        id=str(uuid.uuid4()), subscriber_url=url, triggers=[Trigger.BOOKING_CREATED], secret="bench-secret",
        created_at=now, updated_at=now,
    )  # fmt: skip
    async with db.transaction() as session:
        await store.save_subscription(session, sub)


async def _book(client: Client, db: Database, i: int, base: datetime) -> None:
    start = base + timedelta(minutes=2 * i)
    draft = Booking(
        id=0,
        uid=uuid.uuid4().hex,
        event_type=event_type(1),
        organizer=ORGANIZER,
        attendees=[Attendee(name="Bench Booker", email="bench@example.com")],
        start=start,
        end=start + timedelta(minutes=1),
        status=BookingStatus.ACCEPTED,
        created_at=datetime.now(UTC),
        title="bench",
        location="integrations:daily",
    )
    async with db.transaction() as session:
        booking = await bookings.reserve(session, draft)
    await client.start_workflow("BookingWorkflow", BookingInput(booking=booking), id=booking.uid, task_queue=QUEUE)


def _latencies(receivers: list[Receiver]) -> list[float]:
    found = []
    for receiver in receivers:
        for request in receiver.requests:
            created = datetime.fromisoformat(json.loads(request.body)["createdAt"].replace("Z", "+00:00"))
            found.append((request.arrived - created.timestamp()) * 1000)
    return found


async def run(
    rate: float,
    duration: float,
    database_url: str | None = None,
    postgres: bool = False,
    profile: Path | None = None,
) -> dict:
    load_before = os.getloadavg()[0]
    env = await start_quiet_dev_server()
    drop = None
    if postgres and database_url is None:
        database_url, drop = await postgres_schema_url()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(database_url or f"sqlite:///{Path(tmp) / 'bench.db'}", TEST_SECRET_KEYS)
        try:
            await db.migrate()
            await seed(db, event_type(1))
            address = env.client.service_client.config.target_host
            async with receiving() as first, receiving() as second:
                for receiver in (first, second):
                    await _subscribe(db, receiver.url)
                worker = worker_process("webhooks", address, QUEUE, Path(tmp), db.url)
                async with worker as pid, profiled(pid, profile / "webhooks.txt" if profile else None):
                    cpu = cpu_seconds(pid)
                    total = int(rate * duration)
                    base = datetime.now(UTC) + timedelta(days=1)
                    began = time.monotonic()
                    tasks = []
                    for i in range(total):
                        await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))
                        tasks.append(asyncio.create_task(_book(env.client, db, i, base)))
                    await asyncio.gather(*tasks)
                    await first.wait_for(total, timeout=120)
                    await second.wait_for(total, timeout=120)
                    elapsed = time.monotonic() - began
                    cpu = cpu_seconds(pid) - cpu
                latencies = sorted(_latencies([first, second]))
        finally:
            await db.dispose()
            if drop:
                await drop()
            await env.shutdown()
    return {
        "database": db.url.split(":", 1)[0].split("+", 1)[0],
        "deliveries_per_s": round(len(latencies) / elapsed, 2),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "deliveries": len(latencies),
        "worker_cpu_ms_per_booking": round(1000 * cpu / total, 2),
        "worker_cpu_share": round(cpu / elapsed, 3),
        "rate": rate,
        "duration_s": duration,
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench webhooks")
    parser.add_argument("--rate", type=float, default=20.0, help="Booking events per second.")
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds of sustained load.")
    parser.add_argument(
        "--database-url", help="An empty database to use instead of a fresh SQLite file (e.g. PostgreSQL)."
    )
    parser.add_argument("--postgres", action="store_true", help="Use a throw-away schema at 127.0.0.1:5432.")
    parser.add_argument("--profile", type=Path, help="Sample the worker with py-spy into DIR/webhooks.txt.")
    args = parser.parse_args(argv)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(run(args.rate, args.duration, args.database_url, args.postgres, args.profile))
    print(json.dumps(result))
    return 0

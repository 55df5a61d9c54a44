"""`python -m bench webhooks --rate 20 --duration 60`: webhook delivery latency under a steady load.

Bookings are created at ``--rate`` per second for ``--duration`` seconds, each firing BOOKING_CREATED,
with two subscribers (real HTTP receivers on loopback). Latency runs from the trigger (the event's
``createdAt``, set by the booking workflow) to the receiver's arrival time. The stack is the
production composition (build_worker, one worker) on the Temporal dev server and a SQLite store, or
PostgreSQL (``--postgres``: a throw-away schema at 127.0.0.1:5432; ``--database-url``: an empty database).
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

from domain.booking import Attendee, Booking, BookingInput, BookingStatus
from domain.triggers import Trigger
from domain.webhooks import Subscription, WebhookSettings
from store import bookings
from store import webhooks as store
from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.devserver import start_quiet_dev_server
from testkit.postgres import postgres_schema_url
from testkit.receiver import Receiver, receiving
from testkit.stack import ORGANIZER, event_type, seed
from worker.temporal import build_worker

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


async def run(rate: float, duration: float, database_url: str | None = None, postgres: bool = False) -> dict:
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
            settings = WebhookSettings(allow_private=True)
            async with receiving() as first, receiving() as second:
                for receiver in (first, second):
                    await _subscribe(db, receiver.url)
                async with build_worker(env.client, db, QUEUE, webhooks=settings):
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
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args.rate, args.duration, args.database_url, args.postgres))))
    return 0

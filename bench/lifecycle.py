"""`python -m bench lifecycle --bookings 200`: bookings per second through create → confirm → start → end.

The same number of bookings also runs through a bare workflow with the same shape (the same number of
activities, an update, and timers at the same start and end) whose activities do nothing, on the same
dev server, in the same process. The ratio says what Bookflow's own work costs on top of Temporal's.
"""

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare_workflow import LENGTH, BareBookingWorkflow, nothing
from domain.booking import Attendee, Booking, BookingInput, BookingStatus, ConfirmInput
from domain.config import User
from store import bookings
from store.db import Database
from tests.support.devserver import start_dev_server
from tests.support.stack import ORGANIZER, event_type, seed
from worker.temporal import build_worker

# Meetings start this long after the run begins, so every booking is confirmed before its start: a
# twentieth of a second per booking (both runs wait the same; the rest of the time is processing).
LEAD_PER_BOOKING = timedelta(milliseconds=50)


def _organizer(i: int) -> User:
    """Booking i's organizer: one per booking, so every booking can start at the same moment."""
    return ORGANIZER.model_copy(update={"id": i + 1, "username": f"host{i + 1}"})


async def _booking_lifecycle(client: Client, db: Database, queue: str, i: int, start: datetime) -> str:
    draft = Booking(
        id=0,
        uid=uuid.uuid4().hex,
        event_type=event_type(1, requires_confirmation=True),
        organizer=_organizer(i),
        attendees=[Attendee(name="Bench", email="bench@example.com")],
        start=start,
        end=start + LENGTH,
        status=BookingStatus.PENDING,
        created_at=datetime.now(UTC),
        title="bench",
    )
    async with db.transaction() as session:
        booking = await bookings.reserve(session, draft)
    handle = await client.start_workflow(
        "BookingWorkflow", BookingInput(booking=booking, keep_open_minutes=0), id=booking.uid, task_queue=queue
    )
    await handle.execute_update("confirm", ConfirmInput(), result_type=Booking)
    await handle.result()
    return booking.uid


async def _bare_lifecycle(client: Client, queue: str, start: datetime) -> str:
    workflow_id = f"bare-{uuid.uuid4().hex}"
    handle = await client.start_workflow(BareBookingWorkflow.run, start.isoformat(), id=workflow_id, task_queue=queue)
    await handle.execute_update(BareBookingWorkflow.confirm)
    await handle.result()
    return workflow_id


async def _timed(count: int, concurrency: int, one: Callable[[int], Awaitable[str]]) -> tuple[float, list[str]]:
    gate = asyncio.Semaphore(concurrency)

    async def bounded(i: int) -> str:
        async with gate:
            return await one(i)

    began = time.perf_counter()
    ids = await asyncio.gather(*(bounded(i) for i in range(count)))
    return count / (time.perf_counter() - began), list(ids)


async def _history_events(client: Client, ids: list[str]) -> float:
    sample = ids[:10]
    counts = [len((await client.get_workflow_handle(i).fetch_history()).events) for i in sample]
    return sum(counts) / len(counts)


async def run(count: int, concurrency: int, database_url: str | None = None) -> dict:
    env = await start_dev_server()
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(database_url or f"sqlite:///{Path(scratch) / 'bench.db'}")
        try:
            await db.migrate()
            await seed(db, event_type(1, requires_confirmation=True), users=[_organizer(i) for i in range(count)])
            async with build_worker(env.client, db, "bench-lifecycle"):
                start = datetime.now(UTC) + count * LEAD_PER_BOOKING
                per_s, ids = await _timed(
                    count, concurrency, lambda i: _booking_lifecycle(env.client, db, "bench-lifecycle", i, start)
                )
                history = await _history_events(env.client, ids)
            bare = Worker(env.client, task_queue="bench-bare", workflows=[BareBookingWorkflow], activities=[nothing])
            async with bare:
                start = datetime.now(UTC) + count * LEAD_PER_BOOKING
                bare_per_s, _ = await _timed(
                    count, concurrency, lambda _: _bare_lifecycle(env.client, "bench-bare", start)
                )
        finally:
            await db.dispose()
            await env.shutdown()
    return {
        "bookings_per_s": round(per_s, 2),
        "bare_per_s": round(bare_per_s, 2),
        "ratio": round(per_s / bare_per_s, 3),
        "history_events_per_booking": round(history, 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench lifecycle")
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument(
        "--database-url", help="An empty database to use instead of a fresh SQLite file (e.g. PostgreSQL)."
    )
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args.bookings, args.concurrency, args.database_url))))
    return 0

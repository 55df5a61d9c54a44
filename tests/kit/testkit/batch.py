"""A batch of bookings started the way the API starts them, and what their event log says afterwards.

Each booking has its own organizer, so a whole batch can start at one moment; each workflow is started
through ``api.booking_start.start_booking`` (the production start, with its task timeout). Benches and
the multi-process tests share these helpers.
"""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from temporalio.client import Client

from api.booking_start import start_booking
from domain import lifecycle
from domain.booking import Attendee, Booking, BookingStatus
from domain.config import EventType, User
from store import bookings
from store.db import Database
from store.events import EventRow
from testkit.stack import ORGANIZER, event_type, seed


def organizer(i: int) -> User:
    """Booking i's organizer: one per booking, so every booking of a batch can start at the same moment."""
    return ORGANIZER.model_copy(update={"id": i + 1, "username": f"host{i + 1}", "email": f"host{i + 1}@example.com"})


async def seed_batch(db: Database, count: int, **fields: object) -> EventType:
    """Event type 1 (``fields`` override its defaults) and ``count`` organizers, each open all week."""
    kind = event_type(1, **fields)
    await seed(db, kind, users=[organizer(i) for i in range(count)])
    return kind


async def start_one(
    client: Client, db: Database, queue: str, kind: EventType, i: int, start: datetime, length: timedelta
) -> str:
    """Reserve booking i's slot and start its workflow as the API does; its uid."""
    draft = Booking(
        id=0,
        uid=uuid.uuid4().hex,
        event_type=kind,
        organizer=organizer(i),
        attendees=[Attendee(name="Batch Booker", email=f"booker{i}@example.com", time_zone="Europe/Rome")],
        start=start,
        end=start + length,
        status=BookingStatus.ACCEPTED,
        created_at=datetime.now(UTC),
        title=kind.title,
    )
    status, _ = lifecycle.initial_status(draft)
    async with db.transaction() as session:
        booking = await bookings.reserve(session, draft.model_copy(update={"status": status}))
    await start_booking(client, booking, queue, keep_open_minutes=0)
    return booking.uid


async def start_batch(
    client: Client, db: Database, queue: str, kind: EventType, count: int, start: datetime, length: timedelta
) -> list[str]:
    """``count`` bookings of ``kind``, all starting at ``start``; their uids."""
    gate = asyncio.Semaphore(20)

    async def one(i: int) -> str:
        async with gate:
            return await start_one(client, db, queue, kind, i, start, length)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def event_log(db: Database, uids: list[str]) -> list[EventRow]:
    """Every event recorded for ``uids``, in recording order."""
    async with db.sessions() as session:
        rows = await session.scalars(select(EventRow).where(EventRow.booking_uid.in_(uids)).order_by(EventRow.id))
        return list(rows)


def counts(rows: list[EventRow], trigger: str) -> Counter[str]:
    """How many times each booking's ``trigger`` was recorded."""
    return Counter(row.booking_uid for row in rows if row.trigger == trigger)

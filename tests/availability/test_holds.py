"""Holds on SQLite and PostgreSQL: one table, buffers, reservations, and no double booking under concurrency."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from availability.engine import still_free
from domain.booking import Attendee, Booking, BookingStatus
from store import availability as holds
from store import bookings
from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.postgres import postgres_schema_url
from testkit.stack import ORGANIZER, event_type, seed

START = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)


def draft(uid: str, start: datetime = START, minutes: int = 30, **fields) -> Booking:
    return Booking(
        id=0,
        uid=uid,
        event_type=event_type(1, **fields),
        organizer=ORGANIZER,
        attendees=[Attendee(name="Bo", email="bo@example.com")],
        start=start,
        end=start + timedelta(minutes=minutes),
        status=BookingStatus.ACCEPTED,
        created_at=datetime.now(UTC),
        title="t",
    )


async def test_buffers_are_part_of_the_hold(any_db):
    await seed(any_db, event_type(1))
    async with any_db.transaction() as session:
        await bookings.reserve(session, draft("a", after_event_buffer=15))
    with pytest.raises(bookings.SlotTaken, match="overlaps booking a"):
        async with any_db.transaction() as session:  # starts inside a's after-buffer
            await bookings.reserve(session, draft("b", START + timedelta(minutes=40)))
    async with any_db.transaction() as session:
        await bookings.reserve(session, draft("c", START + timedelta(minutes=45)))


async def test_cancelling_frees_the_hold_and_reservations_expire(any_db):
    await seed(any_db, event_type(1))
    async with any_db.transaction() as session:
        first = await bookings.reserve(session, draft("a"))
    async with any_db.transaction() as session:
        await bookings.save(session, first.model_copy(update={"status": BookingStatus.CANCELLED}))
    now = datetime.now(UTC)
    reservation = holds.Hold(
        host_id=1,
        kind=holds.RESERVATION,
        uid="r1",
        event_type_id=1,
        status="RESERVED",
        slot_start=START,
        slot_end=START + timedelta(minutes=30),
        release_at=now + timedelta(milliseconds=300),
    )
    async with any_db.transaction() as session:
        await holds.add_holds(session, [reservation], now)
    with pytest.raises(bookings.SlotTaken, match="overlaps booking r1"):
        async with any_db.transaction() as session:
            await bookings.reserve(session, draft("b"))
    await asyncio.sleep(0.4)  # the reservation's own release time passes; nothing else changes
    async with any_db.transaction() as session:
        await bookings.reserve(session, draft("b"))


async def test_still_free_recheck_refuses_time_outside_the_schedule(any_db):
    await seed(any_db, event_type(1))
    async with any_db.transaction() as session:  # ada has no schedule of her own here: D1, Mon-Fri 09-17
        await holds.set_default_schedule(session, 1, None)
    saturday = datetime(2030, 5, 4, 10, tzinfo=UTC)
    booking = draft("a", saturday)
    with pytest.raises(bookings.SlotTaken):
        async with any_db.transaction() as session:
            fits = still_free(booking.event_type, booking.start, booking.end, datetime.now(UTC))
            await bookings.reserve(session, booking, still_free=fits)


async def test_fifty_concurrent_requests_give_one_booking(any_db):
    await seed(any_db, event_type(1))

    async def attempt(n: int) -> bool:
        booking = draft(f"u{n}", START + timedelta(minutes=n % 7))  # overlapping, not identical, times
        try:
            async with any_db.transaction() as session:
                fits = still_free(booking.event_type, booking.start, booking.end, datetime.now(UTC))
                await bookings.reserve(session, booking, still_free=fits)
        except bookings.SlotTaken:
            return False
        return True

    results = await asyncio.gather(*(attempt(n) for n in range(50)))
    assert sum(results) == 1


async def test_postgresql_exclusion_constraint_refuses_overlap_without_any_lock(tmp_path):
    url, cleanup = await postgres_schema_url()
    any_db = Database(url, TEST_SECRET_KEYS)
    await any_db.migrate()
    try:
        await _exclusion_constraint_holds(any_db)
    finally:
        await any_db.dispose()
        await cleanup()


async def _exclusion_constraint_holds(any_db: Database) -> None:
    await seed(any_db, event_type(1))

    def row(uid: str, minutes: int) -> holds.HoldRow:
        start = START + timedelta(minutes=minutes)
        return holds.HoldRow(
            host_id=1,
            kind="booking",
            uid=uid,
            event_type_id=1,
            status="ACCEPTED",
            start=start,
            end=start + timedelta(minutes=30),
            start_s=int(start.timestamp()),
            end_s=int(start.timestamp()) + 1800,
            slot_start=start,
            slot_end=start + timedelta(minutes=30),
            release_at=None,
            active=True,
            data={},
        )

    async with any_db.sessions() as session, session.begin():
        session.add(row("x", 0))
    with pytest.raises(IntegrityError, match="holds_no_overlap"):
        async with any_db.sessions() as session, session.begin():
            session.add(row("y", 10))
    async with any_db.sessions() as session, session.begin():
        session.add(row("z", 30))  # touching ends do not overlap

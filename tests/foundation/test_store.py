"""The store on SQLite and on PostgreSQL: reservations, the event log and configuration."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.booking import Attendee, Booking, BookingEvent, BookingStatus
from domain.config import Configuration
from store import bookings, config, events
from testkit.stack import ORGANIZER, event_type, seed

START = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)


def draft(uid: str, start: datetime = START, minutes: int = 30, key: str | None = None) -> Booking:
    return Booking(
        id=0,
        uid=uid,
        event_type=event_type(1),
        organizer=ORGANIZER,
        attendees=[Attendee(name="Bo", email="bo@example.com")],
        start=start,
        end=start + timedelta(minutes=minutes),
        status=BookingStatus.ACCEPTED,
        created_at=datetime.now(UTC),
        title="t",
        idempotency_key=key,
    )


async def test_reservation_refuses_overlaps_and_frees_cancelled_slots(any_db):
    await seed(any_db, event_type(1))
    async with any_db.transaction() as session:
        first = await bookings.reserve(session, draft("a"))
    assert first.id > 0
    with pytest.raises(bookings.SlotTaken, match="overlaps booking a"):
        async with any_db.transaction() as session:
            await bookings.reserve(session, draft("b", START + timedelta(minutes=29)))
    async with any_db.transaction() as session:  # back to back is fine
        await bookings.reserve(session, draft("c", START + timedelta(minutes=30)))
    async with any_db.transaction() as session:
        await bookings.save(session, first.model_copy(update={"status": BookingStatus.CANCELLED}))
    async with any_db.transaction() as session:
        await bookings.reserve(session, draft("d"))
    async with any_db.sessions() as session:
        assert (await bookings.get(session, "d")).uid == "d"


async def test_concurrent_reservations_for_one_slot_give_one_booking(any_db):
    await seed(any_db, event_type(1))

    async def attempt(uid: str) -> str:
        try:
            async with any_db.transaction() as session:
                await bookings.reserve(session, draft(uid))
            return "booked"
        except bookings.SlotTaken:
            return "taken"

    results = await asyncio.gather(*(attempt(f"u{i}") for i in range(6)))
    assert sorted(results) == ["booked"] + ["taken"] * 5


async def test_event_log_records_each_event_once_in_order(any_db):
    now = datetime.now(UTC)
    first = BookingEvent(event_id="x:A:0", booking_uid="x", trigger="B", created_at=now, body={"n": 1})
    second = BookingEvent(event_id="x:B:0", booking_uid="x", trigger="A", created_at=now, body={"n": 2})
    async with any_db.transaction() as session:
        assert await events.record(session, first)
        assert await events.record(session, second)
    async with any_db.transaction() as session:
        assert not await events.record(session, first)
    async with any_db.sessions() as session:
        logged = await events.for_booking(session, "x")
    assert [e.body["n"] for e in logged] == [1, 2]


async def test_configuration_round_trip(any_db):
    original = Configuration(users=[ORGANIZER], event_types=[event_type(1), event_type(2, requires_confirmation=True)])
    async with any_db.transaction() as session:
        await config.apply_configuration(session, original)
    async with any_db.sessions() as session:
        exported = await config.export_configuration(session)
        assert await config.find_event_type(session, "ada", "event-2") == original.event_types[1]
    assert exported == original

"""Migration 0016: stored `seats` are kept when a seated event type can follow them, and nulled otherwise."""

import asyncio
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from domain.booking import Attendee, Booking, BookingStatus
from store import bookings, config
from store.db import Database, sync_url
from testkit.access import TEST_SECRET_KEYS
from testkit.stack import ORGANIZER, event_type
from tests.bookings_calcom.migrations import upgrade_every_head_but

FOLLOWABLE = {"seatsPerTimeSlot": 4, "showAttendeeInfo": True, "showAvailabilityCount": False}
STORED = {
    1: ({"seats": FOLLOWABLE}, FOLLOWABLE),
    2: ({"seats": {"seatsPerTimeSlot": 2, "note": "x"}}, {"seatsPerTimeSlot": 2, "showAttendeeInfo": False,
                                                          "showAvailabilityCount": True}),
    3: ({"seats": {"seatsPerTimeSlot": 0}}, None),
    4: ({"seats": {"disabled": True}}, None),
    5: ({"seats": FOLLOWABLE, "requiresConfirmation": True}, None),
    6: ({"seats": {"seatsPerTimeSlot": "many"}}, None),
}  # fmt: skip


def _old_rows(url: str) -> None:
    """Before 0016: event types kept any seats as sent, and so did bookings' copies of them."""
    engine = sa.create_engine(sync_url(url))
    columns = (sa.column("id"), sa.column("slug"), sa.column("owner_id"), sa.column("data", sa.JSON))
    types = sa.table("event_types", *columns)
    names = ("uid", "event_type_id", "organizer_id", "attendee_email", "status", "start", "end", "created_at",
             "updated_at")  # fmt: skip
    rows = sa.table("bookings", *(sa.column(c) for c in names), sa.column("data", sa.JSON))
    start = datetime.now(UTC) + timedelta(days=1)
    with engine.begin() as connection:
        for type_id, (fields, _) in STORED.items():
            data = event_type(type_id).wire() | fields
            connection.execute(types.insert().values(id=type_id, slug=f"event-{type_id}", owner_id=1, data=data))
            booking = Booking(
                id=type_id, uid=f"old-{type_id}", event_type=event_type(type_id), organizer=ORGANIZER,
                attendees=[Attendee(name="Bo", email="bo@example.com")], start=start, end=start + timedelta(hours=1),
                status=BookingStatus.ACCEPTED, created_at=start, title="Old",
            ).wire()  # fmt: skip
            booking["eventType"] |= fields
            values = dict(zip(names, (booking["uid"], type_id, 1, "bo@example.com", "ACCEPTED", start,
                                      start + timedelta(hours=1), start, start), strict=True))  # fmt: skip
            connection.execute(rows.insert().values(**values, data=booking))
    engine.dispose()


async def test_stored_seats_are_kept_when_followable_and_nulled_otherwise(any_store_url):
    await asyncio.to_thread(upgrade_every_head_but, any_store_url, "0016_seats")
    await asyncio.to_thread(_old_rows, any_store_url)
    db = Database(any_store_url, TEST_SECRET_KEYS)
    await db.migrate()
    try:
        async with db.sessions() as session:
            types = [await config.get_event_type(session, i) for i in STORED]
            kept = [await bookings.get(session, f"old-{i}") for i in STORED]
    finally:
        await db.dispose()
    expected = [after for _, after in STORED.values()]
    assert [t.seats.wire() if t.seats else None for t in types] == expected
    assert [b.event_type.seats.wire() if b.event_type.seats else None for b in kept] == expected

"""Migration 0014: bookings get their series column, and stored recurrences become ones a series can follow."""

import asyncio
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from domain.booking import Attendee, Booking, BookingStatus
from store import bookings, config
from store.db import Database, sync_url
from testkit.access import TEST_SECRET_KEYS
from testkit.stack import ORGANIZER, event_type
from tests.bookings_calcom.migrations import upgrade_every_head_but

WEEKLY = {"frequency": "weekly", "interval": 2, "occurrences": 5}
UNFOLLOWABLE = {"frequency": "daily", "interval": 1, "occurrences": 3}


def _old_rows(url: str) -> None:
    """Before 0014: event types kept any recurrence as sent, and so did bookings' copies of them."""
    engine = sa.create_engine(sync_url(url))
    columns = (sa.column("id"), sa.column("slug"), sa.column("owner_id"), sa.column("data", sa.JSON))
    types = sa.table("event_types", *columns)
    rows = sa.table(
        "bookings", *(sa.column(c) for c in ("uid", "event_type_id", "organizer_id", "attendee_email", "status",
                                             "start", "end", "created_at", "updated_at")), sa.column("data", sa.JSON),
    )  # fmt: skip
    start = datetime.now(UTC) + timedelta(days=1)
    with engine.begin() as connection:
        for type_id, recurrence in ((1, WEEKLY), (2, UNFOLLOWABLE), (3, {"disabled": True})):
            data = event_type(type_id).wire() | {"recurrence": recurrence}
            connection.execute(types.insert().values(id=type_id, slug=f"event-{type_id}", owner_id=1, data=data))
            booking = Booking(
                id=type_id, uid=f"old-{type_id}", event_type=event_type(type_id), organizer=ORGANIZER,
                attendees=[Attendee(name="Bo", email="bo@example.com")], start=start, end=start + timedelta(hours=1),
                status=BookingStatus.ACCEPTED, created_at=start, title="Old",
            ).wire()  # fmt: skip
            booking["eventType"]["recurrence"] = recurrence
            connection.execute(
                rows.insert().values(
                    uid=booking["uid"], event_type_id=type_id, organizer_id=1, attendee_email="bo@example.com",
                    status="ACCEPTED", start=start, end=start + timedelta(hours=1), created_at=start,
                    updated_at=start, data=booking,
                )
            )  # fmt: skip
    engine.dispose()


async def test_stored_recurrences_are_kept_when_followable_and_nulled_otherwise(any_store_url):
    await asyncio.to_thread(upgrade_every_head_but, any_store_url, "0014_calcom_more")
    await asyncio.to_thread(_old_rows, any_store_url)
    db = Database(any_store_url, TEST_SECRET_KEYS)
    await db.migrate()
    try:
        async with db.sessions() as session:
            types = [await config.get_event_type(session, i) for i in (1, 2, 3)]
            kept = [await bookings.get(session, f"old-{i}") for i in (1, 2, 3)]
            assert await bookings.series(session, "anything") == []
        assert [t.recurrence.wire() if t.recurrence else None for t in types] == [WEEKLY, None, None]
        assert [b.event_type.recurrence.wire() if b.event_type.recurrence else None for b in kept] == [
            WEEKLY, None, None,
        ]  # fmt: skip
        assert [b.recurring_booking_uid for b in kept] == [None, None, None]
    finally:
        await db.dispose()

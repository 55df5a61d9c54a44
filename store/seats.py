"""Seated bookings as the API finds them: the one live booking of an event type at a slot."""

from datetime import datetime, timedelta

from sqlalchemy import String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.booking import Booking
from store.bookings import HOLDING, BookingRow

# Stored starts are compared within a second (SQLite keeps them as text, PostgreSQL as timestamps).
_SAME_START = timedelta(seconds=1)


async def slot_booking(session: AsyncSession, event_type_id: int, start: datetime) -> Booking | None:
    """The live (accepted or pending) booking of ``event_type_id`` starting at ``start``, whose seats a booker
    of that slot takes; the earliest made, should a race have left two."""
    data = await session.scalar(
        select(BookingRow.data)
        .where(
            BookingRow.event_type_id == event_type_id,
            BookingRow.status.in_(HOLDING),
            BookingRow.start >= start,
            BookingRow.start < start + _SAME_START,
        )
        .order_by(BookingRow.id)
        .limit(1)
    )
    return Booking.model_validate(data) if data is not None else None


async def seated_bookings(session: AsyncSession, event_type_id: int, first: datetime, last: datetime) -> list[Booking]:
    """The live bookings of ``event_type_id`` starting in ``[first, last]`` (a slot listing's seat counts)."""
    rows = await session.scalars(
        select(BookingRow.data)
        .where(
            BookingRow.event_type_id == event_type_id,
            BookingRow.status.in_(HOLDING),
            BookingRow.start >= first,
            BookingRow.start <= last,
        )
        .order_by(BookingRow.start, BookingRow.id)
    )
    return [Booking.model_validate(data) for data in rows]


async def by_seat(session: AsyncSession, seat_uid: str) -> Booking | None:
    """The booking holding seat ``seat_uid`` (a uuid), if any.

    Looked up in the bookings' stored data, not an index: a rare read (Cal.com's GET by-seat) that scans the
    bookings table, so it costs more as the table grows.
    """
    rows = await session.scalars(
        select(BookingRow.data).where(cast(BookingRow.data, String).contains(seat_uid)).order_by(BookingRow.id)
    )
    found = (Booking.model_validate(data) for data in rows)
    return next((b for b in found if any(a.seat_uid == seat_uid for a in b.attendees)), None)

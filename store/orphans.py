"""Reservations no workflow has taken up: the API reserved the slot, then died before the start.

A booking's workflow commits its first state as soon as it runs, which moves ``updated_at`` past
``created_at``; a row whose two stamps are still equal has never been touched by a workflow.
"""

from datetime import datetime

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.booking import Booking
from store.bookings import HOLDING, BookingRow


def _untouched(older_than: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        BookingRow.status.in_(HOLDING),
        BookingRow.updated_at == BookingRow.created_at,
        BookingRow.created_at < older_than,
    )


async def untouched(session: AsyncSession, older_than: datetime, limit: int = 100) -> list[Booking]:
    """Holding bookings created before ``older_than`` that no workflow has committed yet, oldest first."""
    rows = await session.scalars(
        select(BookingRow).where(*_untouched(older_than)).order_by(BookingRow.created_at).limit(limit)
    )
    return [Booking.model_validate(row.data) for row in rows]


def untouched_uids(older_than: datetime, limit: int = 100) -> Select[tuple[str]]:
    """The same bookings' uids, as a query (`bookflow ops doctor` runs it on a synchronous connection)."""
    return select(BookingRow.uid).where(*_untouched(older_than)).order_by(BookingRow.created_at).limit(limit)

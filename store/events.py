"""The event log: every trigger fired, once, with the Cal.com-shaped body of that moment."""

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.booking import BookingEvent
from store.db import Base, as_utc


class EventRow(Base):
    __tablename__ = "events"
    # The surrogate id keeps the order in which events were recorded, even within one transition.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    booking_uid: Mapped[str] = mapped_column(String(64), index=True)
    trigger: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    body: Mapped[dict[str, Any]]


async def record(session: AsyncSession, event: BookingEvent) -> bool:
    """Record ``event`` unless its id is already there; True when it was new."""
    return bool(await record_all(session, [event]))


async def record_all(session: AsyncSession, events: list[BookingEvent]) -> set[str]:
    """Record each of ``events`` unless its id is already there, in one statement; the ids that were new."""
    if not events:
        return set()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = EventRow.__table__
    rows = [
        {
            "event_id": event.event_id,
            "booking_uid": event.booking_uid,
            "trigger": event.trigger,
            "created_at": event.created_at,
            "body": event.body,
        }
        for event in events
    ]
    # One round trip, and safe against a concurrent retry of the same activity. The table (not the ORM
    # entity) skips the ORM's bulk-insert bookkeeping; rows get their ids in the order given.
    statement = insert(table).values(rows).on_conflict_do_nothing(index_elements=["event_id"])
    result = await session.execute(statement.returning(table.c.event_id))
    return set(result.scalars())


def _event(row: EventRow) -> BookingEvent:
    return BookingEvent(
        event_id=row.event_id,
        booking_uid=row.booking_uid,
        trigger=row.trigger,
        created_at=as_utc(row.created_at),
        body=row.body,
    )


async def for_booking(session: AsyncSession, booking_uid: str) -> list[BookingEvent]:
    rows = await session.scalars(select(EventRow).where(EventRow.booking_uid == booking_uid).order_by(EventRow.id))
    return [_event(r) for r in rows]


async def get(session: AsyncSession, event_id: str) -> BookingEvent | None:
    row = await session.scalar(select(EventRow).where(EventRow.event_id == event_id))
    return _event(row) if row else None

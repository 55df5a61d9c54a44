"""Bookings as the API reads them: a copy of each workflow's state, and the slot reservation."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.booking import Booking, BookingStatus
from store.config import UserRow
from store.db import Base

# A pending booking (awaiting confirmation or payment) holds its slot like an accepted one.
HOLDING = (BookingStatus.ACCEPTED.value, BookingStatus.PENDING.value)


class SlotTaken(Exception):
    """The organizer already has an accepted or held booking overlapping the requested time."""

    def __init__(self, conflicting_uid: str) -> None:
        super().__init__(f"the slot is taken: it overlaps booking {conflicting_uid}")
        self.conflicting_uid = conflicting_uid


class BookingRow(Base):
    __tablename__ = "bookings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    event_type_id: Mapped[int] = mapped_column(Integer, index=True)
    organizer_id: Mapped[int] = mapped_column(Integer, index=True)
    attendee_email: Mapped[str] = mapped_column(String(320), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]]


def _fill(row: BookingRow, booking: Booking) -> None:
    row.uid, row.event_type_id = booking.uid, booking.event_type.id
    row.organizer_id, row.attendee_email = booking.organizer.id, str(booking.attendees[0].email).lower()
    row.status, row.start, row.end = booking.status.value, booking.start, booking.end
    row.idempotency_key, row.created_at = booking.idempotency_key, booking.created_at
    row.updated_at = booking.updated_at or booking.created_at
    row.data = booking.wire()


async def reserve(session: AsyncSession, booking: Booking, ignore_uid: str | None = None) -> Booking:
    """Insert ``booking`` unless it overlaps a holding booking of its organizer; return it with its id.

    Atomic: the organizer's row is locked (PostgreSQL) or the write lock is held (SQLite) between the
    check and the insert, so two concurrent requests for one slot give one booking and one SlotTaken.
    """
    await session.execute(select(UserRow.id).where(UserRow.id == booking.organizer.id).with_for_update())
    clash = await session.scalar(
        select(BookingRow.uid).where(
            BookingRow.organizer_id == booking.organizer.id,
            BookingRow.status.in_(HOLDING),
            BookingRow.start < booking.end,
            BookingRow.end > booking.start,
            BookingRow.uid != (ignore_uid or ""),
        )
    )
    if clash:
        raise SlotTaken(clash)
    row = BookingRow()
    _fill(row, booking)
    session.add(row)
    await session.flush()
    reserved = booking.model_copy(update={"id": row.id})
    row.data = reserved.wire()
    return reserved


async def save(session: AsyncSession, booking: Booking) -> None:
    """Store the workflow's current state of ``booking``."""
    row = await session.scalar(select(BookingRow).where(BookingRow.uid == booking.uid))
    if row is None:
        row = BookingRow(id=booking.id)
        session.add(row)
    _fill(row, booking)


async def release(session: AsyncSession, uid: str) -> None:
    """Drop a reservation whose workflow could not be started."""
    row = await session.scalar(select(BookingRow).where(BookingRow.uid == uid))
    if row is not None:
        await session.delete(row)


async def get(session: AsyncSession, uid: str) -> Booking | None:
    row = await session.scalar(select(BookingRow).where(BookingRow.uid == uid))
    return Booking.model_validate(row.data) if row else None


async def get_by_idempotency_key(session: AsyncSession, key: str) -> Booking | None:
    row = await session.scalar(select(BookingRow).where(BookingRow.idempotency_key == key))
    return Booking.model_validate(row.data) if row else None


@dataclass(frozen=True)
class BookingFilter:
    """Cal.com's list filters. ``status`` buckets are views over status and time, not stored values."""

    statuses: tuple[str, ...] = ()
    attendee_email: str | None = None
    event_type_id: int | None = None
    take: int = 100
    skip: int = 0


def _bucket_clause(bucket: str, now: datetime) -> Any:
    match bucket:
        case "upcoming":
            return (BookingRow.end >= now) & BookingRow.status.in_(HOLDING)
        case "unconfirmed":
            return (BookingRow.end >= now) & (BookingRow.status == BookingStatus.PENDING.value)
        case "past":
            return (BookingRow.end < now) & BookingRow.status.in_(HOLDING)
        case "cancelled":
            return BookingRow.status.in_((BookingStatus.CANCELLED.value, BookingStatus.REJECTED.value))
    raise ValueError(f"status: unknown value {bucket!r}")


async def search(session: AsyncSession, filters: BookingFilter, now: datetime) -> tuple[list[Booking], int]:
    """The bookings matching ``filters`` (soonest first) and how many match in all."""
    query = select(BookingRow)
    if filters.statuses:
        clauses = [_bucket_clause(s, now) for s in filters.statuses]
        condition = clauses[0]
        for clause in clauses[1:]:
            condition = condition | clause
        query = query.where(condition)
    if filters.attendee_email:
        query = query.where(BookingRow.attendee_email == filters.attendee_email.lower())
    if filters.event_type_id is not None:
        query = query.where(BookingRow.event_type_id == filters.event_type_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(BookingRow.start, BookingRow.id).offset(filters.skip).limit(filters.take)
    )
    return [Booking.model_validate(r.data) for r in rows], total

"""Bookings as the API reads them: a copy of each workflow's state, and the slot reservation."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import DateTime, Integer, String, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.booking import Booking, BookingStatus
from domain.busy import HostAvailability, holds_time
from store import availability as holds
from store.db import Base

# Bookings in these statuses are live (a pending one holds its slot unless domain.busy.holds_time says not).
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
    # The series a recurring booking's occurrence belongs to (migration 0014_calcom_more).
    recurring_booking_uid: Mapped[str | None] = mapped_column(String(64), index=True)
    data: Mapped[dict[str, Any]]


def _fill(row: BookingRow, booking: Booking) -> None:
    row.uid, row.event_type_id = booking.uid, booking.event_type.id
    row.organizer_id, row.attendee_email = booking.organizer.id, str(booking.attendees[0].email).lower()
    row.status, row.start, row.end = booking.status.value, booking.start, booking.end
    row.idempotency_key, row.created_at = booking.idempotency_key, booking.created_at
    row.updated_at = booking.updated_at or booking.created_at
    row.recurring_booking_uid = booking.recurring_booking_uid
    row.data = booking.wire()


def holding_hosts(booking: Booking) -> list[int]:
    """Whose time a booking takes: every host of a collective event type, else its organizer."""
    if booking.event_type.scheduling_type == "collective":
        return sorted({booking.organizer.id, *(h.user_id for h in booking.event_type.hosts)})
    return [booking.organizer.id]


async def reserve(
    session: AsyncSession,
    booking: Booking,
    ignore_uid: str | None = None,
    reservation_uid: str | None = None,
    still_free: Callable[[list[HostAvailability]], bool] | None = None,
) -> Booking:
    """Insert ``booking`` and its holds unless they overlap another hold of its hosts; return it with its id.

    Atomic: the hosts' rows are locked (PostgreSQL, plus the holds' exclusion constraint) or the write
    lock is held (SQLite) between the check and the insert, so two concurrent requests for one slot
    give one booking and one SlotTaken. ``ignore_uid`` (the booking being rescheduled) stops holding
    its time; ``reservation_uid`` (the booker's own reservation) is turned into the booking.
    ``still_free`` re-checks availability on the hosts' data as loaded under the lock.
    """
    now = datetime.now(UTC)
    hosts = holding_hosts(booking)
    await holds.lock_hosts(session, hosts)
    if still_free is not None:
        first, last = booking.event_type.data_window(booking.start, booking.end, now)
        loaded = await holds.load_hosts(
            session, booking.event_type, hosts, first, last, now, ignore=(ignore_uid, reservation_uid)
        )
        if not still_free(loaded):
            raise SlotTaken("(taken while this request was checked)")
    if ignore_uid:
        await holds.set_status(session, ignore_uid, "RESCHEDULING")
    if reservation_uid:
        await holds.release(session, reservation_uid)
    event_type = booking.event_type
    try:
        await holds.add_holds(
            session,
            [
                holds.Hold(
                    host_id=host,
                    kind=holds.BOOKING,
                    uid=booking.uid,
                    event_type_id=event_type.id,
                    status=booking.status.value,
                    slot_start=booking.start,
                    slot_end=booking.end,
                    before=event_type.before_event_buffer,
                    after=event_type.after_event_buffer,
                    active=holds_time(booking),
                )
                for host in hosts
            ],
            now,
        )
    except holds.HoldConflict as conflict:
        raise SlotTaken(conflict.uid) from None
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
    await holds.set_status(session, booking.uid, booking.status.value, holds_time(booking))


async def stored_wire(session: AsyncSession, uid: str) -> dict[str, Any] | None:
    """The stored wire form of booking ``uid``: one round trip, and no ORM object to track."""
    return await session.scalar(select(BookingRow.data).where(BookingRow.uid == uid))


async def stored_wire_with(session: AsyncSession, uid: str, columns: Sequence[Any]) -> tuple[Any, ...] | None:
    """Booking ``uid``'s stored wire form followed by ``columns`` (expressions over its row), in one round trip."""
    row = (await session.execute(select(BookingRow.data, *columns).where(BookingRow.uid == uid))).first()
    return tuple(row) if row is not None else None


async def update(session: AsyncSession, booking: Booking, status_changed: bool) -> None:
    """Write a change of a stored booking in one UPDATE; its holds follow its status.

    A commit's fast path: no ORM row to load and flush, and the holds only touched when the status changed.
    """
    table = BookingRow.__table__
    values = {
        "status": booking.status.value,
        "start": booking.start,
        "end": booking.end,
        "attendee_email": str(booking.attendees[0].email).lower(),
        "organizer_id": booking.organizer.id,  # an instant meeting's changes when a host accepts
        "updated_at": booking.updated_at or booking.created_at,
        "data": booking.wire(),
    }
    await session.execute(sql_update(table).where(table.c.uid == booking.uid).values(values))
    if status_changed and booking.instant and booking.status is BookingStatus.ACCEPTED:
        await _hold_for_accepting_host(session, booking)
    elif status_changed:
        await holds.set_status(session, booking.uid, booking.status.value, holds_time(booking))


async def _hold_for_accepting_host(session: AsyncSession, booking: Booking) -> None:
    """An instant meeting just accepted: its hold (kept idle while it rang) becomes the accepting host's, and
    holds their time unless they already have something then (they chose to join: the meeting stands)."""
    hosts = holding_hosts(booking)
    await holds.lock_hosts(session, hosts)
    table = holds.HoldRow.__table__
    if len(hosts) == 1:  # not collective: the one hold follows the organizer
        mine = (table.c.uid == booking.uid) & (table.c.kind == holds.BOOKING)
        await session.execute(sql_update(table).where(mine).values(host_id=booking.organizer.id))
    now = datetime.now(UTC)
    clash = await holds.conflicting_kind(session, hosts, booking.start, booking.end, now, ignore=booking.uid)
    await holds.set_status(session, booking.uid, booking.status.value, clash is None)


async def release(session: AsyncSession, uid: str) -> None:
    """Drop a reservation whose workflow could not be started."""
    row = await session.scalar(select(BookingRow).where(BookingRow.uid == uid))
    if row is not None:
        await session.delete(row)
    await holds.release(session, uid)


async def get(session: AsyncSession, uid: str) -> Booking | None:
    """Booking ``uid`` as last committed (its stored wire form only: no ORM row to build and track)."""
    data = await stored_wire(session, uid)
    return Booking.model_validate(data) if data is not None else None


async def series(session: AsyncSession, recurring_booking_uid: str) -> list[Booking]:
    """Every occurrence of a recurring booking, first to last."""
    rows = await session.scalars(
        select(BookingRow)
        .where(BookingRow.recurring_booking_uid == recurring_booking_uid)
        .order_by(BookingRow.start, BookingRow.id)
    )
    return [Booking.model_validate(row.data) for row in rows]


async def get_by_idempotency_key(session: AsyncSession, key: str) -> Booking | None:
    row = await session.scalar(select(BookingRow).where(BookingRow.idempotency_key == key))
    return Booking.model_validate(row.data) if row else None


@dataclass(frozen=True)
class Party:
    """Whose bookings a caller sees: those they organise, host (by event type) or attend (by email)."""

    user_id: int
    email: str | None = None
    hosted_event_type_ids: tuple[int, ...] = ()


SortField = Literal["start", "end", "created", "updated"]
SortDirection = Literal["asc", "desc"]


@dataclass(frozen=True)
class BookingFilter:
    """Cal.com's list filters. ``status`` buckets are views over status and time, not stored values."""

    statuses: tuple[str, ...] = ()
    attendee_email: str | None = None
    event_type_id: int | None = None
    take: int = 100
    skip: int = 0
    party: Party | None = None  # None: every booking (an admin key)
    attendee_name: str | None = None
    event_type_ids: tuple[int, ...] = ()
    booking_uid: str | None = None
    after_start: datetime | None = None
    before_end: datetime | None = None
    after_created: datetime | None = None
    before_created: datetime | None = None
    after_updated: datetime | None = None
    before_updated: datetime | None = None
    # Cal.com's sortStart/sortEnd/sortCreated/sortUpdatedAt, in that precedence: (field, "asc"|"desc").
    sort: tuple[tuple[SortField, SortDirection], ...] = ()


def _party_clause(party: Party) -> Any:
    clause = (BookingRow.organizer_id == party.user_id) | BookingRow.event_type_id.in_(party.hosted_event_type_ids)
    if party.email:
        clause = clause | (BookingRow.attendee_email == party.email.lower())
    return clause


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
        case "recurring":  # Cal.com's view: the occurrences of recurring bookings still to come
            upcoming = (BookingRow.end >= now) & BookingRow.status.in_(HOLDING)
            return upcoming & BookingRow.recurring_booking_uid.is_not(None)
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
    if filters.party is not None:
        query = query.where(_party_clause(filters.party))
    query = query.where(*_detail_clauses(filters))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(*_order(filters)).offset(filters.skip).limit(filters.take))
    return [Booking.model_validate(r.data) for r in rows], total


def _detail_clauses(filters: BookingFilter) -> list[Any]:
    """Cal.com's finer filters: attendee name, event types, uid and the time windows."""
    clauses: list[Any] = []
    if filters.attendee_name:
        # The first attendee is the booker (as for attendeeEmail); JSON paths work on SQLite and PostgreSQL.
        name = BookingRow.data[("attendees", 0, "name")].as_string()
        clauses.append(func.lower(name) == filters.attendee_name.lower())
    if filters.event_type_ids:
        clauses.append(BookingRow.event_type_id.in_(filters.event_type_ids))
    if filters.booking_uid:
        clauses.append(BookingRow.uid == filters.booking_uid)
    windows = (
        (BookingRow.start, filters.after_start, None),
        (BookingRow.end, None, filters.before_end),
        (BookingRow.created_at, filters.after_created, filters.before_created),
        (BookingRow.updated_at, filters.after_updated, filters.before_updated),
    )
    for column, after, before in windows:
        if after is not None:
            clauses.append(column >= after)
        if before is not None:
            clauses.append(column <= before)
    return clauses


def _order(filters: BookingFilter) -> list[Any]:
    columns = {"start": BookingRow.start, "end": BookingRow.end, "created": BookingRow.created_at,
               "updated": BookingRow.updated_at}  # fmt: skip
    chosen = [columns[f].desc() if d == "desc" else columns[f].asc() for f, d in filters.sort]
    return [*chosen, BookingRow.start, BookingRow.id]

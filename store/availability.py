"""Schedules, out-of-office entries, and holds of hosts' time (bookings and reservations) in one table.

A hold covers a host's buffered range ``[start - before, end + after)``. On PostgreSQL an exclusion
constraint (``holds_no_overlap``) refuses two active overlapping holds of one host whatever the number
of processes; on SQLite the write lock serialises writers and ``add_holds`` checks before inserting.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Integer,
    String,
    cast,
    delete,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.busy import Booked, Busy, HostAvailability, counting_period
from domain.config import Configuration, EventType, User
from domain.schedules import OutOfOffice, Schedule, ScheduleFields, working_hours
from store import calendars, config
from store.db import Base, as_utc

BOOKING, RESERVATION = "booking", "reservation"
OUT_OF_OFFICE = "out_of_office"  # a row kind of the busy-time UNION only; never stored in holds
HOLDING = ("ACCEPTED", "PENDING")
# Busy time is loaded this far around a window: buffers are at most a day.
MARGIN = timedelta(days=1)
# How far back and ahead bookings are counted for booking limits, by the longest limit period.
COUNTING = {
    "day": timedelta(days=1),
    "week": timedelta(days=7),
    "month": timedelta(days=31),
    "year": timedelta(days=366),
}


class ScheduleRow(Base):
    __tablename__ = "schedules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(Integer, index=True)
    data: Mapped[dict[str, Any]]


class OutOfOfficeRow(Base):
    __tablename__ = "out_of_office"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]]


class HoldRow(Base):
    __tablename__ = "holds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    host_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    uid: Mapped[str] = mapped_column(String(64), index=True)
    event_type_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The same range in epoch seconds: the slots path reads thousands of holds and needs no datetimes.
    start_s: Mapped[int] = mapped_column(BigInteger)
    end_s: Mapped[int] = mapped_column(BigInteger)
    slot_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    slot_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    release_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[dict[str, Any]]


class HoldConflict(Exception):
    """The time overlaps an active hold of the same host (a booking or a live reservation)."""

    def __init__(self, uid: str, kind: str) -> None:
        super().__init__(f"the slot is taken: it overlaps {kind} {uid}")
        self.uid, self.kind = uid, kind


@dataclass(frozen=True)
class Hold:
    """One host's hold on a slot, with the buffers of its event type."""

    host_id: int
    kind: str
    uid: str
    event_type_id: int
    status: str
    slot_start: datetime
    slot_end: datetime
    before: int = 0
    after: int = 0
    release_at: datetime | None = None
    data: dict[str, Any] | None = None
    # False: recorded but not holding the time (a booking awaiting confirmation that does not block).
    active: bool = True


# -- schedules -----------------------------------------------------------------------------------------


def _schedule(row: ScheduleRow, default_id: int | None) -> Schedule:
    return Schedule.model_validate(
        row.data | {"id": row.id, "ownerId": row.owner_id, "isDefault": row.id == default_id}
    )


async def _default_id(session: AsyncSession, user_id: int) -> int | None:
    row = await session.get(config.UserRow, user_id)
    return row.data.get("defaultScheduleId") if row else None


async def set_default_schedule(session: AsyncSession, user_id: int, schedule_id: int | None) -> None:
    """Make ``schedule_id`` the user's default (Cal.com keeps it on the user: ``defaultScheduleId``)."""
    row = await session.get(config.UserRow, user_id)
    if row is not None:
        row.data = row.data | {"defaultScheduleId": schedule_id}


async def create_schedule(session: AsyncSession, owner_id: int, fields: ScheduleFields) -> Schedule:
    # Ids continue after the largest (configuration apply writes its own ids, which sequences do not see).
    next_id = (await session.scalar(select(func.max(ScheduleRow.id))) or 0) + 1
    row = ScheduleRow(id=next_id, owner_id=owner_id, data=fields.wire())
    session.add(row)
    await session.flush()
    if fields.is_default or await _default_id(session, owner_id) is None:
        await set_default_schedule(session, owner_id, row.id)
    return _schedule(row, await _default_id(session, owner_id))


async def save_schedule(session: AsyncSession, schedule: Schedule) -> None:
    """Insert or replace a schedule with its own id (configuration apply)."""
    row = await session.get(ScheduleRow, schedule.id) or ScheduleRow(id=schedule.id)
    row.owner_id, row.data = schedule.owner_id, schedule.wire()
    session.add(row)
    if schedule.is_default:
        await set_default_schedule(session, schedule.owner_id, schedule.id)


async def update_schedule(session: AsyncSession, schedule_id: int, fields: ScheduleFields) -> Schedule:
    row = await session.get(ScheduleRow, schedule_id)
    assert row is not None
    row.data = fields.wire()
    if fields.is_default:
        await set_default_schedule(session, row.owner_id, row.id)
    elif await _default_id(session, row.owner_id) == row.id:
        await set_default_schedule(session, row.owner_id, None)
    return _schedule(row, await _default_id(session, row.owner_id))


async def get_schedule(session: AsyncSession, schedule_id: int) -> Schedule | None:
    row = await session.get(ScheduleRow, schedule_id)
    return _schedule(row, await _default_id(session, row.owner_id)) if row else None


async def list_schedules(session: AsyncSession, owner_id: int | None = None) -> list[Schedule]:
    query = select(ScheduleRow).order_by(ScheduleRow.id)
    if owner_id is not None:
        query = query.where(ScheduleRow.owner_id == owner_id)
    rows = list(await session.scalars(query))
    defaults = {o: await _default_id(session, o) for o in {r.owner_id for r in rows}}
    return [_schedule(r, defaults[r.owner_id]) for r in rows]


async def delete_schedule(session: AsyncSession, schedule_id: int) -> None:
    row = await session.get(ScheduleRow, schedule_id)
    if row is None:
        return
    if await _default_id(session, row.owner_id) == row.id:
        await set_default_schedule(session, row.owner_id, None)
    await session.delete(row)


# -- out of office -------------------------------------------------------------------------------------


def _ooo(row: OutOfOfficeRow) -> OutOfOffice:
    return OutOfOffice.model_validate(row.data | {"id": row.id, "userId": row.user_id})


async def save_out_of_office(
    session: AsyncSession, entry: OutOfOffice | None, user_id: int, fields: Any
) -> OutOfOffice:
    """Create (``entry`` None) or replace an entry; ``fields`` is an OutOfOfficeFields or OutOfOffice."""
    row = await session.get(OutOfOfficeRow, entry.id) if entry else None
    if row is None:
        next_id = entry.id if entry else (await session.scalar(select(func.max(OutOfOfficeRow.id))) or 0) + 1
        row = OutOfOfficeRow(id=next_id, user_id=user_id)
    data = fields.wire()
    data.pop("id", None)
    data.pop("userId", None)
    row.user_id, row.start, row.end, row.data = user_id, fields.start, fields.end, data
    session.add(row)
    await session.flush()
    return _ooo(row)


async def overlapping_out_of_office(
    session: AsyncSession, user_id: int, start: datetime, end: datetime, ignore_id: int | None = None
) -> OutOfOffice | None:
    query = select(OutOfOfficeRow).where(
        OutOfOfficeRow.user_id == user_id, OutOfOfficeRow.start < end, OutOfOfficeRow.end > start
    )
    if ignore_id is not None:
        query = query.where(OutOfOfficeRow.id != ignore_id)
    row = await session.scalar(query.limit(1))
    return _ooo(row) if row else None


async def get_out_of_office(session: AsyncSession, entry_id: int) -> OutOfOffice | None:
    row = await session.get(OutOfOfficeRow, entry_id)
    return _ooo(row) if row else None


async def list_out_of_office(session: AsyncSession, user_id: int | None = None) -> list[OutOfOffice]:
    query = select(OutOfOfficeRow).order_by(OutOfOfficeRow.start, OutOfOfficeRow.id)
    if user_id is not None:
        query = query.where(OutOfOfficeRow.user_id == user_id)
    return [_ooo(r) for r in await session.scalars(query)]


async def delete_out_of_office(session: AsyncSession, entry_id: int) -> None:
    await session.execute(delete(OutOfOfficeRow).where(OutOfOfficeRow.id == entry_id))


async def out_of_office_at(session: AsyncSession, user_ids: Sequence[int], at: datetime) -> list[OutOfOffice]:
    """The entries of these users covering the instant ``at``."""
    query = select(OutOfOfficeRow).where(
        OutOfOfficeRow.user_id.in_(user_ids), OutOfOfficeRow.start <= at, OutOfOfficeRow.end > at
    )
    return [_ooo(r) for r in await session.scalars(query)]


# -- holds ---------------------------------------------------------------------------------------------


def _live(now: datetime) -> Any:
    return HoldRow.active.is_(True) & or_(HoldRow.release_at.is_(None), HoldRow.release_at > now)


async def purge_expired(session: AsyncSession, host_ids: Sequence[int], now: datetime) -> None:
    """Drop reservations past their release time (they would still trip PostgreSQL's constraint)."""
    await session.execute(
        delete(HoldRow).where(HoldRow.host_id.in_(host_ids), HoldRow.release_at.is_not(None), HoldRow.release_at <= now)
    )


async def add_holds(session: AsyncSession, holds: Sequence[Hold], now: datetime) -> None:
    """Insert ``holds`` unless one overlaps an active, live hold of its host (``HoldConflict``)."""
    await purge_expired(session, sorted({h.host_id for h in holds}), now)
    rows = []
    for hold in holds:
        start = hold.slot_start - timedelta(minutes=hold.before)
        end = hold.slot_end + timedelta(minutes=hold.after)
        if hold.active:
            await _refuse_overlap(session, hold.host_id, start, end, now)
        rows.append(
            HoldRow(
                host_id=hold.host_id,
                kind=hold.kind,
                uid=hold.uid,
                event_type_id=hold.event_type_id,
                status=hold.status,
                start=start,
                end=end,
                start_s=int(start.timestamp()),
                end_s=int(end.timestamp()),
                slot_start=hold.slot_start,
                slot_end=hold.slot_end,
                release_at=hold.release_at,
                active=hold.active,
                data=hold.data or {},
            )
        )
    session.add_all(rows)
    try:
        await session.flush()
    except IntegrityError as error:
        if "holds_no_overlap" not in str(error.orig):
            raise
        # PostgreSQL's exclusion constraint: another process won the race.
        raise HoldConflict("(concurrent)", "hold") from None


async def _refuse_overlap(
    session: AsyncSession, host_id: int, start: datetime, end: datetime, now: datetime, uid: str | None = None
) -> None:
    """``HoldConflict`` if ``[start, end)`` overlaps an active, live hold of the host (other than ``uid``'s)."""
    query = select(HoldRow).where(HoldRow.host_id == host_id, HoldRow.start < end, HoldRow.end > start, _live(now))
    if uid is not None:
        query = query.where(HoldRow.uid != uid)
    clash = await session.scalar(query.limit(1))
    if clash is not None:
        raise HoldConflict(clash.uid, clash.kind)


async def set_status(session: AsyncSession, uid: str, status: str, holds_time: bool | None = None) -> None:
    """Follow a booking's status: ``holds_time`` (default: holding statuses hold) says whether it keeps the time."""
    active = status in HOLDING if holds_time is None else holds_time
    await session.execute(
        update(HoldRow).where(HoldRow.uid == uid, HoldRow.kind == BOOKING).values(status=status, active=active)
    )


async def claim(session: AsyncSession, uid: str, now: datetime) -> None:
    """Make booking ``uid``'s holds hold the time (a booking awaiting confirmation is being confirmed).

    ``HoldConflict`` if another booking or reservation took the time meanwhile. The hosts are locked first,
    as ``store.bookings.reserve`` locks them, so the check and the change are one step.
    """
    rows = list(await session.scalars(select(HoldRow).where(HoldRow.uid == uid, HoldRow.kind == BOOKING)))
    waiting = [r for r in rows if not r.active and r.status == "PENDING"]
    if not waiting:
        return
    await lock_hosts(session, [r.host_id for r in waiting])
    for row in waiting:
        await _refuse_overlap(session, row.host_id, as_utc(row.start), as_utc(row.end), now, uid)
        row.active = True
    await session.flush()


async def release(session: AsyncSession, uid: str) -> None:
    """Drop every hold of ``uid`` (a booking that was never started, or a released reservation)."""
    await session.execute(delete(HoldRow).where(HoldRow.uid == uid))


async def reservation(session: AsyncSession, uid: str, now: datetime) -> list[HoldRow]:
    """The live hold rows of reservation ``uid`` (one per host)."""
    query = select(HoldRow).where(HoldRow.uid == uid, HoldRow.kind == RESERVATION, _live(now))
    return list(await session.scalars(query))


async def conflicting_kind(
    session: AsyncSession, host_ids: Sequence[int], start: datetime, end: datetime, now: datetime, ignore: str
) -> str | None:
    """The kind of live hold (booking or reservation) overlapping ``[start, end)`` for these hosts, if any."""
    query = select(HoldRow.kind).where(
        HoldRow.host_id.in_(host_ids),
        HoldRow.slot_start < end,
        HoldRow.slot_end > start,
        HoldRow.uid != ignore,
        _live(now),
    )
    kinds = set(await session.scalars(query))
    return BOOKING if BOOKING in kinds else next(iter(kinds), None)


async def lock_hosts(session: AsyncSession, host_ids: Sequence[int]) -> None:
    """Serialise writers of these hosts' time (PostgreSQL row locks in id order; SQLite holds its write lock)."""
    await session.execute(
        select(config.UserRow.id)
        .where(config.UserRow.id.in_(sorted(host_ids)))
        .order_by(config.UserRow.id)
        .with_for_update()
    )


# -- loading what the engine needs ---------------------------------------------------------------------


async def _users_and_schedules(
    session: AsyncSession, host_ids: Sequence[int], event_type: EventType | None
) -> tuple[dict[int, User], dict[int, Schedule]]:
    """The hosts and the schedule that applies to each, in one round trip (users joined to their schedules)."""
    query = (
        select(config.UserRow.id, config.UserRow.data, ScheduleRow)
        .outerjoin(ScheduleRow, ScheduleRow.owner_id == config.UserRow.id)
        .where(config.UserRow.id.in_(host_ids))
    )
    users: dict[int, User] = {}
    owned: dict[int, dict[int, ScheduleRow]] = {}
    for user_id, data, schedule in await session.execute(query):
        if user_id not in users:
            users[user_id] = User.model_validate(data)
        if schedule is not None:
            owned.setdefault(user_id, {})[schedule.id] = schedule
    schedules: dict[int, Schedule] = {}
    for user in users.values():
        # The event type's schedule if it is the host's, else their default, else D1's working hours.
        mine = owned.get(user.id, {})
        candidates = [event_type.schedule_id if event_type else None, user.default_schedule_id]
        row = next((mine[i] for i in candidates if i in mine), None)
        schedules[user.id] = _schedule(row, user.default_schedule_id) if row else working_hours(user.id, user.time_zone)
    return users, schedules


async def _busy(
    session: AsyncSession, host_ids: Sequence[int], lo: datetime, hi: datetime, now: datetime, ignored: Sequence[str]
) -> dict[int, list[Busy]]:
    """Holds and out-of-office entries overlapping ``[lo, hi)``, in one round trip (a UNION ALL)."""
    no_time = cast(null(), DateTime(timezone=True))
    holds = select(HoldRow.host_id, HoldRow.start_s, HoldRow.end_s, HoldRow.kind, HoldRow.uid, no_time, no_time).where(
        HoldRow.host_id.in_(host_ids), HoldRow.start < hi, HoldRow.end > lo, _live(now)
    )
    if ignored:
        holds = holds.where(HoldRow.uid.not_in(ignored))
    # Out-of-office rows keep datetimes only; they are few, so they are converted here.
    away = select(
        OutOfOfficeRow.user_id,
        cast(null(), BigInteger),
        cast(null(), BigInteger),
        literal_column(f"'{OUT_OF_OFFICE}'"),
        cast(OutOfOfficeRow.id, String),
        OutOfOfficeRow.start,
        OutOfOfficeRow.end,
    ).where(OutOfOfficeRow.user_id.in_(host_ids), OutOfOfficeRow.start < hi, OutOfOfficeRow.end > lo)
    busy: dict[int, list[Busy]] = {h: [] for h in host_ids}
    for host_id, s, e, kind, uid, away_start, away_end in await session.execute(union_all(holds, away)):
        if kind == OUT_OF_OFFICE:
            busy[host_id].append(Busy.between(as_utc(away_start), as_utc(away_end), "out_of_office", uid))
        else:
            busy[host_id].append(Busy((s, e), "reservation" if kind == RESERVATION else "hold", uid))
    return busy


async def load_hosts(
    session: AsyncSession,
    event_type: EventType,
    host_ids: Sequence[int],
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    ignore: Sequence[str | None] = (),
) -> list[HostAvailability]:
    """Each host's user, schedule, busy time (holds, out of office, calendars) and, for limits, their bookings.

    Three round trips on the slots path (users with schedules; holds with out of office; calendars), a
    fourth only when booking limits apply: the store read, not the engine, dominates a slots request.
    """
    users, schedules = await _users_and_schedules(session, host_ids, event_type)
    wanted = [h for h in host_ids if h in users]
    lo, hi = start - MARGIN, end + MARGIN
    ignored = [u for u in ignore if u]
    busy = await _busy(session, wanted, lo, hi, now, ignored)
    for host_id, entries in (await calendars.busy_by_host(session, wanted, lo, hi, now)).items():
        busy[host_id].extend(entries)
    booked: dict[int, list[Booked]] = {h: [] for h in wanted}
    periods = [p for h in wanted if (p := counting_period(event_type, users[h])) is not None]
    if periods:
        span = max(COUNTING[p] for p in periods)
        booked_query = select(
            HoldRow.host_id, HoldRow.slot_start, HoldRow.slot_end, HoldRow.event_type_id, HoldRow.status
        ).where(
            HoldRow.host_id.in_(wanted),
            HoldRow.kind == BOOKING,
            HoldRow.active.is_(True),
            HoldRow.slot_start < end + span,
            HoldRow.slot_end > start - span,
        )
        if ignored:
            booked_query = booked_query.where(HoldRow.uid.not_in(ignored))
        for host_id, s, e, event_type_id, status in await session.execute(booked_query):
            booked[host_id].append(Booked(as_utc(s), as_utc(e), event_type_id, status == "ACCEPTED"))
    return [HostAvailability(users[h], schedules[h], busy[h], booked[h]) for h in wanted]


async def apply_configuration(session: AsyncSession, document: Configuration) -> None:
    """Save the schedules and out-of-office entries of a configuration (users are saved already)."""
    for schedule in document.schedules:
        await save_schedule(session, schedule)
    for entry in document.out_of_office:
        await save_out_of_office(session, entry, entry.user_id, entry)

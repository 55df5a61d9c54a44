"""Calendar connections (credentials sealed), their calendars and sync state, selected and destination
calendars, the stored copy of events with their busy time, and each booking's provider event.

Slots read busy time only from here (``busy_by_host``): never a provider call on the slots path. A
connection that cannot be read makes its host busy for the whole window (fail closed).
"""

import bisect
import functools
import json
import sys
import uuid
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, LargeBinary, String, Text, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.busy import Busy
from domain.calendars import (
    BookingReference,
    CalendarConnection,
    CalendarRef,
    ConnectedCalendar,
    ConnectionStatus,
    blocks_host,
)
from domain.config import EventType
from store.db import Base, as_utc
from store.secrets import SEALED_PREFIX, SecretsUnavailable, seal, unseal

USER_LEVEL = 0


class ConnectionRow(Base):
    __tablename__ = "calendar_connections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    integration: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    tentative_blocks: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    sync_error_count: Mapped[int] = mapped_column(Integer)
    sync_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalendarRow(Base):
    __tablename__ = "calendar_calendars"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connection_id: Mapped[int] = mapped_column(Integer, index=True)
    external_id: Mapped[str] = mapped_column(String(1024))
    name: Mapped[str] = mapped_column(Text)
    is_primary: Mapped[bool] = mapped_column(Boolean)
    read_only: Mapped[bool] = mapped_column(Boolean)
    sync_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    ctag: Mapped[str | None] = mapped_column(Text, nullable=True)
    event_count: Mapped[int] = mapped_column(Integer)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SelectedRow(Base):
    __tablename__ = "selected_calendars"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    integration: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(1024))
    credential_id: Mapped[int] = mapped_column(Integer, index=True)
    event_type_id: Mapped[int] = mapped_column(Integer)


class DestinationRow(Base):
    __tablename__ = "destination_calendars"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer)
    event_type_id: Mapped[int] = mapped_column(Integer)
    integration: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(1024))
    credential_id: Mapped[int] = mapped_column(Integer, index=True)
    primary_email: Mapped[str | None] = mapped_column(Text, nullable=True)


class EventRow(Base):
    __tablename__ = "calendar_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    calendar_row_id: Mapped[int] = mapped_column(Integer, index=True)
    event_id: Mapped[str] = mapped_column(String(1024))
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    ics: Mapped[str] = mapped_column(Text)


class BusyRow(Base):
    __tablename__ = "calendar_busy"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    calendar_row_id: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str] = mapped_column(String(1024))
    start_s: Mapped[int] = mapped_column(BigInteger)
    end_s: Mapped[int] = mapped_column(BigInteger)


class HostBusyRow(Base):
    """A host's busy time merged across their selected calendars (rebuilt whenever one of them changes).

    One row per host: the slots path reads ten rows for ten hosts, not thousands (bench calendars).
    """

    __tablename__ = "calendar_host_busy"
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # start_s, end_s, calendar index, start_s, …: little-endian int64s (``pack_spans``), merged and sorted by
    # start (so by end too). Binary, not JSON: decoding JSON was a third of the calendars' cost on slots.
    spans: Mapped[bytes] = mapped_column(LargeBinary)
    # JSON ["calendar <externalId>", ...]: what each index names, for explanations.
    calendars: Mapped[str] = mapped_column(Text)


class ReferenceRow(Base):
    __tablename__ = "booking_references"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booking_uid: Mapped[str] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(32))
    uid: Mapped[str] = mapped_column(String(1024))
    ical_uid: Mapped[str] = mapped_column(String(255))
    external_calendar_id: Mapped[str] = mapped_column(String(1024))
    credential_id: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class StoredEvent:
    """One event object of a calendar as synced: its provider id, version, text and busy time."""

    event_id: str
    etag: str | None
    ics: str
    busy: Sequence[tuple[datetime, datetime]]


@dataclass(frozen=True)
class CalendarState:
    """A calendar's row id and what its last sync left: the sync token and the change marker."""

    row_id: int
    external_id: str
    sync_token: str | None
    ctag: str | None


# -- connections ---------------------------------------------------------------------------------------


def _connection(row: ConnectionRow) -> CalendarConnection:
    return CalendarConnection(
        id=row.id,
        uid=row.uid,
        user_id=row.user_id,
        integration=row.integration,
        url=row.url,
        tentative_blocks=row.tentative_blocks,
        status=row.status,  # type: ignore[arg-type]
        sync_error_count=row.sync_error_count,
        sync_error_at=as_utc(row.sync_error_at),
        error=row.error,
        last_sync_at=as_utc(row.last_sync_at),
        created_at=as_utc(row.created_at),
    )


async def add_connection(
    session: AsyncSession,
    user_id: int,
    integration: str,
    url: str,
    credentials: Mapping[str, str],
    now: datetime,
    tentative_blocks: bool = False,
) -> CalendarConnection:
    """Save a connection with its ``credentials`` sealed; it stays ``pending`` until its first sync."""
    row = ConnectionRow(
        uid=uuid.uuid4().hex,
        user_id=user_id,
        integration=integration,
        url=url,
        key=seal(session, json.dumps(dict(credentials))),
        tentative_blocks=tentative_blocks,
        status="pending",
        sync_error_count=0,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return _connection(row)


async def get_connection(session: AsyncSession, connection_id: int) -> CalendarConnection | None:
    row = await session.get(ConnectionRow, connection_id)
    return _connection(row) if row else None


async def list_connections(session: AsyncSession, user_id: int | None = None) -> list[CalendarConnection]:
    query = select(ConnectionRow).order_by(ConnectionRow.id)
    if user_id is not None:
        query = query.where(ConnectionRow.user_id == user_id)
    return [_connection(r) for r in await session.scalars(query)]


async def credentials_of(session: AsyncSession, connection_id: int) -> dict[str, str]:
    """The connection's credentials, unsealed (for the activity that calls the provider, never shown)."""
    row = await session.get(ConnectionRow, connection_id)
    if row is None:
        raise LookupError(f"calendar connection {connection_id} does not exist")
    return json.loads(unseal(session, row.key) or "{}")


async def update_credentials(session: AsyncSession, connection_id: int, changes: Mapping[str, str]) -> None:
    """Merge ``changes`` (a refreshed access token) into the connection's sealed credentials."""
    row = await session.get(ConnectionRow, connection_id)
    if row is not None:
        current = json.loads(unseal(session, row.key) or "{}")
        row.key = seal(session, json.dumps(current | dict(changes))) or row.key


async def delete_connection(session: AsyncSession, connection_id: int) -> None:
    """Remove the connection and everything it holds: calendars, their events and busy time, selections."""
    calendar_ids = select(CalendarRow.id).where(CalendarRow.connection_id == connection_id)
    await session.execute(delete(BusyRow).where(BusyRow.calendar_row_id.in_(calendar_ids)))
    await session.execute(delete(EventRow).where(EventRow.calendar_row_id.in_(calendar_ids)))
    await session.execute(delete(CalendarRow).where(CalendarRow.connection_id == connection_id))
    await session.execute(delete(SelectedRow).where(SelectedRow.credential_id == connection_id))
    await session.execute(delete(DestinationRow).where(DestinationRow.credential_id == connection_id))
    user_id = await session.scalar(select(ConnectionRow.user_id).where(ConnectionRow.id == connection_id))
    await session.execute(delete(ConnectionRow).where(ConnectionRow.id == connection_id))
    if user_id is not None:
        await rebuild_host_busy(session, user_id)


async def record_success(session: AsyncSession, connection_id: int, now: datetime) -> None:
    """A sync or write went through: the connection is healthy again."""
    await session.execute(
        update(ConnectionRow)
        .where(ConnectionRow.id == connection_id)
        .values(status="ok", error=None, sync_error_count=0, last_sync_at=now)
    )


async def record_failure(
    session: AsyncSession, connection_id: int, message: str, now: datetime, status: ConnectionStatus = "error"
) -> None:
    """A provider call failed: count it, keep when and why (Cal.com's syncErrorCount, syncErrorAt, error)."""
    await session.execute(
        update(ConnectionRow)
        .where(ConnectionRow.id == connection_id)
        .values(status=status, error=message, sync_error_count=ConnectionRow.sync_error_count + 1, sync_error_at=now)
    )


def seal_state(session: AsyncSession, payload: str) -> str:
    """``payload`` encrypted and authenticated (Fernet) under the stored-secrets key, for an OAuth ``state``."""
    return (seal(session, payload) or "").removeprefix(SEALED_PREFIX)


def open_state(session: AsyncSession, token: str) -> str | None:
    """The payload of a ``seal_state`` token; None for anything else (forged, altered, another key's)."""
    try:
        # The mark is added here, never taken from the caller: an unmarked value would be read as plaintext.
        return unseal(session, SEALED_PREFIX + token)
    except SecretsUnavailable:
        return None


# -- the calendars of a connection ---------------------------------------------------------------------


def _calendar(row: CalendarRow) -> ConnectedCalendar:
    return ConnectedCalendar(
        connection_id=row.connection_id,
        external_id=row.external_id,
        name=row.name,
        primary=row.is_primary,
        read_only=row.read_only,
        event_count=row.event_count,
        synced_at=as_utc(row.synced_at),
    )


async def save_calendars(session: AsyncSession, connection_id: int, found: Sequence[ConnectedCalendar]) -> None:
    """Make the connection's calendars those ``found``; a calendar gone at the provider leaves with its events."""
    rows = {
        r.external_id: r
        for r in await session.scalars(select(CalendarRow).where(CalendarRow.connection_id == connection_id))
    }
    for calendar in found:
        row = rows.pop(calendar.external_id, None) or CalendarRow(
            connection_id=connection_id, external_id=calendar.external_id, event_count=0
        )
        row.name, row.is_primary, row.read_only = calendar.name, calendar.primary, calendar.read_only
        session.add(row)
    for gone in rows.values():
        await session.execute(delete(BusyRow).where(BusyRow.calendar_row_id == gone.id))
        await session.execute(delete(EventRow).where(EventRow.calendar_row_id == gone.id))
        await session.delete(gone)
    await session.flush()
    if rows:
        user_id = await session.scalar(select(ConnectionRow.user_id).where(ConnectionRow.id == connection_id))
        if user_id is not None:
            await rebuild_host_busy(session, user_id)


async def calendars_of(session: AsyncSession, connection_id: int) -> list[ConnectedCalendar]:
    query = select(CalendarRow).where(CalendarRow.connection_id == connection_id).order_by(CalendarRow.id)
    return [_calendar(r) for r in await session.scalars(query)]


async def sync_states(session: AsyncSession, connection_id: int, external_ids: Sequence[str]) -> list[CalendarState]:
    """The sync state of these calendars of the connection (those it lists)."""
    query = select(CalendarRow).where(
        CalendarRow.connection_id == connection_id, CalendarRow.external_id.in_(list(external_ids))
    )
    return [CalendarState(r.id, r.external_id, r.sync_token, r.ctag) for r in await session.scalars(query)]


async def apply_sync(
    session: AsyncSession,
    state: CalendarState,
    user_id: int,
    *,
    token: str | None,
    ctag: str | None,
    full: bool,
    changed: Sequence[StoredEvent],
    deleted: Sequence[str],
    now: datetime,
) -> None:
    """Store what one sync of a calendar brought: a full sync replaces the copy, an incremental one patches it."""
    calendar = state.row_id
    gone = [e.event_id for e in changed] + list(deleted)
    if full:
        await session.execute(delete(BusyRow).where(BusyRow.calendar_row_id == calendar))
        await session.execute(delete(EventRow).where(EventRow.calendar_row_id == calendar))
    elif gone:
        await session.execute(delete(BusyRow).where(BusyRow.calendar_row_id == calendar, BusyRow.event_id.in_(gone)))
        await session.execute(delete(EventRow).where(EventRow.calendar_row_id == calendar, EventRow.event_id.in_(gone)))
    for event in changed:
        session.add(EventRow(calendar_row_id=calendar, event_id=event.event_id, etag=event.etag, ics=event.ics))
        session.add_all(
            BusyRow(
                calendar_row_id=calendar,
                user_id=user_id,
                event_id=event.event_id,
                start_s=int(s.timestamp()),
                end_s=int(e.timestamp()),
            )
            for s, e in event.busy
        )
    await session.flush()
    count = await session.scalar(select(func.count()).select_from(EventRow).where(EventRow.calendar_row_id == calendar))
    await session.execute(
        update(CalendarRow)
        .where(CalendarRow.id == calendar)
        .values(sync_token=token, ctag=ctag, event_count=count or 0, synced_at=now)
    )
    if full or changed or deleted:
        await rebuild_host_busy(session, user_id)


async def mark_checked(session: AsyncSession, state: CalendarState, now: datetime) -> None:
    """The change marker said nothing changed: the copy is current as of ``now``."""
    await session.execute(update(CalendarRow).where(CalendarRow.id == state.row_id).values(synced_at=now))


async def stored_events(session: AsyncSession, state: CalendarState) -> list[tuple[str, str | None, str]]:
    """(event id, etag, iCalendar text) of every stored event of the calendar."""
    query = select(EventRow.event_id, EventRow.etag, EventRow.ics).where(EventRow.calendar_row_id == state.row_id)
    return [tuple(r) for r in await session.execute(query)]  # type: ignore[misc]


# -- selected calendars --------------------------------------------------------------------------------


async def select_calendar(
    session: AsyncSession, user_id: int, ref: CalendarRef, event_type_id: int | None = None
) -> None:
    """Check this calendar for conflicts (idempotent); ``event_type_id`` None is the user level."""
    level = event_type_id or USER_LEVEL
    existing = await session.scalar(
        select(SelectedRow.id).where(
            SelectedRow.user_id == user_id,
            SelectedRow.integration == ref.integration,
            SelectedRow.external_id == ref.external_id,
            SelectedRow.event_type_id == level,
        )
    )
    if existing is None:
        session.add(
            SelectedRow(
                user_id=user_id,
                integration=ref.integration,
                external_id=ref.external_id,
                credential_id=ref.credential_id,
                event_type_id=level,
            )
        )
        await session.flush()
        await rebuild_host_busy(session, user_id)


async def unselect_calendar(
    session: AsyncSession, user_id: int, ref: CalendarRef, event_type_id: int | None = None
) -> bool:
    """Stop checking the calendar; False when it was not selected."""
    result = await session.execute(
        delete(SelectedRow).where(
            SelectedRow.user_id == user_id,
            SelectedRow.integration == ref.integration,
            SelectedRow.external_id == ref.external_id,
            SelectedRow.credential_id == ref.credential_id,
            SelectedRow.event_type_id == (event_type_id or USER_LEVEL),
        )
    )
    await rebuild_host_busy(session, user_id)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def selected_of(session: AsyncSession, user_ids: Sequence[int]) -> list[tuple[int, CalendarRef]]:
    """(user id, calendar) of every user-level selected calendar of these users."""
    query = select(SelectedRow).where(SelectedRow.user_id.in_(list(user_ids)), SelectedRow.event_type_id == USER_LEVEL)
    return [
        (r.user_id, CalendarRef(integration=r.integration, external_id=r.external_id, credential_id=r.credential_id))
        for r in await session.scalars(query)
    ]


# -- destination calendars -----------------------------------------------------------------------------


async def set_destination(
    session: AsyncSession,
    ref: CalendarRef,
    *,
    user_id: int | None = None,
    event_type_id: int | None = None,
    primary_email: str | None = None,
) -> None:
    """Write bookings to ``ref``: for the user's bookings, or (winning over it) the event type's."""
    owner, level = (USER_LEVEL, event_type_id) if event_type_id else (user_id or USER_LEVEL, USER_LEVEL)
    row = await session.scalar(
        select(DestinationRow).where(DestinationRow.user_id == owner, DestinationRow.event_type_id == level)
    ) or DestinationRow(user_id=owner, event_type_id=level)
    row.integration, row.external_id, row.credential_id = ref.integration, ref.external_id, ref.credential_id
    row.primary_email = primary_email
    session.add(row)
    await session.flush()


async def destination_for(session: AsyncSession, user_id: int, event_type_id: int | None = None) -> CalendarRef | None:
    """Where a booking of ``user_id`` for ``event_type_id`` goes: the event type's destination, else the user's."""
    candidates = [(USER_LEVEL, event_type_id)] if event_type_id else []
    for owner, level in [*candidates, (user_id, USER_LEVEL)]:
        row = await session.scalar(
            select(DestinationRow).where(DestinationRow.user_id == owner, DestinationRow.event_type_id == level)
        )
        if row is not None:
            return CalendarRef(
                integration=row.integration, external_id=row.external_id, credential_id=row.credential_id
            )
    return None


async def destination_of_booking(session: AsyncSession, user_id: int, event_type: EventType) -> CalendarRef | None:
    """Where a booking of ``event_type`` hosted by ``user_id`` goes: the event type's ``destinationCalendar``
    when the host has it connected, else the event type's stored destination, else the host's own."""
    wanted = event_type.destination_calendar
    if wanted is not None:
        credential = await session.scalar(
            select(ConnectionRow.id)
            .join(CalendarRow, CalendarRow.connection_id == ConnectionRow.id)
            .where(
                ConnectionRow.user_id == user_id,
                ConnectionRow.integration == wanted.integration,
                CalendarRow.external_id == wanted.external_id,
            )
            .order_by(ConnectionRow.id)
            .limit(1)
        )
        if credential is not None:
            return CalendarRef(integration=wanted.integration, external_id=wanted.external_id, credential_id=credential)
    return await destination_for(session, user_id, event_type.id)


# -- busy time for availability ------------------------------------------------------------------------


async def rebuild_host_busy(session: AsyncSession, user_id: int) -> None:
    """Merge the busy time of the user's selected calendars into their one row (``calendar_host_busy``).

    Done when a sync, a selection or a disconnection changes it, so a slots request reads one short, sorted
    list per host instead of every event of every calendar (bench calendars: the slots overhead).
    """
    query = (
        select(BusyRow.start_s, BusyRow.end_s, CalendarRow.external_id)
        .join(CalendarRow, CalendarRow.id == BusyRow.calendar_row_id)
        .join(
            SelectedRow,
            (SelectedRow.credential_id == CalendarRow.connection_id)
            & (SelectedRow.external_id == CalendarRow.external_id)
            & (SelectedRow.user_id == user_id)
            & (SelectedRow.event_type_id == USER_LEVEL),
        )
        .where(BusyRow.user_id == user_id)
        .order_by(BusyRow.start_s, BusyRow.end_s)
    )
    spans: list[list[int]] = []
    names: dict[str, int] = {}
    for start_s, end_s, calendar in await session.execute(query):
        if spans and start_s <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end_s)
        else:
            spans.append([start_s, end_s, names.setdefault(f"calendar {calendar}", len(names))])
    await session.execute(delete(HostBusyRow).where(HostBusyRow.user_id == user_id))
    if spans:
        session.add(HostBusyRow(user_id=user_id, spans=pack_spans(spans), calendars=json.dumps(list(names))))
        await session.flush()


def pack_spans(spans: Sequence[Sequence[int]]) -> bytes:
    """[[start_s, end_s, calendar index], …] as little-endian int64s (the ``calendar_host_busy.spans`` column)."""
    packed = array("q", [value for span in spans for value in span])
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack_spans(blob: bytes) -> array:
    """The flat int64 array ``pack_spans`` wrote."""
    unpacked = array("q")
    unpacked.frombytes(blob)
    if sys.byteorder == "big":
        unpacked.byteswap()
    return unpacked


async def busy_by_host(
    session: AsyncSession, host_ids: Sequence[int], start: datetime, end: datetime, now: datetime
) -> dict[int, list[Busy]]:
    """Each host's calendar busy time in ``[start, end)`` from their selected calendars' stored copy.

    One read, of plain columns: each connection holding a host's selected calendars (for fail closed: a host
    with a selected calendar on a connection that cannot be read is busy for the whole window) with the
    host's merged row (``rebuild_host_busy``).
    """
    busy: dict[int, list[Busy]] = {h: [] for h in host_ids}
    selected_connections = select(SelectedRow.credential_id).where(
        SelectedRow.user_id.in_(list(host_ids)), SelectedRow.event_type_id == USER_LEVEL
    )
    query = (
        select(
            ConnectionRow.user_id,
            ConnectionRow.id,
            ConnectionRow.status,
            ConnectionRow.error,
            ConnectionRow.last_sync_at,
            HostBusyRow.spans,
            HostBusyRow.calendars,
        )
        .outerjoin(HostBusyRow, HostBusyRow.user_id == ConnectionRow.user_id)
        .where(ConnectionRow.id.in_(selected_connections))
    )
    blocked: set[int] = set()
    merged_rows: dict[int, tuple[bytes, str]] = {}
    for user_id, connection_id, status, error, last_sync_at, spans, calendars in await session.execute(query):
        if user_id not in busy or user_id in blocked:
            continue
        if blocks_host(status, as_utc(last_sync_at), now):
            reason = f"calendar connection {connection_id} cannot be read ({error or status})"
            busy[user_id] = [Busy.between(start, end, "calendar", reason)]
            blocked.add(user_id)
            merged_rows.pop(user_id, None)
        elif spans is not None:
            merged_rows[user_id] = (spans, calendars)  # the same row for each of the host's connections
    lo, hi = int(start.timestamp()), int(end.timestamp())
    for user_id, (spans, calendars) in merged_rows.items():
        starts, ends, entries = _decoded(spans, calendars)
        # Merged spans are sorted by end as well as start: the window is two bisections, a slice of shared
        # (immutable) Busy values.
        busy[user_id].extend(entries[bisect.bisect_right(ends, lo) : bisect.bisect_left(starts, hi)])
    return busy


@functools.lru_cache(maxsize=4096)
def _decoded(spans: bytes, calendars: str) -> tuple[array, array, list[Busy]]:
    """A host's merged row as (starts, ends, Busy values), kept while the row stays the same: the slots path
    then makes no object per interval (a host's row changes only when their calendars do)."""
    flat, names = unpack_spans(spans), json.loads(calendars)
    entries = [Busy((flat[i], flat[i + 1]), "calendar", names[flat[i + 2]]) for i in range(0, len(flat), 3)]
    return flat[0::3], flat[1::3], entries


async def busy_times(
    session: AsyncSession, user_id: int, refs: Sequence[CalendarRef], start: datetime, end: datetime
) -> list[tuple[datetime, datetime, str]]:
    """(start, end, event id) of the stored busy time of these calendars of ``user_id`` (the busy-times route)."""
    rows = await session.scalars(
        select(CalendarRow).where(CalendarRow.connection_id.in_({r.credential_id for r in refs}))
    )
    wanted = {(r.credential_id, r.external_id) for r in refs}
    calendars = [row.id for row in rows if (row.connection_id, row.external_id) in wanted]
    query = (
        select(BusyRow.start_s, BusyRow.end_s, BusyRow.event_id)
        .where(
            BusyRow.calendar_row_id.in_(calendars),
            BusyRow.user_id == user_id,
            BusyRow.start_s < int(end.timestamp()),
            BusyRow.end_s > int(start.timestamp()),
        )
        .order_by(BusyRow.start_s)
    )
    return [(_moment(s), _moment(e), event_id) for s, e, event_id in await session.execute(query)]


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# -- booking references --------------------------------------------------------------------------------


def _reference(row: ReferenceRow) -> BookingReference:
    return BookingReference(
        booking_uid=row.booking_uid,
        type=row.type,
        uid=row.uid,
        ical_uid=row.ical_uid,
        external_calendar_id=row.external_calendar_id,
        credential_id=row.credential_id,
        sequence=row.sequence,
        deleted=row.deleted,
    )


async def references_of(session: AsyncSession, booking_uid: str) -> list[BookingReference]:
    query = select(ReferenceRow).where(ReferenceRow.booking_uid == booking_uid).order_by(ReferenceRow.id)
    return [_reference(r) for r in await session.scalars(query)]


async def save_reference(session: AsyncSession, reference: BookingReference, now: datetime) -> None:
    """Insert or replace the booking's reference of this type."""
    row = await session.scalar(
        select(ReferenceRow).where(
            ReferenceRow.booking_uid == reference.booking_uid, ReferenceRow.type == reference.type
        )
    ) or ReferenceRow(booking_uid=reference.booking_uid, type=reference.type)
    values: dict[str, Any] = reference.model_dump(exclude={"booking_uid", "type"})
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = now
    session.add(row)
    await session.flush()

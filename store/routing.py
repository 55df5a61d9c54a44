"""Routing forms (every version kept), attributes and their user assignments, form responses with
their decisions, and the host assignment history that makes round-robin choice fair.
"""

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, UniqueConstraint, delete, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import CamelModel
from domain.routing_config import ConfiguredAttribute
from domain.routing_forms import (
    AssignmentRecord,
    Attribute,
    AttributeAssignment,
    RoutingDecision,
    RoutingForm,
)
from store.db import Base, as_utc

# A decision not yet made is SQL NULL, not JSON null.
NULLABLE_JSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class RoutingFormRow(Base):
    __tablename__ = "routing_forms"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]]


class RoutingFormVersionRow(Base):
    """Every version a form had: a response is decided, explained and replayed against its own."""

    __tablename__ = "routing_form_versions"
    form_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    author: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]]


class AttributeRow(Base):
    __tablename__ = "routing_attributes"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]]


class AttributeAssignmentRow(Base):
    __tablename__ = "routing_attribute_assignments"
    __table_args__ = (UniqueConstraint("user_id", "attribute_id", "option_id", "value"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    attribute_id: Mapped[str] = mapped_column(String(64), index=True)
    option_id: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(String(255))
    weight: Mapped[int | None] = mapped_column(Integer)


class ResponseRow(Base):
    __tablename__ = "routing_responses"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    form_id: Mapped[str] = mapped_column(String(64), index=True)
    form_version: Mapped[int] = mapped_column(Integer)
    form_filler_id: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    answers: Mapped[dict[str, Any]]
    values: Mapped[dict[str, Any]]
    decision: Mapped[dict[str, Any] | None] = mapped_column(NULLABLE_JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booking_uid: Mapped[str | None] = mapped_column(String(64), unique=True)
    booked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booking_token_hash: Mapped[str | None] = mapped_column(String(64))
    # The host the decision chose, counted as an assignment until the response is booked (or goes stale).
    host_user_id: Mapped[int | None] = mapped_column(Integer)
    host_event_type_id: Mapped[int | None] = mapped_column(Integer)


class HostCounterRow(Base):
    """Assignments per (form, route, host); locking a route's rows serializes its weighted host choice."""

    __tablename__ = "routing_host_counters"
    form_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    route_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    assigned: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HostAssignmentRow(Base):
    __tablename__ = "routing_host_assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    event_type_id: Mapped[int] = mapped_column(Integer, index=True)
    booking_uid: Mapped[str] = mapped_column(String(64), unique=True)
    response_id: Mapped[int | None] = mapped_column(BigInteger)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


def _now() -> datetime:
    return datetime.now(UTC)


# -- forms ------------------------------------------------------------------------------------------


def _content(form: RoutingForm) -> dict[str, Any]:
    """What counts as a change: everything but the version number."""
    return form.model_dump(mode="json", exclude={"version"})


async def get_form(session: AsyncSession, form_id: str, version: int | None = None) -> RoutingForm | None:
    """The form as it is now, or as it was at ``version``."""
    if version is None:
        row = await session.get(RoutingFormRow, form_id)
    else:
        row = await session.get(RoutingFormVersionRow, (form_id, version))
    return RoutingForm.model_validate(row.data) if row else None


async def list_forms(session: AsyncSession) -> list[RoutingForm]:
    rows = await session.scalars(select(RoutingFormRow).order_by(RoutingFormRow.created_at, RoutingFormRow.id))
    return [RoutingForm.model_validate(r.data) for r in rows]


async def _last_version(session: AsyncSession, form_id: str) -> int:
    """The highest version ever stored for ``form_id`` (0 if none; a deleted form keeps its versions)."""
    return (
        await session.scalar(
            select(func.max(RoutingFormVersionRow.version)).where(RoutingFormVersionRow.form_id == form_id)
        )
        or 0
    )


async def save_form(session: AsyncSession, form: RoutingForm, author: str | None = None) -> RoutingForm:
    """Insert ``form`` or, if its content changed, store it as the next version; return what is stored.

    The version always grows on a change (compiled rules are cached per version), and every version
    is kept, with its author and time, so each response stays explainable against the rules that
    decided it.
    """
    now = _now()
    row = await session.get(RoutingFormRow, form.id)
    if row is not None:
        current = RoutingForm.model_validate(row.data)
        if _content(current) == _content(form):
            return current
        form = form.model_copy(update={"version": max(form.version, current.version + 1)})
    else:
        row = RoutingFormRow(id=form.id, created_at=now)
        if (last := await _last_version(session, form.id)) >= form.version:  # re-created after a delete
            form = form.model_copy(update={"version": last + 1})
    row.name, row.version, row.updated_at, row.data = form.name, form.version, now, form.wire()
    session.add(row)
    version = RoutingFormVersionRow(form_id=form.id, version=form.version, created_at=now, author=author)
    version.data = form.wire()
    session.add(version)
    await session.flush()
    return form


class FormVersion(CamelModel):
    """One stored version of a form: who saved it, and when."""

    version: int
    created_at: datetime
    author: str | None = None
    form: RoutingForm


async def list_versions(session: AsyncSession, form_id: str) -> list[FormVersion]:
    """Every version of the form, oldest first."""
    rows = await session.scalars(
        select(RoutingFormVersionRow)
        .where(RoutingFormVersionRow.form_id == form_id)
        .order_by(RoutingFormVersionRow.version)
    )
    return [
        FormVersion(
            version=r.version, created_at=as_utc(r.created_at), author=r.author, form=RoutingForm.model_validate(r.data)
        )
        for r in rows
    ]


async def delete_form(session: AsyncSession, form_id: str) -> bool:
    """Remove the live form; its versions and responses stay (responses remain explainable). False if absent."""
    deleted = await session.execute(delete(RoutingFormRow).where(RoutingFormRow.id == form_id))
    return bool(deleted.rowcount)


# -- attributes -------------------------------------------------------------------------------------


async def list_attributes(session: AsyncSession) -> list[Attribute]:
    rows = await session.scalars(select(AttributeRow).order_by(AttributeRow.id))
    return [Attribute.model_validate(r.data) for r in rows]


async def get_attribute(session: AsyncSession, attribute_id: str) -> Attribute | None:
    row = await session.get(AttributeRow, attribute_id)
    return Attribute.model_validate(row.data) if row else None


async def save_attribute(session: AsyncSession, attribute: Attribute) -> None:
    row = await session.get(AttributeRow, attribute.id) or AttributeRow(id=attribute.id)
    row.data = Attribute.model_validate(attribute.model_dump()).wire()
    session.add(row)


async def list_assignments(session: AsyncSession, attribute_id: str | None = None) -> list[AttributeAssignment]:
    query = select(AttributeAssignmentRow).order_by(AttributeAssignmentRow.id)
    if attribute_id is not None:
        query = query.where(AttributeAssignmentRow.attribute_id == attribute_id)
    return [
        AttributeAssignment(
            user_id=r.user_id, attribute_id=r.attribute_id, option_id=r.option_id, value=r.value, weight=r.weight
        )
        for r in await session.scalars(query)
    ]


async def replace_assignments(
    session: AsyncSession, attribute_id: str, assignments: Sequence[AttributeAssignment]
) -> None:
    """Make ``assignments`` the complete list of who holds ``attribute_id``."""
    await session.execute(delete(AttributeAssignmentRow).where(AttributeAssignmentRow.attribute_id == attribute_id))
    for a in assignments:
        session.add(
            AttributeAssignmentRow(
                user_id=a.user_id, attribute_id=attribute_id, option_id=a.option_id, value=a.value, weight=a.weight
            )
        )


async def save_configured_attribute(session: AsyncSession, configured: ConfiguredAttribute) -> None:
    await save_attribute(session, configured.attribute())
    await replace_assignments(session, configured.id, configured.user_assignments())


async def list_configured_attributes(session: AsyncSession) -> list[ConfiguredAttribute]:
    assignments = await list_assignments(session)
    return [ConfiguredAttribute.of(a, assignments) for a in await list_attributes(session)]


# -- responses --------------------------------------------------------------------------------------


class StoredResponseRecord:
    """A response row as the API, the workflow and the CLI read it."""

    def __init__(self, row: ResponseRow) -> None:
        self.id = row.id
        self.form_id = row.form_id
        self.form_version = row.form_version
        self.form_filler_id = row.form_filler_id
        self.email = row.email
        self.answers: dict[str, Any] = row.answers
        self.values: dict[str, Any] = row.values
        self.decision = RoutingDecision.model_validate(row.decision) if row.decision else None
        self.created_at = as_utc(row.created_at)
        self.decided_at = as_utc(row.decided_at) if row.decided_at else None
        self.booking_uid = row.booking_uid
        self.booked_at = as_utc(row.booked_at) if row.booked_at else None
        self.booking_token_hash = row.booking_token_hash

    def token_matches(self, token: str | None) -> bool:
        """Is ``token`` this response's booking token (compared in constant time)?"""
        if not token or self.booking_token_hash is None:
            return False
        return secrets.compare_digest(token_hash(token), self.booking_token_hash)


# Random 53-bit ids: unguessable, yet exact as a JSON number in every client (JavaScript's safe integers).
RESPONSE_ID_FLOOR = 2**40
RESPONSE_ID_SPAN = 2**53 - RESPONSE_ID_FLOOR


def new_response_id() -> int:
    return RESPONSE_ID_FLOOR + secrets.randbelow(RESPONSE_ID_SPAN)


def token_hash(token: str) -> str:
    """What the store keeps of a booking token: its SHA-256 (the token itself goes only to the submitter)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def add_response(
    session: AsyncSession,
    form: RoutingForm,
    answers: dict[str, Any],
    values: dict[str, Any],
    email: str | None,
    at: datetime,
) -> tuple[StoredResponseRecord, str]:
    """Store a submission (not yet decided) under a new random id and formFillerId.

    Returns the record and its one-time booking token, which only the submitter receives.
    """
    token = secrets.token_urlsafe(24)
    row = ResponseRow(
        id=new_response_id(),
        booking_token_hash=token_hash(token),
        form_id=form.id,
        form_version=form.version,
        form_filler_id=uuid.uuid4().hex,
        email=email.lower() if email else None,
        answers=answers,
        values=values,
        decision=None,
        created_at=at,
    )
    session.add(row)
    await session.flush()
    return StoredResponseRecord(row), token


async def get_response(session: AsyncSession, response_id: int) -> StoredResponseRecord | None:
    row = await session.get(ResponseRow, response_id)
    return StoredResponseRecord(row) if row else None


async def record_decision(
    session: AsyncSession, response_id: int, decision: RoutingDecision, at: datetime
) -> RoutingDecision:
    """Store the response's decision unless it has one already; return the one that stands."""
    row = await session.get(ResponseRow, response_id, with_for_update=True)
    if row is None:
        raise KeyError(response_id)
    if row.decision is not None:
        return RoutingDecision.model_validate(row.decision)
    row.decision, row.decided_at = decision.wire(), at
    if decision.host_user_id is not None and decision.action.event_type_id is not None:
        row.host_user_id, row.host_event_type_id = decision.host_user_id, decision.action.event_type_id
        await _count_assignment(session, decision, at)
    return decision


async def list_responses(
    session: AsyncSession, form_id: str, limit: int, before: tuple[datetime, int] | None = None
) -> list[StoredResponseRecord]:
    """A page of the form's responses, newest first; ``before`` is the (createdAt, id) of the last one seen."""
    query = select(ResponseRow).where(ResponseRow.form_id == form_id)
    if before is not None:
        at, last_id = before
        query = query.where(
            (ResponseRow.created_at < at) | ((ResponseRow.created_at == at) & (ResponseRow.id < last_id))
        )
    rows = await session.scalars(query.order_by(ResponseRow.created_at.desc(), ResponseRow.id.desc()).limit(limit))
    return [StoredResponseRecord(r) for r in rows]


# -- weighted host choice under concurrency --------------------------------------------------------


async def lock_host_counters(session: AsyncSession, form_id: str, route_id: str, user_ids: Sequence[int]) -> None:
    """Lock the (form, route, host) counters of the candidate hosts until the transaction ends.

    Two decisions of one route then choose one after the other, each seeing the other's assignment.
    PostgreSQL locks the rows (SELECT … FOR UPDATE, in user-id order so two lockers never deadlock);
    SQLite's write transaction already holds the database's write lock.
    """
    ids = sorted(set(user_ids))
    existing = set(
        await session.scalars(
            select(HostCounterRow.user_id).where(
                HostCounterRow.form_id == form_id, HostCounterRow.route_id == route_id, HostCounterRow.user_id.in_(ids)
            )
        )
    )
    missing = [i for i in ids if i not in existing]
    if missing:
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        rows = [{"form_id": form_id, "route_id": route_id, "user_id": i, "assigned": 0} for i in missing]
        await session.execute(insert(HostCounterRow).values(rows).on_conflict_do_nothing())
    await session.execute(
        select(HostCounterRow.user_id)
        .where(HostCounterRow.form_id == form_id, HostCounterRow.route_id == route_id, HostCounterRow.user_id.in_(ids))
        .order_by(HostCounterRow.user_id)
        .with_for_update()
    )


async def _count_assignment(session: AsyncSession, decision: RoutingDecision, at: datetime) -> None:
    assert decision.host_user_id is not None
    row = await session.get(HostCounterRow, (decision.form_id, decision.route_id, decision.host_user_id))
    if row is None:
        row = HostCounterRow(form_id=decision.form_id, route_id=decision.route_id, user_id=decision.host_user_id)
        row.assigned = 0
        session.add(row)
    row.assigned, row.updated_at = row.assigned + 1, at


async def host_counters(session: AsyncSession, form_id: str, route_id: str) -> dict[int, int]:
    """How many decisions of this route chose each host."""
    rows = await session.scalars(
        select(HostCounterRow).where(HostCounterRow.form_id == form_id, HostCounterRow.route_id == route_id)
    )
    return {r.user_id: r.assigned for r in rows}


async def decided_responses(
    session: AsyncSession, form_id: str, since: datetime | None = None
) -> list[StoredResponseRecord]:
    """The decided responses of a form, oldest first (what replay re-decides)."""
    query = select(ResponseRow).where(ResponseRow.form_id == form_id, ResponseRow.decided_at.is_not(None))
    if since is not None:
        query = query.where(ResponseRow.created_at >= since)
    rows = await session.scalars(query.order_by(ResponseRow.created_at, ResponseRow.id))
    return [StoredResponseRecord(r) for r in rows]


async def count_responses(session: AsyncSession, form_id: str | None = None) -> int:
    query = select(func.count()).select_from(ResponseRow)
    if form_id is not None:
        query = query.where(ResponseRow.form_id == form_id)
    return await session.scalar(query) or 0


class AlreadyBooked(Exception):
    """The response already led to a booking; one response makes at most one booking."""


async def link_booking(
    session: AsyncSession,
    response_id: int,
    booking_uid: str,
    host_user_id: int,
    event_type_id: int,
    at: datetime,
) -> None:
    """Mark the response booked and add the host's assignment to the round-robin history."""
    row = await session.get(ResponseRow, response_id, with_for_update=True)
    if row is None:
        raise KeyError(response_id)
    if row.booking_uid is not None and row.booking_uid != booking_uid:
        raise AlreadyBooked(f"routing response {response_id} was already booked as {row.booking_uid}")
    row.booking_uid, row.booked_at = booking_uid, at
    await record_assignment(session, booking_uid, host_user_id, event_type_id, at, response_id)


async def record_assignment(
    session: AsyncSession,
    booking_uid: str,
    host_user_id: int,
    event_type_id: int,
    at: datetime,
    response_id: int | None = None,
) -> None:
    """Add a booking's host to the round-robin history (once per booking; routed or not)."""
    exists = await session.scalar(select(HostAssignmentRow.id).where(HostAssignmentRow.booking_uid == booking_uid))
    if exists is None:
        session.add(
            HostAssignmentRow(
                user_id=host_user_id,
                event_type_id=event_type_id,
                booking_uid=booking_uid,
                response_id=response_id,
                assigned_at=at,
            )
        )


async def note_busy_hosts(session: AsyncSession, response_id: int, host_ids: list[int]) -> None:
    """Add to the response's routing trace that these routed hosts were dropped as busy at booking time."""
    row = await session.get(ResponseRow, response_id)
    if row is None or row.decision is None:
        return
    trace = dict(row.decision.get("trace") or {})
    note = "dropped as busy at the booking's time: " + ", ".join(f"user {h}" for h in host_ids)
    trace["notes"] = [*trace.get("notes", []), note]
    row.decision = {**row.decision, "trace": trace}


async def booked_recently(session: AsyncSession, form_id: str, email: str, since: datetime) -> bool:
    """Did ``email`` book through this form (any response of it) since ``since``?"""
    found = await session.scalar(
        select(ResponseRow.id).where(
            ResponseRow.form_id == form_id,
            ResponseRow.email == email.lower(),
            ResponseRow.booking_uid.is_not(None),
            ResponseRow.booked_at >= since,
        )
    )
    return found is not None


# A decided, not yet booked response holds its host's turn this long (then the submitter has gone).
PENDING_HOLD = timedelta(hours=24)


async def assignment_history(
    session: AsyncSession, event_type_ids: Sequence[int], since: datetime, now: datetime | None = None
) -> list[AssignmentRecord]:
    """Host assignments of these event types since ``since`` (the round-robin window): the booked ones,
    and the decided but not yet booked responses of the last ``PENDING_HOLD`` (so that submissions
    arriving together do not all go to the same host)."""
    ids = list(event_type_ids)
    rows = await session.scalars(
        select(HostAssignmentRow)
        .where(HostAssignmentRow.event_type_id.in_(ids), HostAssignmentRow.assigned_at >= since)
        .order_by(HostAssignmentRow.assigned_at, HostAssignmentRow.id)
    )
    booked = [
        AssignmentRecord(user_id=r.user_id, assigned_at=as_utc(r.assigned_at), event_type_id=r.event_type_id)
        for r in rows
    ]
    pending_since = max(since, (now or _now()) - PENDING_HOLD)
    pending = await session.execute(
        select(ResponseRow.host_user_id, ResponseRow.decided_at, ResponseRow.host_event_type_id).where(
            ResponseRow.host_event_type_id.in_(ids),
            ResponseRow.booking_uid.is_(None),
            ResponseRow.decided_at >= pending_since,
        )
    )
    held = [
        AssignmentRecord(user_id=user_id, assigned_at=as_utc(at), event_type_id=event_type_id)
        for user_id, at, event_type_id in pending
    ]
    return sorted(booked + held, key=lambda r: r.assigned_at)


def month_start(at: datetime) -> datetime:
    """Cal.com's default round-robin window: the current calendar month (UTC)."""
    return at.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def unlink_booking(session: AsyncSession, booking_uid: str) -> None:
    """Undo ``link_booking`` (the booking could not be started)."""
    await session.execute(delete(HostAssignmentRow).where(HostAssignmentRow.booking_uid == booking_uid))
    row = await session.scalar(select(ResponseRow).where(ResponseRow.booking_uid == booking_uid))
    if row is not None:
        row.booking_uid, row.booked_at = None, None

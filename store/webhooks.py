"""Webhook subscriptions, deliveries and their attempts."""

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text, UniqueConstraint, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.webhooks import Attempt, Delivery, DeliveryStatus, Subscription, dedupe_by_url
from store.db import Base, as_utc
from store.secrets import seal, unseal


class SubscriptionRow(Base):
    __tablename__ = "webhooks"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Cal.com's numeric id, from webhook_numbers; deliveries and workflows keep using the string id.
    number: Mapped[int | None] = mapped_column(Integer, unique=True, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    event_type_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subscriber_url: Mapped[str] = mapped_column(String(2048))
    triggers: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(Boolean)
    payload_template: Mapped[str | None] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(Text)
    time: Mapped[int | None] = mapped_column(Integer)
    time_unit: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookNumberRow(Base):
    """Hands out each subscription's numeric id, never reused (AUTOINCREMENT on SQLite, a sequence on PostgreSQL)."""

    __tablename__ = "webhook_numbers"
    __table_args__ = {"sqlite_autoincrement": True}
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(String(64), unique=True)


class DeliveryRow(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "subscription_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), index=True)
    subscription_id: Mapped[str] = mapped_column(String(64), index=True)
    trigger: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    series: Mapped[int] = mapped_column(Integer)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[dict[str, Any] | None]


class AttemptRow(Base):
    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(64), index=True)
    series: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))


# -- subscriptions ----------------------------------------------------------------------------------


def _subscription(session: AsyncSession, row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        number=row.number,
        user_id=row.user_id,
        event_type_id=row.event_type_id,
        subscriber_url=row.subscriber_url,
        triggers=row.triggers,
        active=row.active,
        payload_template=row.payload_template,
        secret=unseal(session, row.secret),
        time=row.time,
        time_unit=row.time_unit,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def _fill(session: AsyncSession, row: SubscriptionRow, sub: Subscription) -> None:
    row.user_id, row.event_type_id = sub.user_id, sub.event_type_id
    row.subscriber_url, row.triggers, row.active = sub.subscriber_url, [t.value for t in sub.triggers], sub.active
    row.payload_template = sub.payload_template
    # Sealed at rest (store/secrets.py): a copy of the database yields no signing secret.
    row.secret = seal(session, sub.secret.get_secret_value() if sub.secret else None)
    row.time, row.time_unit = sub.time, sub.time_unit.value if sub.time_unit else None
    row.created_at, row.updated_at = sub.created_at, sub.updated_at


async def save_subscription(session: AsyncSession, sub: Subscription) -> Subscription:
    """Insert or replace ``sub``; return it with its numeric id (allocated on first save)."""
    row = await session.get(SubscriptionRow, sub.id)
    if row is None:
        allocated = WebhookNumberRow(webhook_id=sub.id)
        session.add(allocated)
        await session.flush()
        row = SubscriptionRow(id=sub.id, number=allocated.number)
    _fill(session, row, sub)
    session.add(row)
    return sub.model_copy(update={"number": row.number})


async def _row(session: AsyncSession, key: str) -> SubscriptionRow | None:
    """A subscription by its string id or by its numeric (Cal.com) id given as digits."""
    if key.isdigit():
        return await session.scalar(select(SubscriptionRow).where(SubscriptionRow.number == int(key)))
    return await session.get(SubscriptionRow, key)


async def get_subscription(session: AsyncSession, subscription_id: str) -> Subscription | None:
    """A subscription by its string id or its numeric id (as the API and the CLI show it)."""
    row = await _row(session, subscription_id)
    return _subscription(session, row) if row else None


async def list_subscriptions(
    session: AsyncSession, event_type_id: int | None = None, user_id: int | None = None, all_scopes: bool = False
) -> list[Subscription]:
    """Subscriptions of one event type, or of the user/instance scope, or (``all_scopes``) every one."""
    query = select(SubscriptionRow).order_by(SubscriptionRow.created_at, SubscriptionRow.id)
    if not all_scopes:
        query = query.where(SubscriptionRow.event_type_id == event_type_id)
        if user_id is not None:
            query = query.where(SubscriptionRow.user_id == user_id)
    return [_subscription(session, r) for r in await session.scalars(query)]


async def delete_subscription(session: AsyncSession, subscription_id: str) -> bool:
    """Delete a subscription by its string or numeric id; False when it does not exist."""
    row = await _row(session, subscription_id)
    if row is None:
        return False
    await session.execute(delete(SubscriptionRow).where(SubscriptionRow.id == row.id))
    return True


async def set_active(session: AsyncSession, subscription_id: str, active: bool, at: datetime) -> bool:
    """Switch a subscription on or off (by its string or numeric id); False when it does not exist."""
    row = await _row(session, subscription_id)
    if row is None:
        return False
    row.active, row.updated_at = active, at
    return True


async def deactivate(session: AsyncSession, subscription_id: str, at: datetime) -> None:
    row = await session.get(SubscriptionRow, subscription_id)
    if row is not None:
        row.active, row.updated_at = False, at


async def subscribers_for(
    session: AsyncSession,
    trigger: str,
    organizer_id: int | None,
    event_type_id: int | None,
    users: Collection[int] = (),
) -> list[Subscription]:
    """Active subscriptions to ``trigger`` that cover this organizer or event type, or any of ``users`` (an
    instant meeting rings every host), one per URL."""
    rows = await session.scalars(select(SubscriptionRow).where(covering(organizer_id, event_type_id, users)))
    # Trigger lists are JSON; filtering them here keeps the query portable across SQLite and PostgreSQL.
    return dedupe_by_url([_subscription(session, r) for r in rows if trigger in r.triggers])


def covering(organizer_id: Any, event_type_id: Any, users: Collection[int] = ()) -> Any:
    """Active subscriptions in scope: instance-wide, the organizer's own (and ``users``' own), or the event
    type's.

    The ids may be columns (a commit's "anything to do?" correlates them with the booking's row).
    """
    scopes = [SubscriptionRow.user_id.is_(None) & SubscriptionRow.event_type_id.is_(None)]
    if organizer_id is not None:
        scopes.append((SubscriptionRow.user_id == organizer_id) & SubscriptionRow.event_type_id.is_(None))
    if users:
        scopes.append(SubscriptionRow.user_id.in_(sorted(set(users))) & SubscriptionRow.event_type_id.is_(None))
    if event_type_id is not None:
        scopes.append(SubscriptionRow.event_type_id == event_type_id)
    return SubscriptionRow.active.is_(True) & or_(*scopes)


# -- deliveries and attempts ------------------------------------------------------------------------


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        event_id=row.event_id,
        subscription_id=row.subscription_id,
        trigger=row.trigger,
        status=row.status,
        attempts=row.attempts,
        series=row.series,
        last_status_code=row.last_status_code,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        body=row.body,
    )


async def add_delivery(session: AsyncSession, delivery: Delivery) -> bool:
    """Insert ``delivery`` unless its id exists; True when it was new."""
    if await session.get(DeliveryRow, delivery.id) is not None:
        return False
    session.add(DeliveryRow(**delivery.model_dump()))
    return True


def add_deliveries(session: AsyncSession, drafts: list[Delivery]) -> None:
    """Insert new deliveries (a concurrent insert of the same id fails the transaction)."""
    session.add_all([DeliveryRow(**draft.model_dump()) for draft in drafts])


async def deliveries_by_id(session: AsyncSession, ids: Collection[str]) -> dict[str, Delivery]:
    """The stored deliveries among ``ids``, by id."""
    rows = await session.scalars(select(DeliveryRow).where(DeliveryRow.id.in_(list(ids))))
    return {row.id: _delivery(row) for row in rows}


async def get_delivery(session: AsyncSession, delivery_id: str) -> Delivery | None:
    row = await session.get(DeliveryRow, delivery_id)
    return _delivery(row) if row else None


async def list_deliveries(
    session: AsyncSession,
    subscription_id: str | None = None,
    failed: bool = False,
    since: datetime | None = None,
    limit: int = 100,
    statuses: Collection[DeliveryStatus] | None = None,
    changed_since: datetime | None = None,
) -> list[Delivery]:
    """Deliveries, newest first, optionally only failed ones (or those in ``statuses``), of one
    subscription, created since a time, or last changed (attempted, settled) since one."""
    query = select(DeliveryRow).order_by(DeliveryRow.created_at.desc(), DeliveryRow.id).limit(limit)
    if subscription_id is not None:
        query = query.where(DeliveryRow.subscription_id == subscription_id)
    if failed:
        query = query.where(DeliveryRow.status == DeliveryStatus.FAILED.value)
    if statuses is not None:
        query = query.where(DeliveryRow.status.in_([s.value for s in statuses]))
    if since is not None:
        query = query.where(DeliveryRow.created_at >= since)
    if changed_since is not None:
        query = query.where(DeliveryRow.updated_at >= changed_since)
    return [_delivery(r) for r in await session.scalars(query)]


async def start_series(session: AsyncSession, delivery_id: str, at: datetime) -> int:
    """Open a new attempt series (a redelivery) and return its number."""
    row = await session.get(DeliveryRow, delivery_id)
    if row is None:
        raise KeyError(delivery_id)
    row.series, row.status, row.updated_at = row.series + 1, DeliveryStatus.PENDING.value, at
    return row.series


def add_attempted(session: AsyncSession, delivery: Delivery, attempt: Attempt, status: DeliveryStatus) -> None:
    """Insert a new delivery with its first attempt logged and counted: what ``add_deliveries`` then
    ``record_attempt`` store, without reading the new row back."""
    row = DeliveryRow(**delivery.model_dump())
    row.attempts, row.status, row.updated_at = delivery.attempts + 1, status.value, attempt.at
    row.last_status_code = attempt.status_code
    session.add_all([row, AttemptRow(**attempt.model_dump())])


async def record_attempt(session: AsyncSession, attempt: Attempt, status: DeliveryStatus) -> None:
    """Log ``attempt`` and move its delivery to ``status``."""
    session.add(AttemptRow(**attempt.model_dump()))
    row = await session.get(DeliveryRow, attempt.delivery_id)
    if row is not None:
        row.attempts += 1
        row.status, row.updated_at = status.value, attempt.at
        row.last_status_code = attempt.status_code


async def set_status(session: AsyncSession, delivery_id: str, status: DeliveryStatus, at: datetime) -> None:
    row = await session.get(DeliveryRow, delivery_id)
    if row is not None:
        row.status, row.updated_at = status.value, at


async def failing_by_subscription(session: AsyncSession) -> dict[str, int]:
    """Per subscription, its deliveries retrying after a failed attempt (every active one listed, 0 if none)."""
    retrying = await session.execute(
        select(DeliveryRow.subscription_id, func.count())
        .where(DeliveryRow.status == DeliveryStatus.RETRYING.value)
        .group_by(DeliveryRow.subscription_id)
    )
    active = await session.scalars(select(SubscriptionRow.id).where(SubscriptionRow.active))
    return dict.fromkeys(active, 0) | {subscription: count for subscription, count in retrying}


async def attempts_of(session: AsyncSession, delivery_id: str) -> list[Attempt]:
    """Every attempt of a delivery, oldest first."""
    rows = await session.scalars(
        select(AttemptRow).where(AttemptRow.delivery_id == delivery_id).order_by(AttemptRow.at, AttemptRow.id)
    )
    return [
        Attempt(
            delivery_id=r.delivery_id,
            series=r.series,
            number=r.number,
            at=as_utc(r.at),
            status_code=r.status_code,
            latency_ms=r.latency_ms,
            response_body=r.response_body,
            error=r.error,
            outcome=r.outcome,
        )
        for r in rows
    ]


async def deliveries_of_events(session: AsyncSession, event_ids: Collection[str]) -> list[Delivery]:
    """Every delivery of these events (a booking's timeline), oldest first."""
    if not event_ids:
        return []
    query = select(DeliveryRow).where(DeliveryRow.event_id.in_(list(event_ids))).order_by(DeliveryRow.created_at)
    return [_delivery(r) for r in await session.scalars(query)]

"""The message log: every reminder send (sent, skipped, failed, or in the outbox) and SMS opt-outs.

A message's row is keyed by its idempotency key (booking uid, step, due time, recipient) and claimed
before the provider is called, so a retried activity finds the claim and never sends twice.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from store.db import Base, as_utc


class MessageStatus(StrEnum):
    SENDING = "sending"  # claimed: a provider call is (or was) in flight
    PENDING = "pending"  # a provider call failed transiently; the next attempt sends it
    SENT = "sent"
    SKIPPED = "skipped"  # not sent on purpose: cancelled booking, opt-out, meeting already started
    FAILED = "failed"  # the provider refused it for good (invalid number, unverified sender)
    IN_DOUBT = "in_doubt"  # the provider call was cut off after the request left; not resent

    @property
    def final(self) -> bool:
        return self in FINAL


FINAL = frozenset({MessageStatus.SENT, MessageStatus.SKIPPED, MessageStatus.FAILED, MessageStatus.IN_DOUBT})


class MessageRow(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(500), unique=True)
    booking_uid: Mapped[str] = mapped_column(String(64), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))
    provider: Mapped[str] = mapped_column(String(32), index=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str | None] = mapped_column(Text)
    attachment: Mapped[str | None] = mapped_column(Text)
    due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str | None] = mapped_column(Text)


class OptOutRow(Base):
    __tablename__ = "sms_opt_outs"
    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str | None] = mapped_column(String(255))


@dataclass(frozen=True)
class Message:
    """A message as the log shows it."""

    key: str
    booking_uid: str
    step_id: str
    channel: str
    provider: str
    recipient: str
    status: MessageStatus
    subject: str
    body: str
    html: str | None
    attachment: str | None
    due: datetime
    created_at: datetime
    claimed_at: datetime | None
    sent_at: datetime | None
    attempts: int
    provider_id: str | None
    detail: str | None


@dataclass(frozen=True)
class Draft:
    """What a send is about to deliver: recorded with the claim, so the log shows exactly what went out."""

    key: str
    booking_uid: str
    step_id: str
    channel: str
    provider: str
    recipient: str
    due: datetime
    subject: str = ""
    body: str = ""
    html: str | None = None
    attachment: str | None = None


class ClaimState(StrEnum):
    CLAIMED = "claimed"  # this attempt owns the send and must call the provider
    BUSY = "busy"  # another attempt holds the claim
    FINAL = "final"  # already settled (sent, skipped, failed, in doubt): do nothing


def _message(row: MessageRow) -> Message:
    return Message(
        key=row.key,
        booking_uid=row.booking_uid,
        step_id=row.step_id,
        channel=row.channel,
        provider=row.provider,
        recipient=row.recipient,
        status=MessageStatus(row.status),
        subject=row.subject,
        body=row.body,
        html=row.html,
        attachment=row.attachment,
        due=as_utc(row.due),
        created_at=as_utc(row.created_at),
        claimed_at=as_utc(row.claimed_at),
        sent_at=as_utc(row.sent_at),
        attempts=row.attempts,
        provider_id=row.provider_id,
        detail=row.detail,
    )


async def _row(session: AsyncSession, key: str) -> MessageRow | None:
    return await session.scalar(select(MessageRow).where(MessageRow.key == key).with_for_update())


def _new_row(draft: Draft, status: MessageStatus, now: datetime) -> MessageRow:
    return MessageRow(
        key=draft.key,
        booking_uid=draft.booking_uid,
        step_id=draft.step_id,
        channel=draft.channel,
        provider=draft.provider,
        recipient=draft.recipient,
        status=status.value,
        subject=draft.subject,
        body=draft.body,
        html=draft.html,
        attachment=draft.attachment,
        due=draft.due,
        created_at=now,
        attempts=0,
    )


async def claim(session: AsyncSession, draft: Draft, now: datetime) -> tuple[ClaimState, Message]:
    """Take the send of ``draft`` for this attempt, unless another attempt holds it or it is settled."""
    row = await _row(session, draft.key)
    if row is None:
        row = _new_row(draft, MessageStatus.SENDING, now)
        session.add(row)
    elif MessageStatus(row.status).final:
        return ClaimState.FINAL, _message(row)
    elif row.status == MessageStatus.SENDING.value:
        return ClaimState.BUSY, _message(row)
    row.status, row.claimed_at, row.attempts = MessageStatus.SENDING.value, now, (row.attempts or 0) + 1
    await session.flush()
    return ClaimState.CLAIMED, _message(row)


async def settle(
    session: AsyncSession,
    key: str,
    status: MessageStatus,
    now: datetime,
    provider_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Record the outcome of the claimed send ``key``."""
    row = await _row(session, key)
    if row is None:
        raise LookupError(f"message {key} was never claimed")
    row.status, row.detail = status.value, detail
    if status is MessageStatus.SENT:
        row.sent_at, row.provider_id = now, provider_id


async def record(session: AsyncSession, draft: Draft, status: MessageStatus, now: datetime, detail: str) -> bool:
    """Record a message that is settled without a provider call (skipped, or failed to render).

    A message already settled keeps its outcome; True when this call recorded it.
    """
    row = await _row(session, draft.key)
    if row is not None and MessageStatus(row.status).final:
        return False
    if row is None:
        row = _new_row(draft, status, now)
        session.add(row)
    row.status, row.detail = status.value, detail
    return True


async def get(session: AsyncSession, key: str) -> Message | None:
    row = await session.scalar(select(MessageRow).where(MessageRow.key == key))
    return _message(row) if row else None


async def for_booking(session: AsyncSession, booking_uid: str) -> list[Message]:
    """A booking's message log, oldest first."""
    rows = await session.scalars(
        select(MessageRow).where(MessageRow.booking_uid == booking_uid).order_by(MessageRow.id)
    )
    return [_message(r) for r in rows]


async def recent(
    session: AsyncSession, provider: str | None = None, booking_uid: str | None = None, limit: int = 50
) -> list[Message]:
    """The newest messages, newest first (``provider="outbox"`` gives the outbox)."""
    query = select(MessageRow)
    if provider:
        query = query.where(MessageRow.provider == provider)
    if booking_uid:
        query = query.where(MessageRow.booking_uid == booking_uid)
    rows = await session.scalars(query.order_by(MessageRow.id.desc()).limit(limit))
    return [_message(r) for r in rows]


async def set_opt_out(session: AsyncSession, phone: str, opted_out: bool, now: datetime, source: str | None) -> None:
    """Record that ``phone`` sent STOP (opted_out) or START (not)."""
    row = await session.get(OptOutRow, phone)
    if row is None:
        row = OptOutRow(phone=phone)
        session.add(row)
    row.opted_out, row.updated_at, row.source = opted_out, now, source


async def is_opted_out(session: AsyncSession, phone: str) -> bool:
    row = await session.get(OptOutRow, phone)
    return bool(row and row.opted_out)

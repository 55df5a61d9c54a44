"""Provider events (Stripe payments, Daily joins) by their provider's event id, so each is applied once.

An event is claimed when it arrives and settled once the booking's workflow has it. A claimed but
unsettled event (the process died in between, or Temporal was down) is handed over again when the
provider retries; a settled one is a replay and is only acknowledged.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from store.db import Base


class Seen(StrEnum):
    NEW = "new"
    UNSETTLED = "unsettled"
    SETTLED = "settled"


class ProviderEventRow(Base):
    __tablename__ = "provider_events"
    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    booking_uid: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(255))


async def claim(session: AsyncSession, provider: str, event_id: str, booking_uid: str, now: datetime) -> Seen:
    """Record the event unless known; say whether it is new, known but unsettled, or settled.

    Run it in a write transaction: the write lock (SQLite) or the primary key
    (PostgreSQL) makes two deliveries of one event see one NEW.
    """
    row = await session.get(ProviderEventRow, (provider, event_id))
    if row is None:
        session.add(ProviderEventRow(provider=provider, event_id=event_id, booking_uid=booking_uid, received_at=now))
        await session.flush()
        return Seen.NEW
    return Seen.SETTLED if row.settled_at is not None else Seen.UNSETTLED


async def settle(session: AsyncSession, provider: str, event_id: str, outcome: str, now: datetime) -> None:
    """Mark the event handled (``outcome`` says how), so a replay is only acknowledged."""
    await session.execute(
        update(ProviderEventRow)
        .where(ProviderEventRow.provider == provider, ProviderEventRow.event_id == event_id)
        .values(settled_at=now, outcome=outcome[:255])
    )


async def for_booking(session: AsyncSession, booking_uid: str) -> list[ProviderEventRow]:
    """The provider events recorded for a booking, oldest first."""
    rows = await session.scalars(
        select(ProviderEventRow)
        .where(ProviderEventRow.booking_uid == booking_uid)
        .order_by(ProviderEventRow.received_at)
    )
    return list(rows)

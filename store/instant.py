"""Instant meetings' connect-and-join tokens: random, one per meeting, kept only as their SHA-256.

The token travels in INSTANT_MEETING's ``connectAndJoinUrl`` to the event type's hosts; whoever opens it
must still be a signed-in host (or use a host's API key), and the meeting's workflow lets only the first
host accept. A copy of the database cannot be turned back into a working link.
"""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import DateTime, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from store.db import Base, as_utc

TOKEN_BYTES = 32


class InstantTokenRow(Base):
    __tablename__ = "instant_meeting_tokens"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    booking_uid: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def save(session: AsyncSession, booking_uid: str, token: str, now: datetime, expires_at: datetime) -> None:
    """Keep ``token``'s digest for ``booking_uid`` until ``expires_at`` (the meeting's expiry)."""
    session.add(InstantTokenRow(digest=_digest(token), booking_uid=booking_uid, expires_at=expires_at, created_at=now))


async def booking_for(session: AsyncSession, token: str, now: datetime) -> str | None:
    """The uid of the instant meeting ``token`` was made for, while it has not expired; None otherwise."""
    row = await session.scalar(select(InstantTokenRow).where(InstantTokenRow.digest == _digest(token)))
    if row is None or as_utc(row.expires_at) <= now:
        return None
    return row.booking_uid


async def replace(session: AsyncSession, booking_uid: str, token: str, now: datetime) -> str | None:
    """A new ``token`` for ``booking_uid`` in place of the one it had (whose plaintext is lost), valid as long;
    the previous digest, for ``restore``, or None when the booking had no token."""
    row = await session.scalar(select(InstantTokenRow).where(InstantTokenRow.booking_uid == booking_uid))
    if row is None:
        return None
    previous, expires_at = row.digest, row.expires_at
    await session.execute(delete(InstantTokenRow).where(InstantTokenRow.booking_uid == booking_uid))
    await save(session, booking_uid, token, now, as_utc(expires_at))
    return previous


async def restore(session: AsyncSession, booking_uid: str, digest: str) -> None:
    """Put back the token ``replace`` took away (its workflow had been started with it after all)."""
    row = await session.scalar(select(InstantTokenRow).where(InstantTokenRow.booking_uid == booking_uid))
    if row is not None:
        row.digest = digest

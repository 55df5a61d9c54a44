"""API keys: issued once, stored only as a keyed hash, listed without the key, revoked by name or id.

Why HMAC-SHA256 and not a slow password hash (bcrypt, argon2): a slow hash makes guessing a
low-entropy password expensive. These keys are 240 random bits, so no guess list exists to slow
down; a fast hash keeps every request cheap. The pepper (derived from BOOKFLOW_SECRET_KEY, never
stored) means a copy of the database alone cannot even test a candidate key.
"""

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, SecretStr
from sqlalchemy import ColumnElement, DateTime, Integer, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import CamelModel
from store.db import Base, as_utc
from store.secrets import keyring_of

KEY_PREFIX = "bf_live_"
KEY_BYTES = 30  # 240 bits of randomness
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 4
# Recording every use would make each request a write; once a minute is precise enough for "last used".
TOUCH_INTERVAL = timedelta(minutes=1)


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    username: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(CamelModel):
    """A key as listed: everything but the key itself."""

    id: int
    name: str
    prefix: str
    user_id: int
    username: str
    role: Role
    created_at: AwareDatetime
    last_used_at: AwareDatetime | None = None
    expires_at: AwareDatetime | None = None
    revoked_at: AwareDatetime | None = None

    def refusal(self, now: datetime) -> str | None:
        """Why this key no longer opens anything, or None while it is valid."""
        if self.revoked_at is not None:
            return "the API key was revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "the API key has expired"
        return None


class KeyMatch(CamelModel):
    """A presented key found in the store; ``rehash`` when it was found under an old secret key's pepper."""

    key: ApiKey
    rehash: bool


class KeyNameTaken(ValueError):
    """The user already has an active key with this name."""


def _record(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        user_id=row.user_id,
        username=row.username,
        role=Role(row.role),
        created_at=as_utc(row.created_at),
        last_used_at=as_utc(row.last_used_at),
        expires_at=as_utc(row.expires_at),
        revoked_at=as_utc(row.revoked_at),
    )


def _active(now: datetime) -> ColumnElement[bool]:
    not_expired = ApiKeyRow.expires_at.is_(None) | (ApiKeyRow.expires_at > now)
    return ApiKeyRow.revoked_at.is_(None) & not_expired


async def create(
    session: AsyncSession,
    user_id: int,
    username: str,
    name: str,
    role: Role,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, SecretStr]:
    """Issue a key for the user; the plaintext is returned here once and stored nowhere."""
    taken = select(ApiKeyRow.id).where(ApiKeyRow.user_id == user_id, ApiKeyRow.name == name, _active(now))
    if await session.scalar(taken) is not None:
        raise KeyNameTaken(f"name: {username} already has an active key named {name!r}; revoke it or pick another")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)
    row = ApiKeyRow(
        digest=keyring_of(session).digests(plaintext)[0],
        prefix=plaintext[:SHOWN_PREFIX_LENGTH],
        name=name,
        user_id=user_id,
        username=username,
        role=role.value,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return _record(row), SecretStr(plaintext)


async def lookup(session: AsyncSession, presented: str) -> KeyMatch | None:
    """The stored key whose hash matches ``presented`` (under the current or an old pepper), valid or not."""
    if not presented.startswith(KEY_PREFIX):
        return None
    digests = keyring_of(session).digests(presented)
    row = await session.scalar(select(ApiKeyRow).where(ApiKeyRow.digest.in_(digests)))
    if row is None:
        return None
    return KeyMatch(key=_record(row), rehash=row.digest != digests[0])


def needs_touch(match: KeyMatch, now: datetime) -> bool:
    """Whether a use should be written back (last-used is stale, or the hash is under an old pepper)."""
    last = match.key.last_used_at
    return match.rehash or last is None or now - last >= TOUCH_INTERVAL


async def touch(session: AsyncSession, key_id: int, presented: str, now: datetime) -> None:
    """Record a use, and move the hash to the current pepper so the old secret key can be retired."""
    digest = keyring_of(session).digests(presented)[0]
    await session.execute(update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used_at=now, digest=digest))


async def list_keys(session: AsyncSession, user_id: int | None = None) -> list[ApiKey]:
    """Every key (of one user, if given), oldest first."""
    query = select(ApiKeyRow).order_by(ApiKeyRow.id)
    if user_id is not None:
        query = query.where(ApiKeyRow.user_id == user_id)
    return [_record(r) for r in await session.scalars(query)]


async def revoke(
    session: AsyncSession, now: datetime, key_id: int | None = None, user_id: int | None = None, name: str | None = None
) -> list[ApiKey]:
    """Revoke the key ``key_id``, or the user's active keys named ``name``; the keys revoked."""
    query = select(ApiKeyRow).where(ApiKeyRow.revoked_at.is_(None))
    if key_id is not None:
        query = query.where(ApiKeyRow.id == key_id)
    else:
        query = query.where(ApiKeyRow.user_id == user_id, ApiKeyRow.name == name)
    rows = list(await session.scalars(query))
    for row in rows:
        row.revoked_at = now
    return [_record(r) for r in rows]

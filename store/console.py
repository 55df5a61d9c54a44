"""The admin console's accounts (password hashes) and sessions.

Passwords are hashed with scrypt (hashlib, memory-hard): a password, unlike a 240-bit API key, can be
guessed, so every guess must cost memory and time; scrypt is in the standard library, so no new
dependency. Sessions are random tokens the browser holds in a cookie; the store keeps only their
SHA-256 (a copy of the database cannot be replayed as a cookie) and their last use (idle timeout).
"""

import hashlib
import hmac
import secrets
from datetime import datetime

from pydantic import AwareDatetime
from sqlalchemy import DateTime, Integer, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import CamelModel
from store.api_keys import Role
from store.db import Base, as_utc

# scrypt cost n=2**15, r=8, p=3: one of OWASP's equivalent minimums (Password Storage Cheat Sheet), 32 MiB
# per guess instead of 128 MiB for n=2**17, p=1; the parameters are stored with each hash, to be raised later.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 3
SCRYPT_MAXMEM = 64 * 1024 * 1024
SESSION_BYTES = 32


class ConsoleAccountRow(Base):
    __tablename__ = "console_accounts"
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    role: Mapped[str] = mapped_column(String(8))
    password_hash: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConsoleSessionRow(Base):
    __tablename__ = "console_sessions"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    username: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(8))
    key_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConsoleSession(CamelModel):
    """A signed-in console user: by a key (``key_id``, re-checked on every request) or by password."""

    user_id: int
    username: str
    role: Role
    key_id: int | None = None
    created_at: AwareDatetime
    last_seen_at: AwareDatetime


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex), the parameters kept so they can be raised later."""
    salt = secrets.token_bytes(16)
    derived = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=SCRYPT_MAXMEM, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${derived.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (compared in constant time)."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        derived = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), maxmem=SCRYPT_MAXMEM, dklen=32
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(derived.hex(), expected)


# A hash to check against when the username is unknown, so a miss costs as much time as a wrong password.
_DECOY = hash_password(secrets.token_urlsafe(16))


async def set_password(
    session: AsyncSession, user_id: int, username: str, role: Role, password: str, now: datetime
) -> None:
    """Set (or replace) the user's console password and role; their open sessions end."""
    row = await session.get(ConsoleAccountRow, user_id)
    if row is None:
        row = ConsoleAccountRow(user_id=user_id)
        session.add(row)
    row.username, row.role, row.password_hash, row.updated_at = username, role.value, hash_password(password), now
    await session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.user_id == user_id))


async def verify_login(session: AsyncSession, username: str, password: str) -> ConsoleAccountRow | None:
    """The account whose username and password match, else None (taking as long either way)."""
    row = await session.scalar(select(ConsoleAccountRow).where(ConsoleAccountRow.username == username))
    if row is None:
        check_password(password, _DECOY)
        return None
    return row if check_password(password, row.password_hash) else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    session: AsyncSession, user_id: int, username: str, role: Role, key_id: int | None, now: datetime
) -> str:
    """A new session; the token (for the cookie) is returned once and stored only as its hash."""
    token = secrets.token_urlsafe(SESSION_BYTES)
    session.add(
        ConsoleSessionRow(
            digest=_digest(token),
            user_id=user_id,
            username=username,
            role=role.value,
            key_id=key_id,
            created_at=now,
            last_seen_at=now,
        )
    )
    return token


async def find_session(session: AsyncSession, token: str) -> ConsoleSession | None:
    """The session whose cookie holds ``token``, else None (expiry is the caller's to judge)."""
    row = await session.get(ConsoleSessionRow, _digest(token))
    if row is None:
        return None
    return ConsoleSession(
        user_id=row.user_id,
        username=row.username,
        role=Role(row.role),
        key_id=row.key_id,
        created_at=as_utc(row.created_at),
        last_seen_at=as_utc(row.last_seen_at),
    )


async def touch_session(session: AsyncSession, token: str, now: datetime) -> None:
    """Record that the session was used at ``now`` (its idle timeout starts again)."""
    row = await session.get(ConsoleSessionRow, _digest(token))
    if row is not None:
        row.last_seen_at = now


async def close_session(session: AsyncSession, token: str) -> None:
    """Delete the session: its cookie opens nothing any more."""
    await session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.digest == _digest(token)))


async def close_idle(session: AsyncSession, before: datetime) -> None:
    """Delete sessions last used before ``before`` (they would be refused anyway)."""
    await session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.last_seen_at < before))

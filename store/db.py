"""The database handle: one async engine and session factory, and schema migration through Alembic."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, create_engine, event, pool, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from store.secrets import SESSION_KEY, Keyring, SecretKeys

MIGRATIONS = Path(__file__).parent / "migrations"
WRITE_OPTION = "bookflow_write"
# pg_advisory_lock's first key: "migrations of Bookflow" (the second is the schema's, see _migration_lock).
MIGRATION_LOCK_SPACE = 0x626B66  # "bkf"

# JSON everywhere, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC datetime (SQLite hands timestamps back without their zone)."""
    if moment is None or moment.tzinfo:
        return moment
    return moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType}


def async_url(url: str) -> str:
    """The async-driver form of a database URL (aiosqlite or psycopg)."""
    if url.startswith("sqlite:///"):
        return url.replace("sqlite:///", "sqlite+aiosqlite:///", 1)
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sync_url(url: str) -> str:
    """The sync-driver form of a database URL, for Alembic."""
    url = async_url(url)
    return url.replace("sqlite+aiosqlite://", "sqlite://", 1)


def _serialize_sqlite_writers(engine: AsyncEngine) -> None:
    """Make SQLite write transactions take the write lock up front (BEGIN IMMEDIATE).

    SQLite has no row locks; without this, two concurrent check-then-insert transactions (two
    bookings for one slot) could both pass the check. PostgreSQL uses SELECT … FOR UPDATE instead.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL survives any crash of the process (only a power cut can lose the newest
        # commits) and spares an fsync per commit. SQLite is the dev default; production runs PostgreSQL.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        # Reads begin deferred so they never wait for a writer; write transactions ask for IMMEDIATE.
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """An engine plus a session factory for one database URL.

    ``keys`` (from BOOKFLOW_SECRET_KEY) seal stored secrets and pepper API-key hashes; without them the
    store still works, but sealing or opening a secret raises ``SecretsUnavailable``.
    """

    def __init__(self, url: str, keys: SecretKeys | None = None) -> None:
        self.url = url
        # A pre-ping finds server connections dropped while pooled; a SQLite file has none to drop, and the
        # ping would cost a round trip per checkout (a third of a booking commit's store time).
        self.engine = create_async_engine(async_url(url), pool_pre_ping=not url.startswith("sqlite"))
        if self.engine.dialect.name == "sqlite":
            _serialize_sqlite_writers(self.engine)
        self.keyring = Keyring(keys) if keys is not None else None
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, info={SESSION_KEY: self.keyring})
        # SQLite takes one writer at a time: queue this process's writers here rather than letting them
        # spin in SQLite's busy handler, whose sleeps dominate under many concurrent activities.
        self._writers = asyncio.Lock() if self.engine.dialect.name == "sqlite" else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction, committed on success and rolled back on error."""
        async with contextlib.AsyncExitStack() as stack:
            if self._writers is not None:
                await stack.enter_async_context(self._writers)
            session = await stack.enter_async_context(self.sessions())
            await stack.enter_async_context(session.begin())
            await session.connection(execution_options={WRITE_OPTION: True})
            yield session

    async def migrate(self) -> None:
        """Bring the schema to the newest revision of every migration branch, and seal stored secrets.

        With keys, secrets stored in plaintext (before encryption) or under a retired key are sealed
        under the current key; the migrations cannot, as the key never reaches them.
        """
        await asyncio.to_thread(upgrade, self.url)
        if self.keyring is not None:
            from store.sealed import reseal_all  # the modules it names import this one

            async with self.transaction() as session:
                await reseal_all(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Run Alembic's upgrade to all heads (feature packages may add their own branches).

    On PostgreSQL under an advisory lock, so processes starting together (several workers and API
    processes) migrate one after the other: the first upgrades, the others find the schema current.
    """
    with _migration_lock(url):
        command.upgrade(alembic_config(url), "heads")


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    """Hold PostgreSQL's session advisory lock for migrating this database's current schema (nothing on SQLite).

    Keyed by schema, not only by database, so separate schemas of one database (one per test run) do not
    wait for each other. The lock is held on its own connection; it goes with that connection, even if
    this process dies mid-upgrade.
    """
    sync = sync_url(url)
    if not sync.startswith("postgresql"):
        yield
        return
    engine = create_engine(sync, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            key = {"space": MIGRATION_LOCK_SPACE}
            schema = "hashtext(coalesce(current_schema(), ''))"
            connection.execute(text(f"SELECT pg_advisory_lock(:space, {schema})"), key)
            # Committed at once, so no transaction stays open (idle in transaction) while Alembic works.
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text(f"SELECT pg_advisory_unlock(:space, {schema})"), key)
                connection.commit()
    finally:
        engine.dispose()

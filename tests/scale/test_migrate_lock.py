"""Processes starting together migrate one at a time: store.db takes a PostgreSQL advisory lock (issue 14)."""

import asyncio

import psycopg
import pytest

from store.db import MIGRATION_LOCK_SPACE, Database
from testkit.postgres import postgres_schema_url
from testkit.stack import eventually

pytestmark = pytest.mark.timeout(120)


async def _heads() -> set[str]:
    """What alembic_version holds after one migration alone of a fresh schema."""
    url, drop = await postgres_schema_url()
    db = Database(url)
    try:
        await db.migrate()
        return await _versions(url)
    finally:
        await db.dispose()
        await drop()


async def _versions(url: str) -> set[str]:
    schema = url.rsplit("%3D", 1)[1]
    async with await psycopg.AsyncConnection.connect(url.split("?", 1)[0]) as conn:
        rows = await conn.execute(f'SELECT version_num FROM "{schema}".alembic_version')
        return {row[0] for row in await rows.fetchall()}


async def test_concurrent_migrations_of_a_fresh_schema_both_succeed() -> None:
    url, drop = await postgres_schema_url()
    first, second = Database(url), Database(url)
    try:
        # Without the lock both create alembic_version and the first tables at once, and one fails.
        await asyncio.gather(first.migrate(), second.migrate())
        assert await _versions(url) == await _heads()
    finally:
        await first.dispose()
        await second.dispose()
        await drop()


async def test_a_migration_waits_for_the_lock_of_another() -> None:
    url, drop = await postgres_schema_url()
    schema = url.rsplit("%3D", 1)[1]
    db = Database(url)
    try:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as holder:
            # Another process migrating this schema holds the lock (the same two keys store.db takes).
            await holder.execute(
                "SELECT pg_advisory_lock(%s, hashtext(coalesce(current_schema(), '')))", (MIGRATION_LOCK_SPACE,)
            )
            migrating = asyncio.create_task(db.migrate())

            async def waiting() -> bool:
                rows = await holder.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = %s",
                    (MIGRATION_LOCK_SPACE,),
                )
                row = await rows.fetchone()
                return row is not None and row[0] >= 1

            await eventually(waiting, bool, timeout=30)
            tables = await holder.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", (schema,)
            )
            assert (await tables.fetchone()) == (0,), "the migration ran while another held the lock"
            assert not migrating.done()
            await holder.execute(
                "SELECT pg_advisory_unlock(%s, hashtext(coalesce(current_schema(), '')))", (MIGRATION_LOCK_SPACE,)
            )
            await asyncio.wait_for(migrating, timeout=60)
        assert await _versions(url) == await _heads()
    finally:
        await db.dispose()
        await drop()

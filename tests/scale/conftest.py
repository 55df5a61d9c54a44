"""Bookflow as deployed: separate `bookflow api` and `bookflow worker` processes on PostgreSQL."""

from collections.abc import AsyncIterator

import pytest

from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.postgres import postgres_schema_url


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    """A migrated store in a throw-away PostgreSQL schema (migrated once, before any process starts)."""
    url, drop = await postgres_schema_url()
    db = Database(url, TEST_SECRET_KEYS)
    await db.migrate()
    yield db
    await db.dispose()
    await drop()

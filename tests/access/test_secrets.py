"""Secrets at rest: webhook signing secrets are stored encrypted, migrated when found in plaintext, rotated."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from domain.webhooks import Subscription
from store import calendars, webhooks
from store.calendars import ConnectionRow
from store.db import Database
from store.secrets import SEALED_PREFIX, SecretKeys, SecretsUnavailable
from store.webhooks import SubscriptionRow
from testkit.access import TEST_SECRET_KEYS

SECRET = "whsec_c2lnbmluZy1zZWNyZXQtb2YtdGhlLXN1YnNjcmliZXI="
NEW_SECRET = SecretKeys(current="a-brand-new-secret-key-after-rotation-0001", old=[TEST_SECRET_KEYS.current])


def _subscription(secret: str | None = SECRET) -> Subscription:
    now = datetime.now(UTC)
    return Subscription(
        id="sub-1",
        subscriber_url="http://127.0.0.1:9/hook",
        triggers=["BOOKING_CREATED"],
        secret=secret,
        created_at=now,
        updated_at=now,
    )


async def _stored_secret(db: Database) -> str | None:
    async with db.sessions() as session:
        return await session.scalar(select(SubscriptionRow.secret))


async def _opened(db: Database) -> str:
    async with db.sessions() as session:
        sub = await webhooks.get_subscription(session, "sub-1")
    return sub.secret.get_secret_value()


async def test_a_webhook_secret_is_stored_sealed_and_opens_for_signing(any_db):
    async with any_db.transaction() as session:
        await webhooks.save_subscription(session, _subscription())
    stored = await _stored_secret(any_db)
    assert stored.startswith(SEALED_PREFIX) and SECRET not in stored and "c2lnbmluZy" not in stored
    assert await _opened(any_db) == SECRET


async def test_the_api_never_returns_the_secret(stack):
    body = {"subscriberUrl": "http://127.0.0.1:9/hook", "triggers": ["BOOKING_CREATED"], "secret": SECRET}
    created = await stack.http.post("/v2/webhooks", json=body)
    assert created.status_code == 201, created.text
    listed = await stack.http.get("/v2/webhooks")
    assert SECRET not in created.text and SECRET not in listed.text
    assert (await _stored_secret(stack.db)).startswith(SEALED_PREFIX)


async def test_a_plaintext_secret_from_before_encryption_is_sealed_on_start(sqlite_db):
    async with sqlite_db.transaction() as session:
        await webhooks.save_subscription(session, _subscription())
        await session.execute(update(SubscriptionRow).values(secret=SECRET))  # as rows were before 0006
    assert await _stored_secret(sqlite_db) == SECRET
    await sqlite_db.migrate()  # what every start does
    assert (await _stored_secret(sqlite_db)).startswith(SEALED_PREFIX)
    assert await _opened(sqlite_db) == SECRET


async def test_rotating_the_secret_key_reseals_under_the_new_key(sqlite_db):
    async with sqlite_db.transaction() as session:
        await webhooks.save_subscription(session, _subscription())
    before = await _stored_secret(sqlite_db)
    rotated = Database(sqlite_db.url, NEW_SECRET)
    await rotated.migrate()
    assert await _stored_secret(rotated) != before
    await rotated.dispose()
    retired = Database(sqlite_db.url, SecretKeys(current=NEW_SECRET.current))
    assert await _opened(retired) == SECRET
    # A key that never sealed it opens nothing, and says which variable to set.
    stranger = Database(sqlite_db.url, SecretKeys(current="a-key-that-never-sealed-anything-000000"))
    with pytest.raises(SecretsUnavailable, match="BOOKFLOW_SECRET_KEYS_OLD"):
        await _opened(stranger)
    await retired.dispose()
    await stranger.dispose()


async def test_without_a_secret_key_no_secret_is_stored(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'keyless.db'}")
    await db.migrate()
    with pytest.raises(SecretsUnavailable, match="BOOKFLOW_SECRET_KEY is not set"):
        async with db.transaction() as session:
            await webhooks.save_subscription(session, _subscription())
    async with db.transaction() as session:  # a subscription without a secret needs no key
        await webhooks.save_subscription(session, _subscription(secret=None))
    await db.dispose()


async def test_stored_calendar_credentials_are_sealed_on_start_too(sqlite_db):
    credentials = {"password": "app-specific-password"}
    async with sqlite_db.transaction() as session:
        added = await calendars.add_connection(
            session, 1, "caldav", "http://127.0.0.1:9/dav/", credentials, datetime.now(UTC)
        )
        await session.execute(update(ConnectionRow).values(key=json.dumps(credentials)))  # as if never sealed
    await sqlite_db.migrate()
    async with sqlite_db.sessions() as session:
        stored = await session.scalar(select(ConnectionRow.key))
        opened = await calendars.credentials_of(session, added.id)
    assert stored.startswith(SEALED_PREFIX) and "app-specific-password" not in stored
    assert opened == credentials

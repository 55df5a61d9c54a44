"""Routing integration: the API and a worker on the real dev server, with short waits and fast retries."""

from collections.abc import AsyncIterator

import pytest

from testkit.stack import Stack
from tests.routing_integration.support import ScriptedOwnerLookup, routing_stack, seed_org

NO_EVENT_SECONDS = 1.5


@pytest.fixture(autouse=True)
def short_waits(monkeypatch) -> None:
    monkeypatch.setenv("BOOKFLOW_FORM_NO_EVENT_MINUTES", str(NO_EVENT_SECONDS / 60))
    monkeypatch.setenv("BOOKFLOW_WEBHOOK_RETRY_SCHEDULE", "0.3,0.3,0.3")
    monkeypatch.setenv("BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE", "true")


@pytest.fixture
def crm() -> ScriptedOwnerLookup:
    return ScriptedOwnerLookup({"lead@bigcorp.com": "bob@team.example.com", "stray@bigcorp.com": "nobody@x.com"})


@pytest.fixture
async def org(temporal_env, sqlite_db, task_queue, crm) -> AsyncIterator[Stack]:
    """A running stack over a store seeded with the org (users, event types, attributes)."""
    await seed_org(sqlite_db)
    async with routing_stack(temporal_env.client, sqlite_db, task_queue, {"salesforce": crm}) as stack:
        yield stack

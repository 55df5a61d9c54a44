"""A worker and an in-process API with generous rate limits (the walk makes hundreds of requests)."""

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from api.access_config import AccessConfig
from api.app import create_app
from api.config import ApiConfig
from testkit.access import client_as, issue_keys
from testkit.stack import Stack, api_context, running_worker
from tests.access.world import seed_people

GENEROUS = AccessConfig(rate_limit_public="100000/minute", rate_limit_key="100000/minute")


@pytest.fixture
async def walk(temporal_env, sqlite_db, task_queue) -> AsyncIterator[Stack]:
    """The stack with the owner (user 1, event type 1), another user and an admin seeded; ``http`` is admin."""
    config = ApiConfig(access=GENEROUS, allow_private_urls=True)
    ctx = dataclasses.replace(api_context(temporal_env.client, sqlite_db, task_queue), config=config)
    transport = httpx.ASGITransport(app=create_app(ctx))
    keys = await issue_keys(sqlite_db)
    async with running_worker(temporal_env.client, sqlite_db, task_queue), client_as(transport, keys.admin) as http:
        stack = Stack(temporal_env.client, sqlite_db, http, task_queue, keys, transport)
        await seed_people(stack)
        yield stack

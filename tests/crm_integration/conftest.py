"""CRM integration: the API and a worker on the real dev server, Salesforce and HubSpot as loopback
emulators reached through their real client libraries, credentials from the environment as in production.
"""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from store import config as config_store
from testkit.hubspot import HubSpotEmulator
from testkit.salesforce import SalesforceEmulator
from testkit.stack import Stack, running_stack
from tests.crm_integration.support import HUBSPOT_TOKEN, configuration, salesforce_fixture
from worker.crm_config import check_crm


@pytest.fixture
def salesforce() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(salesforce_fixture()) as emulator:
        yield emulator


@pytest.fixture
def hubspot() -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator(access_token=HUBSPOT_TOKEN) as emulator:
        yield emulator


@pytest.fixture
def crm_env(monkeypatch, salesforce: SalesforceEmulator, hubspot: HubSpotEmulator) -> None:
    """The worker's environment: an OAuth Salesforce credential and a HubSpot private-app token."""
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", salesforce.issue_access_token())
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", salesforce.base_url)
    monkeypatch.setenv("SALESFORCE_CA_BUNDLE", salesforce.ca_file)
    monkeypatch.setenv("SALESFORCE_CACHE_TTL_SECONDS", "0")
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", HUBSPOT_TOKEN)
    monkeypatch.setenv("HUBSPOT_API_BASE_URL", hubspot.base_url)


@pytest.fixture
async def org(temporal_env, sqlite_db, task_queue, crm_env) -> AsyncIterator[Stack]:
    """A running stack over a store holding the org and its crm section (as `config apply` saves it)."""
    document = check_crm(Path("test.yaml"), configuration(), set())
    async with sqlite_db.transaction() as session:
        await config_store.apply_configuration(session, document)
    async with running_stack(temporal_env.client, sqlite_db, task_queue) as stack:
        yield stack

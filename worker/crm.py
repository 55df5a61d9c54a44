"""Composing the CRMs: connections from the settings tree, their sync workers and routing's owner lookups.

Each CRM's sync activity polls its own task queue with its own rate limit, so Salesforce's daily API
budget or HubSpot's 10-second limit never holds up booking transitions or the other CRM. Both queues
are always polled: an event type that syncs with a CRM whose credentials are missing gets a stored
NOT_CONFIGURED error per step instead of activities waiting forever for a worker.
"""

from datetime import timedelta
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from temporalio.client import Client
from temporalio.worker import Worker

from activities.crm import CrmActivities, crm_queue
from activities.crm_providers import ConfiguredOwnerLookup, CrmClient, HubSpotClient, SalesforceClient
from crm.base import CrmProvider
from crm.hubspot.connection import HubSpotConnection
from crm.hubspot.settings import HubSpotSettings
from crm.salesforce.connection import SalesforceConnection
from domain.crm import CrmOwnerLookup
from store.db import Database
from worker.settings import CrmSettings

PROVIDERS: tuple[CrmProvider, ...] = ("salesforce", "hubspot")


def salesforce_connection(settings: CrmSettings) -> SalesforceConnection | None:
    """Salesforce when SALESFORCE_USERNAME or SALESFORCE_ACCESS_TOKEN is set (else Salesforce is off)."""
    credential = settings.salesforce_credential()
    if credential is None:
        return None
    session = requests.Session()
    if settings.salesforce_ca_bundle:
        session.mount("https://", _TrustedBundle(str(settings.salesforce_ca_bundle)))
    return SalesforceConnection(credential, session=session)


class _TrustedBundle(HTTPAdapter):
    """Verify TLS against one CA bundle. (``Session.verify`` would lose to REQUESTS_CA_BUNDLE from the
    environment; proxy variables still apply.)"""

    def __init__(self, bundle: str) -> None:
        super().__init__()
        self.bundle = bundle

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["verify"] = self.bundle
        return super().send(request, *args, **kwargs)


def hubspot_connection(settings: HubSpotSettings) -> HubSpotConnection | None:
    """HubSpot when HUBSPOT_ACCESS_TOKEN or the OAuth refresh token is set (else HubSpot is off)."""
    return HubSpotConnection(settings) if settings.configured else None


class CrmRuntime:
    """The connected CRMs of one worker process (None for a CRM without credentials)."""

    def __init__(self, db: Database, clients: dict[CrmProvider, CrmClient | None], settings: CrmSettings) -> None:
        self.db = db
        self.clients = clients
        self.settings = settings

    @classmethod
    def connect(cls, db: Database, settings: CrmSettings, hubspot: HubSpotSettings) -> "CrmRuntime":
        """Clients for the CRMs whose credentials are set (SALESFORCE_*, HUBSPOT_*)."""
        sf = salesforce_connection(settings)
        hs = hubspot_connection(hubspot)
        clients: dict[CrmProvider, CrmClient | None] = {
            "salesforce": SalesforceClient(sf) if sf else None,
            "hubspot": HubSpotClient(hs) if hs else None,
        }
        return cls(db, clients, settings)

    def owner_lookups(self) -> dict[str, CrmOwnerLookup]:
        """Routing's CRM owner hook for each connected CRM, reading the routed event type's settings."""
        return {name: ConfiguredOwnerLookup(self.db, c) for name, c in self.clients.items() if c is not None}

    def workers(self, client: Client, task_queue: str, grace: timedelta = timedelta()) -> list[Worker]:
        """One rate-limited worker per CRM task queue; ``grace`` lets calls in flight finish on shutdown."""
        return [
            Worker(
                client,
                task_queue=crm_queue(task_queue, name),
                activities=[CrmActivities(self.db, name, self.clients.get(name)).sync_booking],
                max_task_queue_activities_per_second=self.settings.rate(name),
                max_concurrent_activities=20,
                graceful_shutdown_timeout=grace,
            )
            for name in PROVIDERS
        ]

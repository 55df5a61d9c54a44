"""Composing the CRMs: connections from the environment, their sync workers and routing's owner lookups.

Each CRM's sync activity polls its own task queue with its own rate limit, so Salesforce's daily API
budget or HubSpot's 10-second limit never holds up booking transitions or the other CRM. Both queues
are always polled: an event type that syncs with a CRM whose credentials are missing gets a stored
NOT_CONFIGURED error per step instead of activities waiting forever for a worker.
"""

import os
from pathlib import Path
from typing import Any

import requests
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from requests.adapters import HTTPAdapter
from temporalio.client import Client
from temporalio.worker import Worker

from activities.crm import CrmActivities, crm_queue
from activities.crm_providers import ConfiguredOwnerLookup, CrmClient, HubSpotClient, SalesforceClient
from crm.base import CrmProvider
from crm.hubspot.connection import HubSpotConnection
from crm.hubspot.settings import HubSpotSettings
from crm.salesforce.connection import SalesforceConnection
from crm.salesforce.settings import SalesforceCredential
from domain.crm import CrmOwnerLookup
from store.db import Database

PROVIDERS: tuple[CrmProvider, ...] = ("salesforce", "hubspot")


class CrmSettings(BaseSettings):
    """Salesforce credentials (``SALESFORCE_*``; HubSpot's are ``HUBSPOT_*``, see HubSpotSettings) and rates."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    salesforce_username: str | None = Field(default=None, alias="SALESFORCE_USERNAME")
    salesforce_password: SecretStr | None = Field(default=None, alias="SALESFORCE_PASSWORD")
    salesforce_security_token: SecretStr | None = Field(default=None, alias="SALESFORCE_SECURITY_TOKEN")
    salesforce_access_token: SecretStr | None = Field(default=None, alias="SALESFORCE_ACCESS_TOKEN")
    salesforce_instance_url: str | None = Field(default=None, alias="SALESFORCE_INSTANCE_URL")
    salesforce_refresh_token: SecretStr | None = Field(default=None, alias="SALESFORCE_REFRESH_TOKEN")
    salesforce_consumer_key: str | None = Field(default=None, alias="SALESFORCE_CONSUMER_KEY")
    salesforce_consumer_secret: SecretStr | None = Field(default=None, alias="SALESFORCE_CONSUMER_SECRET")
    salesforce_domain: str = Field(default="login", alias="SALESFORCE_DOMAIN")
    salesforce_api_version: str = Field(default="59.0", alias="SALESFORCE_API_VERSION")
    salesforce_fuzzy_domain_matching: bool = Field(default=False, alias="SALESFORCE_FUZZY_DOMAIN_MATCHING")
    salesforce_cache_ttl_seconds: float = Field(default=300, ge=0, alias="SALESFORCE_CACHE_TTL_SECONDS")
    # A CA bundle to trust instead of the system's (a corporate proxy, or the emulator in tests and demos).
    salesforce_ca_bundle: Path | None = Field(default=None, alias="SALESFORCE_CA_BUNDLE")

    # Sync steps per second each CRM's task queue may start (across all workers). A step costs the
    # CRM 2-8 API calls; HubSpot private apps allow 100 calls per 10 s.
    salesforce_rate: float = Field(default=5, gt=0, alias="BOOKFLOW_SALESFORCE_RATE")
    hubspot_rate: float = Field(default=2, gt=0, alias="BOOKFLOW_HUBSPOT_RATE")

    def salesforce_credential(self) -> SalesforceCredential | None:
        """The credential, if a username or an access token is configured (else Salesforce is off)."""
        if not (self.salesforce_username or self.salesforce_access_token):
            return None
        return SalesforceCredential(
            username=self.salesforce_username,
            password=self.salesforce_password,
            security_token=self.salesforce_security_token,
            access_token=self.salesforce_access_token,
            instance_url=self.salesforce_instance_url,
            refresh_token=self.salesforce_refresh_token,
            consumer_key=self.salesforce_consumer_key,
            consumer_secret=self.salesforce_consumer_secret,
            domain=self.salesforce_domain,
            api_version=self.salesforce_api_version,
            fuzzy_domain_matching=self.salesforce_fuzzy_domain_matching,
            cache_ttl_seconds=self.salesforce_cache_ttl_seconds,
        )

    def rate(self, provider: CrmProvider) -> float:
        return self.salesforce_rate if provider == "salesforce" else self.hubspot_rate


def salesforce_connection(settings: CrmSettings) -> SalesforceConnection | None:
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


def hubspot_connection() -> HubSpotConnection | None:
    """HubSpot when HUBSPOT_ACCESS_TOKEN or the OAuth refresh token is set (else HubSpot is off).

    HubSpotSettings validates the rest and names any missing OAuth variable.
    """
    if not (os.environ.get("HUBSPOT_ACCESS_TOKEN") or os.environ.get("HUBSPOT_REFRESH_TOKEN")):
        return None
    return HubSpotConnection(HubSpotSettings())


class CrmRuntime:
    """The connected CRMs of one worker process (None for a CRM without credentials)."""

    def __init__(self, db: Database, clients: dict[CrmProvider, CrmClient | None], settings: CrmSettings) -> None:
        self.db = db
        self.clients = clients
        self.settings = settings

    @classmethod
    def from_env(cls, db: Database, settings: CrmSettings | None = None) -> "CrmRuntime":
        settings = settings or CrmSettings()
        sf = salesforce_connection(settings)
        hs = hubspot_connection()
        clients: dict[CrmProvider, CrmClient | None] = {
            "salesforce": SalesforceClient(sf) if sf else None,
            "hubspot": HubSpotClient(hs) if hs else None,
        }
        return cls(db, clients, settings)

    def owner_lookups(self) -> dict[str, CrmOwnerLookup]:
        """Routing's CRM owner hook for each connected CRM, reading the routed event type's settings."""
        return {name: ConfiguredOwnerLookup(self.db, c) for name, c in self.clients.items() if c is not None}

    def workers(self, client: Client, task_queue: str) -> list[Worker]:
        """One rate-limited worker per CRM task queue."""
        return [
            Worker(
                client,
                task_queue=crm_queue(task_queue, name),
                activities=[CrmActivities(self.db, name, self.clients.get(name)).sync_booking],
                max_task_queue_activities_per_second=self.settings.rate(name),
                max_concurrent_activities=20,
            )
            for name in PROVIDERS
        ]

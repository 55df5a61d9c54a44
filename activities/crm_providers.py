"""Each connected CRM as the activities use it: its booking sync and owner lookup for one event type's
settings, and how its exceptions split into "retry later" and "store and go on".
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from temporalio.exceptions import ApplicationError

from activities import metrics
from crm.base import BookingSync, CrmProvider, SyncError
from crm.config import CrmConfig
from crm.hubspot.connection import HubSpotConnection
from crm.hubspot.errors import HubSpotError
from crm.hubspot.owners import HubSpotOwnerLookup
from crm.hubspot.sync import HubSpotBookingSync
from crm.salesforce.accounts import AccountFetcher
from crm.salesforce.connection import SalesforceApiError, SalesforceConnection
from crm.salesforce.owner import SalesforceOwnerLookup
from crm.salesforce.sync import SalesforceBookingSync
from domain.booking import Booking
from domain.crm import CrmOwnerLookup, OwnerDecision, OwnerQuery
from store import crm as crm_store
from store.db import Database


@dataclass(frozen=True)
class Failure:
    """A provider exception, classified: retryable ones are retried by Temporal, the rest stored."""

    retryable: bool
    error: SyncError
    retry_after: float | None = None


def retry_later(failure: Failure) -> ApplicationError:
    """A retryable failure for Temporal to retry, after the CRM's Retry-After when it gave one."""
    delay = timedelta(seconds=failure.retry_after) if failure.retry_after is not None else None
    message = f"{failure.error.code}: {failure.error.message}"
    return ApplicationError(message, type="CrmUnavailable", next_retry_delay=delay)


class CrmClient(Protocol):
    """One connected CRM."""

    name: CrmProvider

    def booking_sync(self, config: CrmConfig, booking: Booking, context: Mapping[str, Any]) -> BookingSync: ...

    def owner_lookup(self, config: CrmConfig, event_type_id: int | None) -> CrmOwnerLookup: ...

    def failure(self, error: Exception) -> Failure | None:
        """The classified failure, or None for an exception this CRM does not know (Temporal retries it)."""
        ...


class SalesforceClient:
    """Salesforce: one connection and one account cache shared by sync and routing."""

    name: CrmProvider = "salesforce"

    def __init__(self, connection: SalesforceConnection) -> None:
        self.connection = connection
        self.fetcher = AccountFetcher(connection)

    def booking_sync(self, config: CrmConfig, booking: Booking, context: Mapping[str, Any]) -> BookingSync:
        settings = config.salesforce_for(booking.event_type.id)
        return SalesforceBookingSync(self.connection, settings, self.fetcher, context=lambda _b: context)

    def owner_lookup(self, config: CrmConfig, event_type_id: int | None) -> CrmOwnerLookup:
        return SalesforceOwnerLookup(self.connection, config.salesforce_for(event_type_id), self.fetcher)

    def failure(self, error: Exception) -> Failure | None:
        if not isinstance(error, SalesforceApiError):
            return None
        sync_error = SyncError(
            provider="salesforce", code=error.code, message=error.message, dropped_fields=error.fields
        )
        return Failure(retryable=error.retryable, error=sync_error)


class HubSpotClient:
    """HubSpot: one connection; a sync per distinct options (each remembers its key-property check)."""

    name: CrmProvider = "hubspot"

    def __init__(self, connection: HubSpotConnection) -> None:
        self.connection = connection
        self._syncs: dict[str, HubSpotBookingSync] = {}

    def booking_sync(self, config: CrmConfig, booking: Booking, context: Mapping[str, Any]) -> BookingSync:
        options = config.hubspot_for(booking.event_type.id).sync
        key = options.model_dump_json()
        if key not in self._syncs:
            self._syncs[key] = HubSpotBookingSync(self.connection, options)
        return self._syncs[key]

    def owner_lookup(self, config: CrmConfig, event_type_id: int | None) -> CrmOwnerLookup:
        return HubSpotOwnerLookup(self.connection, config.hubspot_for(event_type_id).owners)

    def failure(self, error: Exception) -> Failure | None:
        if not isinstance(error, HubSpotError):
            return None
        return Failure(retryable=error.retryable, error=error.error, retry_after=error.retry_after)


async def load_config(db: Database) -> CrmConfig:
    """The stored ``crm`` section (validated when applied), or the defaults."""
    async with db.sessions() as session:
        return CrmConfig.model_validate(await crm_store.get_config(session))


class ConfiguredOwnerLookup:
    """``CrmOwnerLookup`` for routing: the CRM's lookup with the routed event type's stored settings."""

    def __init__(self, db: Database, client: CrmClient) -> None:
        self._db = db
        self._client = client

    async def find_owner(self, query: OwnerQuery) -> OwnerDecision:
        config = await load_config(self._db)
        try:
            decision = await self._client.owner_lookup(config, query.event_type_id).find_owner(query)
        except Exception as error:
            metrics.crm_call(self._client.name, "find_owner", failed=True)
            failure = self._client.failure(error)
            if failure is not None and failure.retryable:
                raise retry_later(failure) from None
            raise
        metrics.crm_call(self._client.name, "find_owner")
        return decision

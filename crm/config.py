"""The ``crm`` section of the configuration file: each event type's Salesforce and HubSpot settings.

Credentials never appear here (they come from the environment). Which CRMs mirror an event type's
bookings is ``EventType.crm_sync``; this section says how. An event type without an entry uses the
defaults of each model.

    crm:
      geoHeaders: {country: [cf-ipcountry], region: [cf-region-code]}
      eventTypes:
        - eventTypeId: 11
          salesforce: {record: account, ownerRecord: account, tiebreakerRules: [P1_COUNTRY, P7_CONTACTS]}
          hubspot: {sync: {associateOpenDeal: true}, owners: {skipFreeEmailDomains: true}}
"""

from pydantic import Field, model_validator

from crm.hubspot.owners import HubSpotOwnerOptions
from crm.hubspot.sync import HubSpotSyncOptions
from crm.salesforce.geo import GeoHeaders
from crm.salesforce.settings import SalesforceSettings
from domain.base import CamelModel


class HubSpotEventTypeSettings(CamelModel):
    """One event type's HubSpot options: booking sync (with mappings) and contact-owner routing."""

    sync: HubSpotSyncOptions = HubSpotSyncOptions()
    owners: HubSpotOwnerOptions = HubSpotOwnerOptions()


class CrmEventTypeSettings(CamelModel):
    event_type_id: int = Field(ge=1)
    salesforce: SalesforceSettings | None = None
    hubspot: HubSpotEventTypeSettings | None = None


class CrmConfig(CamelModel):
    """The whole section. ``geo_headers`` name the request headers routing reads the booker's geo from."""

    geo_headers: GeoHeaders = GeoHeaders()
    event_types: list[CrmEventTypeSettings] = []

    @model_validator(mode="after")
    def _one_entry_per_event_type(self) -> "CrmConfig":
        ids = [e.event_type_id for e in self.event_types]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"eventTypes: event type {dup[0]} has two entries; merge them")
        return self

    def _entry(self, event_type_id: int | None) -> CrmEventTypeSettings | None:
        return next((e for e in self.event_types if e.event_type_id == event_type_id), None)

    def salesforce_for(self, event_type_id: int | None) -> SalesforceSettings:
        """The event type's Salesforce settings, or the defaults."""
        entry = self._entry(event_type_id)
        return entry.salesforce if entry and entry.salesforce else SalesforceSettings()

    def hubspot_for(self, event_type_id: int | None) -> HubSpotEventTypeSettings:
        """The event type's HubSpot settings, or the defaults."""
        entry = self._entry(event_type_id)
        return entry.hubspot if entry and entry.hubspot else HubSpotEventTypeSettings()

    def stored(self) -> dict:
        """The form kept in the store: every default spelled out, so readers need no crm/ import."""
        return self.model_dump(mode="json", by_alias=True)

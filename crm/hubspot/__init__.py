"""HubSpot: booking sync to meetings and contact-owner routing, through hubspot-api-client."""

from crm.hubspot.connection import HubSpotConnection
from crm.hubspot.errors import HubSpotError
from crm.hubspot.owners import HubSpotOwnerLookup, HubSpotOwnerOptions
from crm.hubspot.settings import HubSpotSettings
from crm.hubspot.sync import HubSpotBookingSync, HubSpotSyncOptions

__all__ = [
    "HubSpotBookingSync",
    "HubSpotConnection",
    "HubSpotError",
    "HubSpotOwnerLookup",
    "HubSpotOwnerOptions",
    "HubSpotSettings",
    "HubSpotSyncOptions",
]

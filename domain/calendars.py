"""Calendar connections as the store keeps them and the API shows them (Cal.com's shapes), no secrets."""

from datetime import datetime, timedelta
from typing import Literal

from domain.base import CamelModel

ConnectionStatus = Literal["ok", "error", "token_expired", "pending"]
Integration = Literal["apple_calendar", "caldav_calendar", "google_calendar", "office365_calendar", "ics-feed_calendar"]
# The `{calendar}` segment of Cal.com's routes and the integration each names.
INTEGRATIONS: dict[str, Integration] = {
    "apple": "apple_calendar",
    "caldav": "caldav_calendar",
    "google": "google_calendar",
    "office365": "office365_calendar",
    "ics-feed": "ics-feed_calendar",  # read-only feeds (POST /v2/calendars/ics-feed/save)
}
ICLOUD_URL = "https://caldav.icloud.com/"
SYNC_INTERVAL_SECONDS = 300.0
# A connection whose last good sync is older than this while it fails makes its host busy (fail closed).
STALE_AFTER = timedelta(minutes=5)
# The booking-time check refreshes a host's calendars first when their copy is older than this.
FRESH_FOR = timedelta(seconds=60)
# How long the booking-time refresh may take before the check goes on with the stored copy.
REFRESH_WAIT = timedelta(seconds=3)


class CalendarConnection(CamelModel):
    """One user's account at a provider (Cal.com's credential), with its sync health."""

    id: int
    uid: str
    user_id: int
    integration: str
    url: str
    tentative_blocks: bool = False
    status: ConnectionStatus = "pending"
    sync_error_count: int = 0
    sync_error_at: datetime | None = None
    error: str | None = None
    last_sync_at: datetime | None = None
    created_at: datetime

    def blocks_host(self, now: datetime) -> bool:
        """Whether its calendars cannot be trusted, so its host counts as busy (fail closed)."""
        return blocks_host(self.status, self.last_sync_at, now)


def blocks_host(status: str, last_sync_at: datetime | None, now: datetime) -> bool:
    """Whether a connection in ``status``, last synced at ``last_sync_at``, makes its host busy (fail closed)."""
    if status in ("token_expired", "pending"):
        return True
    if status == "error":
        return last_sync_at is None or now - last_sync_at > STALE_AFTER
    return False


class ConnectedCalendar(CamelModel):
    """One calendar of a connection, with what the sync knows of it."""

    connection_id: int
    external_id: str
    name: str
    primary: bool = False
    read_only: bool = False
    event_count: int = 0
    synced_at: datetime | None = None


class CalendarRef(CamelModel):
    """Which calendar: its integration, its id at the provider and the connection (credential) holding it."""

    integration: str
    external_id: str
    credential_id: int


class BookingReference(CamelModel):
    """Where a booking's event is at a provider (Cal.com's BookingReference)."""

    booking_uid: str
    type: str
    uid: str
    ical_uid: str
    external_calendar_id: str
    credential_id: int
    sequence: int = 0
    deleted: bool = False


class OAuthClient(CamelModel):
    """One provider's OAuth client (Google, Microsoft): its registered id and secret and its two endpoints."""

    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str


class SyncStart(CamelModel):
    """What starts a connection's CalendarSyncWorkflow."""

    connection_id: int
    interval_seconds: float = SYNC_INTERVAL_SECONDS


def sync_workflow_id(connection: CalendarConnection) -> str:
    """The id of the connection's CalendarSyncWorkflow."""
    return f"calendar-sync:{connection.uid}"

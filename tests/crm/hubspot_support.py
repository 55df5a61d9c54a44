"""Shared set-up for the HubSpot suites: a booking factory and a connection to the emulator."""

from datetime import UTC, datetime, timedelta
from typing import Any

from crm.hubspot.connection import HubSpotConnection
from crm.hubspot.settings import HubSpotSettings
from domain.booking import Attendee, Booking, BookingStatus
from domain.config import EventType, Host, User
from testkit.hubspot import HubSpotEmulator

TOKEN = "pat-na1-test-token-0123456789"
START = datetime(2030, 3, 4, 15, 30, tzinfo=UTC)
CREATED = datetime(2030, 2, 1, 9, 0, tzinfo=UTC)


def connect(emulator: HubSpotEmulator, **overrides: Any) -> HubSpotConnection:
    """A private-app connection to the emulator, with test-sized retry bounds."""
    settings = {"access_token": TOKEN, "api_base_url": emulator.base_url, "request_timeout_seconds": 5.0}
    return HubSpotConnection(HubSpotSettings(**(settings | overrides)))


def make_booking(**overrides: Any) -> Booking:
    """A 30-minute booking of Ada with the host Hal, created a month before it starts."""
    organizer = User(id=1, name="Hal Host", email="hal@bookflow.com", username="hal")
    event_type = EventType(
        id=7, slug="intro", title="Intro call", length_in_minutes=30, hosts=[Host(user_id=1)], description="A chat"
    )
    start = overrides.pop("start", START)
    fields: dict[str, Any] = {
        "id": 42,
        "uid": "bkg-uid-1",
        "event_type": event_type,
        "organizer": organizer,
        "attendees": [Attendee(name="Ada Lovelace", email="ada@acme.com", time_zone="Europe/London")],
        "start": start,
        "end": start + timedelta(minutes=30),
        "status": BookingStatus.ACCEPTED,
        "created_at": CREATED,
        "title": "Intro call between Hal Host and Ada Lovelace",
        "location": "https://meet.example/abc",
        "booking_fields_responses": {"notes": "Bring <b>numbers</b>", "company_size": "51-200"},
    }
    return Booking(**(fields | overrides))

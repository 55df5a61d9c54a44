"""The Google Calendar adapter through google-api-python-client against the loopback emulator."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from calendars.busy import busy_intervals
from calendars.google_provider import GoogleProvider, event_id_for
from calendars.model import CredentialRejected
from testkit.google_calendar import GoogleCalendarEmulator
from tests.calendars.test_caldav_provider import START, content


@pytest.fixture
def google() -> Iterator[GoogleCalendarEmulator]:
    with GoogleCalendarEmulator(calendars={"primary": "Ada", "team@group.calendar.google.com": "Team"}) as emulator:
        yield emulator


def provider_for(google: GoogleCalendarEmulator, **overrides: str) -> GoogleProvider:
    credentials = {
        "access_token": google.access_token,
        "refresh_token": google.refresh_token,
        "token_uri": google.token_uri,
        "client_id": "bookflow-client",
        "client_secret": "shh",
    } | overrides
    return GoogleProvider(credentials, api_root=google.api_root)


def test_lists_calendars(google: GoogleCalendarEmulator):
    found = provider_for(google).list_calendars()
    assert [(c.external_id, c.primary) for c in found] == [("primary", True), ("team@group.calendar.google.com", False)]


def test_a_retried_insert_makes_one_event_and_a_reschedule_moves_it(google: GoogleCalendarEmulator):
    provider = provider_for(google)
    first = provider.put_event("primary", content("m1@bookflow"))
    again = provider.put_event("primary", content("m1@bookflow"))
    assert first.created and not again.created and first.event_id == again.event_id == event_id_for("m1@bookflow")
    moved = provider.put_event("primary", content("m1@bookflow", sequence=1, start=START + timedelta(hours=2)))
    assert not moved.created
    [event] = google.events["primary"].values()
    assert event["start"]["dateTime"].startswith("2026-12-10T12:00") and event["sequence"] == 1
    provider.delete_event("primary", moved.event_id)
    provider.delete_event("primary", moved.event_id)  # 410: gone already
    assert google.events["primary"][moved.event_id]["status"] == "cancelled"


def test_sync_is_incremental_and_busy_follows_googles_semantics(google: GoogleCalendarEmulator):
    window = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
    at = {"start": {"dateTime": "2026-12-10T10:00:00Z"}, "end": {"dateTime": "2026-12-10T11:00:00Z"}}
    google.put_external("primary", {"id": "busy1", **at})
    google.put_external("primary", {"id": "free1", "transparency": "transparent", **at})
    declined = [{"email": "ada@example.com", "self": True, "responseStatus": "declined"}]
    google.put_external("primary", {"id": "nope1", "attendees": declined, **at})
    weekly = {
        "recurrence": ["RRULE:FREQ=WEEKLY"],
        "start": {"dateTime": "2026-11-02T08:00:00Z"},
        "end": {"dateTime": "2026-11-02T08:30:00Z"},
    }
    google.put_external("primary", {"id": "weekly1", **weekly})
    provider = provider_for(google)
    full = provider.sync("primary", None)
    blocking = {e.event_id: busy_intervals(e, window) for e in full.changed}
    assert len(blocking["busy1"]) == 1 and blocking["free1"] == [] and blocking["nope1"] == []
    assert len(blocking["weekly1"]) == 4  # the Mondays of December 2026
    google.put_external("primary", {"id": "busy2", **at})
    provider.delete_event("primary", "busy1")
    delta = provider.sync("primary", full.token)
    assert [e.event_id for e in delta.changed] == ["busy2"] and delta.deleted == ["busy1"]
    assert provider.sync("primary", "bogus").full  # an expired token: a full listing again


def test_an_expired_token_is_refreshed_and_a_revoked_one_is_rejected(google: GoogleCalendarEmulator):
    provider = provider_for(google)
    google.expire()
    assert provider.list_calendars()
    assert provider.refreshed_token() == google.access_token  # the activity stores it
    stale = google.access_token
    google.expire()
    google.revoked = True
    with pytest.raises(CredentialRejected):
        provider_for(google, access_token=stale).list_calendars()


def test_a_rotated_refresh_token_is_handed_back_to_be_stored(google: GoogleCalendarEmulator):
    google.rotate_refresh_token = True
    provider = provider_for(google)
    google.expire()
    assert provider.list_calendars()
    assert provider.refreshed_credentials() == {
        "access_token": google.access_token,
        "refresh_token": google.refresh_token,
    }

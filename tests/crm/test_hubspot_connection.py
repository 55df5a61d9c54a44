"""Connecting to HubSpot: private-app token or OAuth with refresh, settings, and failure reporting."""

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from activities.crm_providers import ConfiguredOwnerLookup, HubSpotClient
from crm.hubspot.connection import HubSpotConnection
from crm.hubspot.errors import HubSpotError
from crm.hubspot.owners import HubSpotOwnerLookup
from crm.hubspot.settings import HubSpotSettings
from domain.crm import OwnerQuery
from testkit.hubspot import HubSpotEmulator
from tests.crm.hubspot_support import TOKEN, connect
from worker.settings import load_settings

SECRET = "client-secret-never-shown"
REFRESH = "refresh-token-never-shown"


@pytest.fixture
def emulator() -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator(access_token=TOKEN) as emu:
        emu.add_refresh_token(REFRESH, "client-1", SECRET)
        owner = emu.add_owner("olga@bookflow.com")
        emu.add_object("contacts", {"email": "ada@acme.com", "hubspot_owner_id": owner})
        yield emu


def _oauth(emulator: HubSpotEmulator, refresh_token: str = REFRESH) -> HubSpotConnection:
    settings = HubSpotSettings(
        client_id="client-1", client_secret=SECRET, refresh_token=refresh_token, api_base_url=emulator.base_url
    )
    return HubSpotConnection(settings)


def _lookup_owner(connection: HubSpotConnection) -> str | None:
    query = OwnerQuery(attendee_email="ada@acme.com", host_emails=["olga@bookflow.com"], crm_app_slug="hubspot")
    return HubSpotOwnerLookup(connection).find_owner_sync(query).owner_email


def test_oauth_refreshes_before_the_first_call_and_again_after_a_401(emulator: HubSpotEmulator) -> None:
    connection = _oauth(emulator)

    assert _lookup_owner(connection) == "olga@bookflow.com"
    (token_call,) = emulator.requests_to("POST", "/oauth/v1/token")
    assert token_call.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert token_call.body == {
        "grant_type": "refresh_token",
        "client_id": "client-1",
        "client_secret": SECRET,
        "refresh_token": REFRESH,
    }
    first_bearer = emulator.requests_to("POST", "/crm/v3/objects/contacts/batch/read")[0].headers["authorization"]
    assert first_bearer.startswith("Bearer emulated-access-")

    emulator.revoke_access_tokens()  # HubSpot expired the token early: answer 401, refresh once
    assert _lookup_owner(connection) == "olga@bookflow.com"

    assert len(emulator.requests_to("POST", "/oauth/v1/token")) == 2
    reads = emulator.requests_to("POST", "/crm/v3/objects/contacts/batch/read")
    assert [r.headers["authorization"] for r in reads[1:]][-1] != first_bearer


def test_a_refused_refresh_is_a_clear_error_without_secrets(emulator: HubSpotEmulator) -> None:
    with pytest.raises(HubSpotError) as caught:
        _lookup_owner(_oauth(emulator, refresh_token="revoked"))
    error = caught.value
    assert not error.retryable and error.error.code == "BAD_REFRESH_TOKEN"
    assert "token refresh" in error.error.message
    for secret in (SECRET, "revoked"):
        assert secret not in str(error) and secret not in error.error.message


def test_settings_come_from_the_environment_and_hide_secrets(
    emulator: HubSpotEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("HUBSPOT_API_BASE_URL", emulator.base_url)
    settings = load_settings().hubspot

    assert TOKEN not in repr(settings) and not settings.uses_oauth
    assert _lookup_owner(HubSpotConnection(settings)) == "olga@bookflow.com"
    assert emulator.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_missing_credentials_are_refused_naming_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ACCESS_TOKEN", "CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN"):
        monkeypatch.delenv(f"HUBSPOT_{name}", raising=False)
    with pytest.raises(ValidationError) as caught:
        HubSpotSettings(client_id="client-1")
    message = str(caught.value)
    assert "HUBSPOT_ACCESS_TOKEN" in message
    assert "HUBSPOT_CLIENT_SECRET" in message and "HUBSPOT_REFRESH_TOKEN" in message
    assert "HUBSPOT_CLIENT_ID" not in message.split("missing")[1]


def test_an_unreachable_hubspot_is_a_retryable_connection_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = HubSpotSettings(access_token=TOKEN, api_base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(HubSpotError) as caught:
        _lookup_owner(HubSpotConnection(settings))
    assert caught.value.retryable and caught.value.error.code == "CONNECTION_ERROR"


async def test_routings_owner_lookup_hands_a_429s_retry_after_to_temporal(emulator: HubSpotEmulator, sqlite_db) -> None:
    emulator.inject_fault("POST", "/crm/v3/objects/contacts/batch/read", 429, times=1, retry_after="42")
    lookup = ConfiguredOwnerLookup(sqlite_db, HubSpotClient(connect(emulator)))
    query = OwnerQuery(attendee_email="ada@acme.com", host_emails=["olga@bookflow.com"], crm_app_slug="hubspot")

    with pytest.raises(ApplicationError) as caught:
        await lookup.find_owner(query)  # not waited in place: the activity's retry waits

    assert caught.value.type == "CrmUnavailable" and caught.value.next_retry_delay == timedelta(seconds=42)
    assert len(emulator.requests_to("POST", "/crm/v3/objects/contacts/batch/read")) == 1
    assert (await lookup.find_owner(query)).owner_email == "olga@bookflow.com"  # what the retry finds

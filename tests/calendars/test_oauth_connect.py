"""OAuth connect and save for Google and Outlook: connect → consent (the emulator's) → save → the calendars.

The API is built from the settings tree with Cal.com's variable names (GOOGLE_API_CREDENTIALS,
MS_GRAPH_CLIENT_ID/SECRET) and the endpoint settings pointed at the emulators; the code is exchanged (with
its PKCE verifier) by the first sync in the real worker, the tokens stored sealed.
"""

import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.app import create_app
from store import calendars
from testkit.google_calendar import GoogleCalendarEmulator
from testkit.graph import GraphEmulator
from testkit.stack import Stack, api_context

PUBLIC = "https://bookflow.example"


@asynccontextmanager
async def oauth_api(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, google: GoogleCalendarEmulator, graph: GraphEmulator
) -> AsyncIterator[Stack]:
    web = {"web": {"client_id": google.client_id, "client_secret": google.client_secret}}
    settings = {
        "GOOGLE_API_CREDENTIALS": json.dumps(web),
        "BOOKFLOW_GOOGLE_AUTHORIZE_URL": google.authorize_uri,
        "BOOKFLOW_GOOGLE_TOKEN_URL": google.token_uri,
        "BOOKFLOW_GOOGLE_CALENDAR_API_URL": google.api_root,
        "MS_GRAPH_CLIENT_ID": graph.client_id,
        "MS_GRAPH_CLIENT_SECRET": graph.client_secret,
        "BOOKFLOW_MS_GRAPH_LOGIN_URL": graph.url,
        "BOOKFLOW_MS_GRAPH_API_URL": graph.api_root,
        "BOOKFLOW_PUBLIC_URL": PUBLIC,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    # The API as production builds it, from these settings; the stack's worker and keys.
    app = create_app(api_context(stack.client, stack.db, stack.task_queue))
    yield dataclasses.replace(stack, transport=httpx.ASGITransport(app=app))


def consent(auth_url: str) -> str:
    """The browser at the provider: consent is granted, the provider redirects back; where to."""
    answer = httpx.get(auth_url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


@pytest.fixture
def emulators() -> AsyncIterator[tuple[GoogleCalendarEmulator, GraphEmulator]]:
    with (
        GoogleCalendarEmulator(calendars={"primary": "Ada", "team@group.calendar.google.com": "Team"}) as google,
        GraphEmulator(calendars={"AAMkCal": "Calendar", "AAMkWork": "Work"}) as graph,
    ):
        yield google, graph


@pytest.mark.parametrize(
    ("calendar", "integration", "expected"),
    [
        ("google", "google_calendar", {"primary", "team@group.calendar.google.com"}),
        ("office365", "office365_calendar", {"AAMkCal", "AAMkWork"}),
    ],
)
async def test_connect_consent_save_lists_the_calendars(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, emulators, calendar: str, integration: str, expected: set[str]
):
    google, graph = emulators
    provider = google if calendar == "google" else graph
    async with oauth_api(stack, monkeypatch, google, graph) as api, api.as_(api.keys.owner) as http:
        link = await http.get(
            f"/v2/calendars/{calendar}/connect", params={"isDryRun": "false", "redir": PUBLIC + "/done"}
        )
        assert link.status_code == 200, link.text
        auth_url = link.json()["data"]["authUrl"]
        query = {k: v[0] for k, v in parse_qs(urlsplit(auth_url).query).items()}
        assert (
            query["code_challenge_method"] == "S256"
            and query["redirect_uri"] == f"{PUBLIC}/v2/calendars/{calendar}/save"
        )
        assert "verifier" not in query["state"] and len(query["code_challenge"]) == 43

        back = urlsplit(consent(auth_url))
        assert f"{back.scheme}://{back.netloc}" == PUBLIC
        async with api.as_(None) as browser:  # the browser comes back without a key
            saved = await browser.get(f"{back.path}?{back.query}")
            assert saved.status_code == 302, saved.text
            assert saved.headers["location"] == PUBLIC + "/done"
            # A code is good once: the same redirect again connects nothing more.
            again = await browser.get(f"{back.path}?{back.query}")
            assert again.status_code == 400

        listed = (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"]
        [connection] = listed
        assert connection["integration"]["type"] == integration and connection["status"] == "ok"
        assert {c["externalId"] for c in connection["calendars"]} == expected
        async with stack.db.sessions() as session:
            stored = await calendars.credentials_of(session, connection["credentialId"])
            [row] = await calendars.list_connections(session, 1)
        assert stored["refresh_token"] == provider.refresh_token and stored["access_token"] == provider.access_token
        assert stored["code"] == "" and stored["code_verifier"] == ""
        assert row.url == provider.api_root
        assert provider.refresh_token not in saved.text + link.text


async def test_a_forged_or_foreign_state_is_refused(stack: Stack, monkeypatch: pytest.MonkeyPatch, emulators):
    google, graph = emulators
    async with oauth_api(stack, monkeypatch, google, graph) as api:
        async with api.as_(api.keys.owner) as http:
            link = await http.get("/v2/calendars/google/connect", params={"isDryRun": "false"})
            state = parse_qs(urlsplit(link.json()["data"]["authUrl"]).query)["state"][0]
            bad_redir = await http.get("/v2/calendars/google/connect", params={"redir": "javascript:alert(1)"})
            assert bad_redir.status_code == 400 and "redir" in bad_redir.json()["error"]["message"]
            apple = await http.get("/v2/calendars/apple/connect")
            assert apple.status_code == 400 and "calendar" in apple.json()["error"]["message"]
        async with api.as_(None) as browser:
            forged = json.dumps({"user_id": 1, "calendar": "google", "verifier": "x", "expires": 9e12})
            for bad in (forged, state[:-4] + "AAAA", "sealed:v1:" + state):
                refused = await browser.get("/v2/calendars/google/save", params={"state": bad, "code": "c"})
                assert refused.status_code == 400 and refused.json()["error"]["message"].startswith("state:")
            # A Google state does not open Outlook's save.
            other = await browser.get("/v2/calendars/office365/save", params={"state": state, "code": "c"})
            assert other.status_code == 400
            missing = await browser.get("/v2/calendars/google/save", params={"state": state})
            assert missing.status_code == 400
        async with api.as_(None) as anonymous:
            assert (await anonymous.get("/v2/calendars/google/connect")).status_code == 401
        async with api.as_(api.keys.owner) as http:
            assert (await http.get("/v2/calendars")).json()["data"]["connectedCalendars"] == []

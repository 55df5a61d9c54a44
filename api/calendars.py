"""Calendars in Cal.com's API v2 shapes: connect (CalDAV, iCloud; Google and Outlook through OAuth; read-only
ICS feeds), list, check, disconnect, select calendars for conflicts, choose the destination calendar, and read
the stored busy times.

The API never calls a provider: connecting saves the connection (credentials sealed) and asks the
connection's CalendarSyncWorkflow for a first sync, whose report decides (a refused login, code or URL
removes the connection again and answers 400); an OAuth code is exchanged for tokens by that first sync, in
the worker. Every route acts on the key's own connections (another user's answers 404); OAuth's save is
reached by the user's browser without a key, the sealed ``state`` naming the user. Each connection in
``GET /v2/calendars`` carries its sync health (Bookflow's extension): ``status``, ``syncErrorCount``,
``syncErrorAt``, ``error``, ``lastSyncAt``.
"""

import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from temporalio.client import WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from api.access import Caller, CurrentUser, owns_event_type
from api.context import ApiContext, Ctx
from api.errors import ApiError
from api.schemas import Envelope
from domain.base import CamelModel
from domain.calendars import (
    FRESH_FOR,
    ICLOUD_URL,
    INTEGRATIONS,
    REFRESH_WAIT,
    CalendarConnection,
    CalendarRef,
    OAuthClient,
    SyncStart,
    sync_workflow_id,
)
from domain.text_bounds import NAME, URL
from store import calendars as store
from store import config

router = APIRouter(tags=["calendars"])

CREDENTIAL_CALENDARS = ("apple", "caldav")
OAUTH_CALENDARS = ("google", "office365")
ICS_FEED = "ics-feed_calendar"
# Read busy time and write events (Google: spec §3.1; Microsoft: offline_access for a refresh token).
SCOPES = {
    "google": ["https://www.googleapis.com/auth/calendar.readonly", "https://www.googleapis.com/auth/calendar.events"],
    "office365": ["offline_access", "User.Read", "Calendars.Read", "Calendars.ReadWrite"],
}
# Google hands out a refresh token only for offline access, and again only when consent is asked for.
EXTRA_AUTHORIZE = {"google": {"access_type": "offline", "prompt": "consent"}, "office365": {"prompt": "select_account"}}
# How long connect and check wait for the first sync's answer.
SYNC_WAIT_SECONDS = 60.0
TITLES = {
    "apple_calendar": "Apple Calendar",
    "caldav_calendar": "CalDav Server",
    "google_calendar": "Google Calendar",
    "office365_calendar": "Outlook Calendar",
    "ics-feed_calendar": "ICS Feed",
}


class CalendarCredentials(CamelModel):
    """Cal.com's CreateCalendarCredentialsInput; ``url`` (the CalDAV server) is Bookflow's for ``caldav``."""

    username: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    url: str | None = Field(default=None, max_length=2048)
    tentative_blocks: bool = False


class DisconnectInput(CamelModel):
    id: int


class SelectedCalendarInput(CamelModel):
    integration: str = Field(min_length=1, max_length=NAME)
    external_id: str = Field(min_length=1, max_length=URL)  # a CalDAV calendar is named by its URL
    credential_id: int
    delegation_credential_id: str | None = Field(default=None, max_length=NAME)


class DestinationInput(CamelModel):
    integration: str = Field(min_length=1, max_length=NAME)
    external_id: str = Field(min_length=1, max_length=URL)
    delegation_credential_id: str | None = Field(default=None, max_length=NAME)
    # Bookflow's extension: the event type's destination, which wins over the user's.
    event_type_id: int | None = None


def _integration(calendar: str, allowed: tuple[str, ...] = tuple(INTEGRATIONS)) -> str:
    if calendar not in allowed:
        raise ApiError(400, f"calendar: must be one of {', '.join(allowed)}, not {calendar!r}")
    return INTEGRATIONS[calendar]  # type: ignore[index]


async def _sync_now(
    ctx: ApiContext, connection: CalendarConnection, list_calendars: bool, wait: float = SYNC_WAIT_SECONDS
) -> dict[str, Any]:
    """Ask the connection's sync workflow (started if needed) for a sync now, and its report."""
    handle = await ctx.temporal.start_workflow(
        "CalendarSyncWorkflow",
        SyncStart(connection_id=connection.id, interval_seconds=ctx.config.calendars.sync_interval_seconds),
        id=sync_workflow_id(connection),
        task_queue=ctx.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    try:
        return await asyncio.wait_for(handle.execute_update("sync_now", list_calendars, result_type=dict), wait)
    except (TimeoutError, WorkflowUpdateFailedError, RPCError) as failed:
        return {"ok": False, "status": "error", "error": f"the sync did not answer ({type(failed).__name__})"}


async def _stop_sync(ctx: ApiContext, connection: CalendarConnection) -> None:
    with contextlib.suppress(RPCError):  # not running: nothing to stop
        await ctx.temporal.get_workflow_handle(sync_workflow_id(connection)).signal("stop")


async def _own_connection(ctx: ApiContext, caller: Caller, connection_id: int, integration: str | None = None):
    async with ctx.db.sessions() as session:
        connection = await store.get_connection(session, connection_id)
    if connection is None or not (caller.admin or connection.user_id == caller.user_id):
        raise ApiError(404, f"credentialId: calendar credential {connection_id} not found")
    if integration is not None and connection.integration != integration:
        raise ApiError(400, f"integration: credential {connection_id} is a {connection.integration} connection")
    return connection


async def refresh_stale(ctx: ApiContext, host_ids: Sequence[int]) -> None:
    """Before a booking-time check: sync the hosts' connections whose copy is older than FRESH_FOR.

    Bounded by REFRESH_WAIT; a sync that fails or is slow leaves the check to the stored copy and the
    connection's status (which fails closed once the copy is stale).
    """
    now = datetime.now(UTC)
    async with ctx.db.sessions() as session:
        credential_ids = {ref.credential_id for _, ref in await store.selected_of(session, host_ids)}
        stale = [
            c
            for c in [await store.get_connection(session, i) for i in sorted(credential_ids)]
            if c is not None and (c.last_sync_at is None or now - c.last_sync_at > FRESH_FOR)
        ]
    if stale:
        await asyncio.gather(*(_sync_now(ctx, c, False, REFRESH_WAIT.total_seconds()) for c in stale))


# -- connecting ------------------------------------------------------------------------------------------


@router.post("/v2/calendars/{calendar}/credentials", status_code=201)
async def save_credentials(calendar: str, body: CalendarCredentials, ctx: Ctx, caller: CurrentUser) -> Envelope:
    """Connect a CalDAV account (``apple``: iCloud's server; ``caldav``: the ``url`` given)."""
    integration = _integration(calendar, CREDENTIAL_CALENDARS)
    if calendar == "caldav" and not body.url:
        raise ApiError(400, "url: required for a CalDAV server (the server's or the calendar home's URL)")
    url = body.url if calendar == "caldav" else ICLOUD_URL
    assert url is not None
    problems = await ctx.checks.subscriber_url_problems(url, ctx.config.allow_private_urls)
    if problems:
        raise ApiError(400, "url: " + "; ".join(problems))
    async with ctx.db.transaction() as session:
        connection = await store.add_connection(
            session,
            caller.user_id,
            integration,
            url,
            {"username": body.username, "password": body.password},
            datetime.now(UTC),
            tentative_blocks=body.tentative_blocks,
        )
    report = await _sync_now(ctx, connection, list_calendars=True)
    if not report.get("ok"):
        await _stop_sync(ctx, connection)
        async with ctx.db.transaction() as session:
            await store.delete_connection(session, connection.id)
        raise ApiError(400, f"Could not add this {calendar} account: {report.get('error') or 'the server refused'}")
    return Envelope(data=_credential(connection))


def _credential(connection: CalendarConnection, invalid: bool = False) -> dict[str, Any]:
    return {
        "id": connection.id,
        "type": connection.integration,
        "userId": connection.user_id,
        "teamId": None,
        "appId": connection.integration.replace("_calendar", "-calendar"),
        "invalid": invalid,
    }


# -- read-only ICS feeds (Cal.com's ics-feed app) ----------------------------------------------------------


class IcsFeedInput(CamelModel):
    """Cal.com's CreateIcsFeedInputDto."""

    urls: list[Annotated[str, Field(min_length=1, max_length=URL)]] = Field(min_length=1, max_length=20)
    read_only: bool = True


@router.post("/v2/calendars/ics-feed/save", status_code=201)
async def save_ics_feed(body: IcsFeedInput, ctx: Ctx, caller: CurrentUser) -> dict[str, Any]:
    """Connect read-only feeds: each URL is a calendar, selected at once, synced into the busy store."""
    if not body.read_only:
        raise ApiError(400, "readOnly: an ICS feed is read-only")
    for index, url in enumerate(body.urls):
        problems = await ctx.checks.subscriber_url_problems(url, ctx.config.allow_private_urls)
        if problems:
            raise ApiError(400, f"urls[{index}]: " + "; ".join(problems))
    urls = list(dict.fromkeys(body.urls))
    async with ctx.db.transaction() as session:
        connection = await store.add_connection(
            session, caller.user_id, ICS_FEED, urls[0], {"urls": json.dumps(urls)}, datetime.now(UTC)
        )
        for url in urls:
            ref = CalendarRef(integration=ICS_FEED, external_id=url, credential_id=connection.id)
            await store.select_calendar(session, caller.user_id, ref)
    report = await _sync_now(ctx, connection, list_calendars=True)
    if not report.get("ok"):
        await _stop_sync(ctx, connection)
        async with ctx.db.transaction() as session:
            await store.delete_connection(session, connection.id)
        raise ApiError(400, f"urls: could not read the feed: {report.get('error') or 'the server refused'}")
    return {"status": "success", "data": _credential(connection) | {"appId": "ics-feed"}}


@router.get("/v2/calendars/ics-feed/check")
async def check_ics_feeds(ctx: Ctx, caller: CurrentUser) -> dict[str, Any]:
    """Fetch the caller's feeds now; 400 naming the first that cannot be read."""
    async with ctx.db.sessions() as session:
        mine = [c for c in await store.list_connections(session, caller.user_id) if c.integration == ICS_FEED]
    if not mine:
        raise ApiError(400, "calendar: no ICS feed is connected")
    for connection in mine:
        report = await _sync_now(ctx, connection, list_calendars=True)
        if not report.get("ok"):
            raise ApiError(400, f"credentialId {connection.id}: {report.get('error') or 'cannot be read'}")
    return {"status": "success", "data": {"checked": len(mine)}}


@router.get("/v2/calendars/{calendar}/check")
async def check(calendar: str, ctx: Ctx, caller: CurrentUser) -> dict[str, Any]:
    """Sync the caller's connections of this kind now; 400 naming the first that cannot be read."""
    integration = _integration(calendar)
    async with ctx.db.sessions() as session:
        mine = [c for c in await store.list_connections(session, caller.user_id) if c.integration == integration]
    if not mine:
        raise ApiError(400, f"calendar: no {calendar} calendar is connected")
    for connection in mine:
        report = await _sync_now(ctx, connection, list_calendars=True)
        if not report.get("ok"):
            raise ApiError(400, f"credentialId {connection.id}: {report.get('error') or 'cannot be read'}")
    return {"status": "success"}


@router.post("/v2/calendars/{calendar}/disconnect")
async def disconnect(calendar: str, body: DisconnectInput, ctx: Ctx, caller: CurrentUser) -> Envelope:
    integration = _integration(calendar)
    connection = await _own_connection(ctx, caller, body.id, integration)
    await _stop_sync(ctx, connection)
    async with ctx.db.transaction() as session:
        await store.delete_connection(session, connection.id)
    return Envelope(data=_credential(connection))


# -- OAuth: Google and Outlook --------------------------------------------------------------------------


class OAuthState(BaseModel):
    """What the ``state`` of a connect link carries, sealed: whose connection, the PKCE verifier, where next."""

    user_id: int
    calendar: str
    verifier: str
    redir: str | None = None
    expires: float


def _oauth_client(ctx: ApiContext, calendar: str) -> OAuthClient:
    settings = ctx.config.calendars
    client = settings.google_client() if calendar == "google" else settings.microsoft_client()
    if client is None:
        names = "GOOGLE_API_CREDENTIALS" if calendar == "google" else "MS_GRAPH_CLIENT_ID and MS_GRAPH_CLIENT_SECRET"
        raise ApiError(400, f"calendar: {calendar} is not set up on this server ({names})")
    return client


def _redirect_uri(ctx: ApiContext, calendar: str) -> str:
    return f"{ctx.config.calendars.public_url.rstrip('/')}/v2/calendars/{calendar}/save"


def _pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) for one authorization (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


@router.get("/v2/calendars/{calendar}/connect")
async def connect(
    calendar: str,
    ctx: Ctx,
    caller: CurrentUser,
    is_dry_run: Annotated[bool, Query(alias="isDryRun")] = False,
    redir: Annotated[str | None, Query(max_length=URL)] = None,
) -> dict[str, Any]:
    """Cal.com's connect: the provider's consent URL, with PKCE (S256) and a sealed, expiring ``state``."""
    _integration(calendar, OAUTH_CALENDARS)
    if redir is not None and not redir.startswith(("https://", "http://")):
        raise ApiError(400, "redir: must be an http(s) URL")
    client = _oauth_client(ctx, calendar)
    verifier, challenge = _pkce_pair()
    expires = datetime.now(UTC).timestamp() + ctx.config.calendars.oauth_state_minutes * 60
    state = OAuthState(user_id=caller.user_id, calendar=calendar, verifier=verifier, redir=redir, expires=expires)
    async with ctx.db.sessions() as session:
        sealed = store.seal_state(session, state.model_dump_json())
    query = {
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": _redirect_uri(ctx, calendar),
        "scope": " ".join(SCOPES[calendar]),
        "state": sealed,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **EXTRA_AUTHORIZE[calendar],
    }
    return {"status": "success", "data": {"authUrl": f"{client.authorize_url}?{urlencode(query)}"}}


@router.get("/v2/calendars/{calendar}/save", response_model=None)
async def save(
    calendar: str,
    ctx: Ctx,
    state: Annotated[str, Query(min_length=1, max_length=4096)],
    code: Annotated[str, Query(min_length=1, max_length=4096)],
) -> RedirectResponse | dict[str, Any]:
    """Cal.com's save (the provider sends the browser here): the code is exchanged for tokens by the first
    sync, in the worker, and the tokens are stored sealed; then back to ``redir`` when the link named one."""
    integration = _integration(calendar, OAUTH_CALENDARS)
    async with ctx.db.sessions() as session:
        opened = store.open_state(session, state)
    try:
        claim = OAuthState.model_validate_json(opened or "")
    except ValueError:
        raise ApiError(400, "state: not a connect link of this server") from None
    if claim.calendar != calendar or claim.expires < datetime.now(UTC).timestamp():
        raise ApiError(400, "state: expired or for another calendar; connect again")
    client = _oauth_client(ctx, calendar)
    settings = ctx.config.calendars
    api_root = settings.google_api_url if calendar == "google" else settings.ms_graph_api_url
    grant = {
        "code": code,
        "code_verifier": claim.verifier,
        "redirect_uri": _redirect_uri(ctx, calendar),
        "token_uri": client.token_url,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
    }
    async with ctx.db.transaction() as session:
        connection = await store.add_connection(session, claim.user_id, integration, api_root, grant, datetime.now(UTC))
    report = await _sync_now(ctx, connection, list_calendars=True)
    if not report.get("ok"):
        await _stop_sync(ctx, connection)
        async with ctx.db.transaction() as session:
            await store.delete_connection(session, connection.id)
        raise ApiError(400, f"code: could not connect {calendar}: {report.get('error') or 'the provider refused'}")
    if claim.redir:
        return RedirectResponse(claim.redir, status_code=302)
    return {"status": "success", "data": _credential(connection)}


# -- listing ---------------------------------------------------------------------------------------------


@router.get("/v2/calendars")
async def list_calendars(ctx: Ctx, caller: CurrentUser) -> Envelope:
    """Cal.com's ConnectedCalendarsData, each connection with its sync health."""
    async with ctx.db.sessions() as session:
        connections = await store.list_connections(session, caller.user_id)
        selected = {(r.credential_id, r.external_id) for _, r in await store.selected_of(session, [caller.user_id])}
        destination = await store.destination_for(session, caller.user_id)
        listed = [(c, await store.calendars_of(session, c.id)) for c in connections]
    user_email = await _email(ctx, caller.user_id)
    connected = []
    names: dict[tuple[int, str], tuple[str, bool, bool]] = {}
    for connection, calendars in listed:
        entries = [
            {
                "externalId": c.external_id,
                "integration": connection.integration,
                "name": c.name,
                "primary": c.primary,
                "readOnly": c.read_only,
                "email": user_email,
                "isSelected": (connection.id, c.external_id) in selected,
                "credentialId": connection.id,
                "delegationCredentialId": None,
                "eventCount": c.event_count,
                "syncedAt": c.synced_at.isoformat() if c.synced_at else None,
            }
            for c in calendars
        ]
        names |= {(connection.id, c.external_id): (c.name, c.primary, c.read_only) for c in calendars}
        primary = next((e for e in entries if e["primary"]), entries[0] if entries else None)
        connected.append(
            {
                "integration": _integration_info(connection.integration),
                "credentialId": connection.id,
                "delegationCredentialId": None,
                "primary": primary,
                "calendars": entries,
                "status": connection.status,
                "syncErrorCount": connection.sync_error_count,
                "syncErrorAt": connection.sync_error_at.isoformat() if connection.sync_error_at else None,
                "error": connection.error,
                "lastSyncAt": connection.last_sync_at.isoformat() if connection.last_sync_at else None,
            }
        )
    return Envelope(
        data={"connectedCalendars": connected, "destinationCalendar": _destination(destination, caller, names)}
    )


def _integration_info(integration: str) -> dict[str, Any]:
    slug = "ics-feed" if integration == ICS_FEED else integration.replace("_calendar", "-calendar")
    return {
        "name": TITLES.get(integration, integration),
        "title": TITLES.get(integration, integration),
        "type": integration,
        "slug": slug,
        "variant": "calendar",
        "categories": ["calendar"],
        "category": "calendar",
        "description": "",
        "logo": "",
        "publisher": "Bookflow",
        "url": "",
        "email": "",
        "locationOption": None,
        "installed": True,
    }


def _destination(ref: CalendarRef | None, caller: Caller, names: dict) -> dict[str, Any] | None:
    if ref is None:
        return None
    name, primary, read_only = names.get((ref.credential_id, ref.external_id), (None, False, False))
    return {
        "id": ref.credential_id,
        "integration": ref.integration,
        "externalId": ref.external_id,
        "primaryEmail": None,
        "userId": caller.user_id,
        "eventTypeId": None,
        "credentialId": ref.credential_id,
        "delegationCredentialId": None,
        "name": name,
        "primary": primary,
        "readOnly": read_only,
        "integrationTitle": TITLES.get(ref.integration, ref.integration),
    }


async def _email(ctx: ApiContext, user_id: int) -> str:
    async with ctx.db.sessions() as session:
        user = await config.get_user(session, user_id)
    return str(user.email) if user else ""


# -- selected and destination calendars ------------------------------------------------------------------


async def _calendar_of(ctx: ApiContext, caller: Caller, integration: str, external_id: str, credential_id: int):
    connection = await _own_connection(ctx, caller, credential_id, integration)
    async with ctx.db.sessions() as session:
        calendars = await store.calendars_of(session, connection.id)
    if external_id not in {c.external_id for c in calendars}:
        raise ApiError(400, f"externalId: {external_id!r} is not a calendar of credential {credential_id}")
    return connection


@router.post("/v2/selected-calendars", status_code=201)
async def select(body: SelectedCalendarInput, ctx: Ctx, caller: CurrentUser) -> Envelope:
    """Check this calendar for conflicts; its events are synced before the answer (when the server answers)."""
    connection = await _calendar_of(ctx, caller, body.integration, body.external_id, body.credential_id)
    ref = CalendarRef(integration=body.integration, external_id=body.external_id, credential_id=connection.id)
    async with ctx.db.transaction() as session:
        await store.select_calendar(session, connection.user_id, ref)
    await _sync_now(ctx, connection, list_calendars=False)
    return Envelope(data=_selected(connection.user_id, ref))


def _selected(user_id: int, ref: CalendarRef) -> dict[str, Any]:
    return {
        "userId": user_id,
        "integration": ref.integration,
        "externalId": ref.external_id,
        "credentialId": ref.credential_id,
    }


@router.delete("/v2/selected-calendars")
async def unselect(
    ctx: Ctx,
    caller: CurrentUser,
    integration: Annotated[str, Query(min_length=1)],
    external_id: Annotated[str, Query(alias="externalId", min_length=1)],
    credential_id: Annotated[int, Query(alias="credentialId")],
) -> Envelope:
    connection = await _own_connection(ctx, caller, credential_id, integration)
    ref = CalendarRef(integration=integration, external_id=external_id, credential_id=connection.id)
    async with ctx.db.transaction() as session:
        removed = await store.unselect_calendar(session, connection.user_id, ref)
    if not removed:
        raise ApiError(404, f"externalId: {external_id!r} is not selected")
    return Envelope(data=_selected(connection.user_id, ref))


@router.put("/v2/destination-calendars")
async def set_destination(body: DestinationInput, ctx: Ctx, caller: CurrentUser) -> Envelope:
    """Write bookings to this calendar (the caller's, or with ``eventTypeId`` that event type's, which wins)."""
    async with ctx.db.sessions() as session:
        connections = [
            c for c in await store.list_connections(session, caller.user_id) if c.integration == body.integration
        ]
        found = [
            (c, x)
            for c in connections
            for x in await store.calendars_of(session, c.id)
            if x.external_id == body.external_id
        ]
        holding = [c for c, x in found if not x.read_only]
        event_type = await config.get_event_type(session, body.event_type_id) if body.event_type_id else None
    if found and not holding:
        raise ApiError(400, f"externalId: {body.external_id!r} is read-only (an ICS feed cannot hold bookings)")
    if not holding:
        raise ApiError(
            400, f"externalId: {body.external_id!r} is not a calendar of your {body.integration} connections"
        )
    if body.event_type_id is not None and (event_type is None or not owns_event_type(caller, event_type)):
        raise ApiError(404, f"eventTypeId: event type {body.event_type_id} not found")
    connection = holding[0]
    ref = CalendarRef(integration=body.integration, external_id=body.external_id, credential_id=connection.id)
    async with ctx.db.transaction() as session:
        await store.set_destination(session, ref, user_id=caller.user_id, event_type_id=body.event_type_id)
    return Envelope(data=_selected(caller.user_id, ref))


# -- busy times ------------------------------------------------------------------------------------------


def _day(value: str | None, field: str, zone: ZoneInfo, default: date) -> datetime:
    try:
        day = date.fromisoformat(value[:10]) if value else default
    except ValueError:
        raise ApiError(400, f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None
    return datetime.combine(day, time(0), zone)


@router.get("/v2/calendars/busy-times")
async def busy_times(
    ctx: Ctx,
    caller: CurrentUser,
    logged_in_users_tz: Annotated[str, Query(alias="loggedInUsersTz", min_length=1)],
    credential_id: Annotated[int, Query(alias="credentialId")],
    external_id: Annotated[str, Query(alias="externalId", min_length=1)],
    date_from: Annotated[str | None, Query(alias="dateFrom")] = None,
    date_to: Annotated[str | None, Query(alias="dateTo")] = None,
) -> Envelope:
    """The stored busy time of one of the caller's calendars between two days of their zone."""
    try:
        zone = ZoneInfo(logged_in_users_tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError(400, f"loggedInUsersTz: {logged_in_users_tz!r} is not a time zone") from None
    connection = await _own_connection(ctx, caller, credential_id)
    today = datetime.now(zone).date()
    start = _day(date_from, "dateFrom", zone, today)
    end = _day(date_to, "dateTo", zone, today) + timedelta(days=1)
    if end <= start:
        raise ApiError(400, "dateTo: must not be before dateFrom")
    ref = CalendarRef(integration=connection.integration, external_id=external_id, credential_id=connection.id)
    async with ctx.db.sessions() as session:
        found = await store.busy_times(session, connection.user_id, [ref], start, end)
    return Envelope(
        data=[{"start": s.isoformat(), "end": e.isoformat(), "source": connection.integration} for s, e, _ in found]
    )

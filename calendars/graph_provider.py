"""Microsoft Graph (Outlook, Microsoft 365 calendars) with ``msgraph-sdk``.

The SDK's default middleware stays on (``/me`` rewriting, the RetryHandler that honours ``Retry-After``);
only its base URL moves (an emulator in tests). Bookflow holds delegated tokens, so auth is kiota's bearer
provider over the stored access token; a 401 refreshes it once at the token endpoint (Microsoft rotates
the refresh token: both are handed back to be stored).

Busy time: ``calendarView/delta`` per selected calendar over Bookflow's window (series come expanded into
occurrences), followed by its ``@odata.deltaLink``; the link is kept with the window's end, and a window
that has slid too far starts over with a full listing. Each event becomes one VEVENT, so which events block
is decided by the same rules as CalDAV's (calendars.busy): ``showAs`` free/workingElsewhere and declined
events are transparent, tentative is TENTATIVE, cancelled is CANCELLED.

Destination events: ``POST /me/calendars/{id}/events`` with ``transactionId`` = the meeting's UID, so a
retried create (the SDK's own retries of a POST after 503, or an activity retried after a crash) answers
the event made the first time; once the event's id is known, moves are ``PATCH /me/events/{id}``.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx
from icalendar import Calendar, Event
from kiota_abstractions.api_error import APIError
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.attendee import Attendee as GraphAttendee
from msgraph.generated.models.attendee_type import AttendeeType
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.event import Event as GraphEvent
from msgraph.generated.models.free_busy_status import FreeBusyStatus
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.location import Location
from msgraph.generated.models.response_type import ResponseType
from msgraph.generated.users.item.calendars.item.calendar_view.delta.delta_request_builder import DeltaRequestBuilder
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_request_adapter import options as graph_options
from msgraph_core import GraphClientFactory

from calendars import oauth
from calendars.model import (
    CalendarError,
    CalendarInfo,
    CredentialRejected,
    EventContent,
    EventWritten,
    SyncChanges,
    SyncedEvent,
)
from domain.calendars import OAuthClient

API_ROOT = "https://graph.microsoft.com/v1.0"
TOKEN_URI = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
SCOPES = ["offline_access", "User.Read", "Calendars.Read", "Calendars.ReadWrite"]
# The busy window the delta covers (as the activities' stored copy: a day back, 60 days ahead); a delta
# link whose window ends less than SLIDE before the wanted end starts over.
LOOK_BACK = timedelta(days=1)
LOOK_AHEAD = timedelta(days=60)
SLIDE = timedelta(days=7)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
UTC_PREFERENCE = 'outlook.timezone="UTC"'
NOT_BLOCKING = {FreeBusyStatus.Free, FreeBusyStatus.WorkingElsewhere}

T = TypeVar("T")


class _StoredToken(AccessTokenProvider):
    """The connection's delegated access token, as kiota's bearer provider asks for it."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def get_authorization_token(self, uri: str, additional_authentication_context: dict[str, Any] = {}) -> str:  # noqa: B006 (kiota's signature)
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator([])  # the base URL is ours to choose (checked by the activity's URL policy)


def _failure(error: APIError, what: str) -> CalendarError:
    status = error.response_status_code or 0
    if status in (401, 403):
        return CredentialRejected(f"{what}: Microsoft refused the credentials ({status})", status)
    return CalendarError(
        f"{what}: Microsoft Graph answered {status}", retryable=status >= 500 or status == 429, status=status
    )


def _utc(value: DateTimeTimeZone | None) -> datetime | None:
    if value is None or not value.date_time:
        return None
    # With Prefer: outlook.timezone="UTC" every time comes in UTC (up to 7 decimals, which Python does not parse).
    return datetime.fromisoformat(value.date_time[:19]).replace(tzinfo=UTC)


class GraphProvider:
    """One Microsoft account: delegated tokens (refreshed on a 401) and the Graph base URL."""

    def __init__(self, credentials: dict[str, str], api_root: str = API_ROOT) -> None:
        self._credentials = dict(credentials)
        self._initial = dict(credentials)
        self._token = _StoredToken(credentials.get("access_token", ""))
        self._api_root = api_root.rstrip("/")
        self.calls = 0

    # -- plumbing ---------------------------------------------------------------------------------------------

    def refreshed_credentials(self) -> dict[str, str] | None:
        """The tokens a refresh during this provider's calls brought (to store, sealed), else None."""
        changed = {k: v for k, v in self._credentials.items() if self._initial.get(k) != v}
        return changed or None

    def _client(self, http: httpx.AsyncClient) -> GraphServiceClient:
        adapter = GraphRequestAdapter(
            BaseBearerTokenAuthenticationProvider(self._token),
            client=GraphClientFactory.create_with_default_middleware(client=http, options=graph_options),
        )
        adapter.base_url = self._api_root
        return GraphServiceClient(request_adapter=adapter)

    def _refresh(self) -> None:
        client = OAuthClient(
            client_id=self._credentials.get("client_id", ""),
            client_secret=self._credentials.get("client_secret", ""),
            authorize_url="",
            token_url=self._credentials.get("token_uri", TOKEN_URI),
        )
        answer = oauth.refresh(client, self._credentials.get("refresh_token", ""), SCOPES)
        self._credentials["access_token"] = self._token.token = answer.access_token
        if answer.refresh_token:  # Microsoft rotates it: the old one stops working soon
            self._credentials["refresh_token"] = answer.refresh_token

    def _run(self, call: Callable[[GraphServiceClient], Awaitable[T]], what: str) -> T:
        """One SDK call (blocking, as the interface is: activities run it in a thread); a 401 refreshes once."""
        for attempt in range(2):
            self.calls += 1
            try:
                return asyncio.run(self._once(call))
            except APIError as error:
                if error.response_status_code == 401 and attempt == 0 and self._credentials.get("refresh_token"):
                    self._refresh()
                    continue
                raise _failure(error, what) from error
            except httpx.HTTPError as failed:
                raise CalendarError(f"{what}: cannot reach Microsoft Graph ({type(failed).__name__})") from failed
        raise AssertionError("unreachable")

    async def _once(self, call: Callable[[GraphServiceClient], Awaitable[T]]) -> T:
        # A client per call: httpx's pool belongs to the event loop that asyncio.run makes for this call.
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            return await call(self._client(http))

    @staticmethod
    def _utc_config(**query: Any) -> RequestConfiguration:
        config: RequestConfiguration = RequestConfiguration()
        config.headers.add("Prefer", UTC_PREFERENCE)
        if query:
            config.query_parameters = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(**query)
        return config

    # -- the interface ----------------------------------------------------------------------------------------

    def list_calendars(self) -> list[CalendarInfo]:
        found, link = [], None
        while True:
            calendars = self._run(
                lambda c, at=link: (c.me.calendars.with_url(at) if at else c.me.calendars).get(), "list calendars"
            )
            for item in calendars.value or [] if calendars else []:
                found.append(
                    CalendarInfo(
                        external_id=item.id or "",
                        name=item.name or item.id or "",
                        primary=bool(item.is_default_calendar),
                        read_only=not item.can_edit,
                    )
                )
            link = calendars.odata_next_link if calendars else None
            if not link:
                return found

    def change_marker(self, calendar_id: str) -> str | None:
        """None: Graph has no cheap marker; a delta with the link is one call when nothing changed."""
        return None

    def sync(self, calendar_id: str, token: str | None) -> SyncChanges:
        """calendarView/delta since ``token`` (every page); an expired or slid window lists everything again."""
        now = datetime.now(UTC)
        state = json.loads(token) if token else None
        if state is not None and datetime.fromisoformat(state["until"]) < now + LOOK_AHEAD - SLIDE:
            state = None
        try:
            return self._delta(calendar_id, state, now)
        except CalendarError as failed:
            if failed.status == 410 and state is not None:
                return self._delta(calendar_id, None, now)
            raise

    def _delta(self, calendar_id: str, state: dict[str, str] | None, now: datetime) -> SyncChanges:
        until = state["until"] if state else (now + LOOK_AHEAD).isoformat()
        link = state["link"] if state else None
        first = self._utc_config(
            start_date_time=(now - LOOK_BACK).strftime("%Y-%m-%dT%H:%M:%SZ"),
            end_date_time=datetime.fromisoformat(until).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        changed, deleted = [], []
        while True:

            def page(client: GraphServiceClient, at: str | None = link) -> Any:
                delta = client.me.calendars.by_calendar_id(calendar_id).calendar_view.delta
                return delta.with_url(at).get(self._utc_config()) if at else delta.get(first)

            answer = self._run(page, "sync events")
            for item in answer.value or [] if answer else []:
                if (item.additional_data or {}).get("@removed") is not None:
                    deleted.append(item.id or "")
                else:
                    changed.append(SyncedEvent(event_id=item.id or "", etag=item.change_key, ics=as_ical(item)))
            if answer and answer.odata_next_link:
                link = answer.odata_next_link
                continue
            delta_link = answer.odata_delta_link if answer else None
            token = json.dumps({"link": delta_link, "until": until}) if delta_link else None
            return SyncChanges(token=token, full=state is None, changed=changed, deleted=deleted)

    def put_event(self, calendar_id: str, content: EventContent, event_id: str | None = None) -> EventWritten:
        """PATCH the known event; else create with ``transactionId`` (a repeat answers the first event)."""
        body = _body(content)
        if event_id:
            try:
                updated = self._run(lambda c: c.me.events.by_event_id(event_id).patch(body), "update event")
                return EventWritten(event_id=updated.id if updated and updated.id else event_id, etag=_etag(updated))
            except CalendarError as failed:
                if failed.status != 404:
                    raise  # gone (deleted by its owner): made again below
        body.transaction_id = content.uid
        created = self._run(lambda c: c.me.calendars.by_calendar_id(calendar_id).events.post(body), "create event")
        if created is None or not created.id:
            raise CalendarError("create event: Microsoft Graph answered no event")
        if _utc(created.start) != content.start.astimezone(UTC):
            # The transaction answered an older version of this meeting's event: bring it up to date.
            return self.put_event(calendar_id, content, created.id)
        return EventWritten(event_id=created.id, etag=_etag(created), created=True)

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """DELETE /me/events/{id}; 404 (gone already) is done."""
        try:
            self._run(lambda c: c.me.events.by_event_id(event_id).delete(), "delete event")
        except CalendarError as failed:
            if failed.status != 404:
                raise


def _etag(event: GraphEvent | None) -> str | None:
    return event.change_key if event else None


def _body(content: EventContent) -> GraphEvent:
    description = content.description.replace("\n", "<br>")
    return GraphEvent(
        subject=content.title,
        body=ItemBody(content_type=BodyType.Html, content=description),
        start=DateTimeTimeZone(date_time=content.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), time_zone="UTC"),
        end=DateTimeTimeZone(date_time=content.end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), time_zone="UTC"),
        location=Location(display_name=content.location) if content.location else None,
        attendees=[
            GraphAttendee(email_address=EmailAddress(address=p.email, name=p.name), type=AttendeeType.Required)
            for p in content.attendees
        ],
        show_as=FreeBusyStatus.Busy,
    )


def as_ical(item: GraphEvent) -> str:
    """One Graph event (an occurrence of a series, or a single one) as a VEVENT with its blocking semantics."""
    event = Event()
    # Bookflow's own events carry the meeting's UID as transactionId: calendars.busy skips them.
    event.add("uid", item.transaction_id or item.i_cal_u_id or item.id or "")
    start, end = _utc(item.start), _utc(item.end)
    if item.is_all_day and start and end:
        event.add("dtstart", date.fromisoformat(start.date().isoformat()))
        event.add("dtend", date.fromisoformat(end.date().isoformat()))
    else:
        if start:
            event.add("dtstart", start)
        if end:
            event.add("dtend", end)
    declined = item.response_status is not None and item.response_status.response == ResponseType.Declined
    if item.show_as in NOT_BLOCKING or declined:
        event.add("transp", "TRANSPARENT")
    status = (
        "CANCELLED" if item.is_cancelled else "TENTATIVE" if item.show_as == FreeBusyStatus.Tentative else "CONFIRMED"
    )
    event.add("status", status)
    calendar = Calendar()
    calendar.add("prodid", "-//Bookflow//Microsoft Graph//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return calendar.to_ical().decode()

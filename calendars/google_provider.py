"""Google Calendar API v3 with ``google-api-python-client``.

Destination events get a client-chosen id derived from the meeting's UID (base32hex), so a retried insert
answers 409 and the existing event is updated instead of a second one being made. Sync is ``events.list``
with ``syncToken`` (410: the token expired, start over). Google's events are turned into one VEVENT each,
so which of them block time is decided by the same rules as CalDAV's (calendars.busy).
"""

import base64
from datetime import date, datetime
from typing import Any

from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from icalendar import Calendar, Event, vRecur

from calendars.model import (
    CalendarError,
    CalendarInfo,
    CredentialRejected,
    EventContent,
    EventWritten,
    SyncChanges,
    SyncedEvent,
)

API_ROOT = "https://www.googleapis.com/calendar/v3/"
TOKEN_URI = "https://oauth2.googleapis.com/token"
RETRIES = 2  # the client retries 429, 403 rate limits and 5xx itself


def event_id_for(uid: str) -> str:
    """Google's client-chosen event id for a meeting UID: base32hex, lower case ([a-v0-9])."""
    return base64.b32hexencode(uid.encode()).decode().lower().rstrip("=")


def _failure(error: HttpError, what: str) -> CalendarError:
    status = error.resp.status
    if status in (401, 403) and b"rateLimit" not in (error.content or b""):
        return CredentialRejected(f"{what}: Google refused the credentials ({status})", status)
    return CalendarError(
        f"{what}: Google answered {status}", retryable=status >= 500 or status in (403, 429), status=status
    )


class GoogleProvider:
    """One Google account: OAuth tokens (refreshed when they expire) and the API root (an emulator in tests)."""

    def __init__(self, credentials: dict[str, str], api_root: str = API_ROOT) -> None:
        self._credentials = Credentials(
            token=credentials.get("access_token"),
            refresh_token=credentials.get("refresh_token"),
            token_uri=credentials.get("token_uri", TOKEN_URI),
            client_id=credentials.get("client_id"),
            client_secret=credentials.get("client_secret"),
        )
        self._service = build(
            "calendar",
            "v3",
            credentials=self._credentials,
            client_options={"api_endpoint": api_root},
            cache_discovery=False,
        )
        self._initial_token = credentials.get("access_token")
        self._initial_refresh = credentials.get("refresh_token")
        self.calls = 0

    def refreshed_token(self) -> str | None:
        """The new access token when the client refreshed it during this provider's calls (to store)."""
        token = self._credentials.token
        return token if token and token != self._initial_token else None

    def refreshed_credentials(self) -> dict[str, str] | None:
        """The tokens a refresh brought (to store, sealed): the access token, and the refresh token when
        Google rotated it too."""
        token = self.refreshed_token()
        if token is None:
            return None
        changes = {"access_token": token}
        if self._credentials.refresh_token and self._credentials.refresh_token != self._initial_refresh:
            changes["refresh_token"] = self._credentials.refresh_token
        return changes

    def _run(self, request: Any, what: str) -> Any:
        self.calls += 1
        try:
            return request.execute(num_retries=RETRIES)
        except HttpError as error:
            raise _failure(error, what) from error
        except RefreshError as refused:
            raise CredentialRejected(f"{what}: Google refused to refresh the token") from refused
        except OSError as failed:
            raise CalendarError(f"{what}: cannot reach Google ({type(failed).__name__})") from failed

    def list_calendars(self) -> list[CalendarInfo]:
        found, page = [], None
        while True:
            answer = self._run(self._service.calendarList().list(pageToken=page), "list calendars")
            for item in answer.get("items", []):
                found.append(
                    CalendarInfo(
                        external_id=item["id"],
                        name=item.get("summaryOverride") or item.get("summary") or item["id"],
                        primary=bool(item.get("primary")),
                        read_only=item.get("accessRole") not in ("owner", "writer"),
                    )
                )
            page = answer.get("nextPageToken")
            if not page:
                return found

    def change_marker(self, calendar_id: str) -> str | None:
        """None: Google has no cheap marker; an incremental list with the sync token is one call."""
        return None

    def sync(self, calendar_id: str, token: str | None) -> SyncChanges:
        """events.list since ``token`` (every page); a 410 means start over with a full listing."""
        try:
            return self._list(calendar_id, token)
        except CalendarError as failed:
            if failed.status == 410 and token is not None:
                return self._list(calendar_id, None)
            raise

    def _list(self, calendar_id: str, token: str | None) -> SyncChanges:
        changed, deleted, page = [], [], None
        while True:
            request = self._service.events().list(
                calendarId=calendar_id, syncToken=token, pageToken=page, showDeleted=token is not None, maxResults=2500
            )
            answer = self._run(request, "list events")
            for item in answer.get("items", []):
                if item.get("status") == "cancelled" and "start" not in item:
                    deleted.append(item["id"])
                else:
                    changed.append(SyncedEvent(event_id=item["id"], etag=item.get("etag"), ics=as_ical(item)))
            page = answer.get("nextPageToken")
            if not page:
                return SyncChanges(
                    token=answer.get("nextSyncToken"), full=token is None, changed=changed, deleted=deleted
                )

    def put_event(self, calendar_id: str, content: EventContent, event_id: str | None = None) -> EventWritten:
        """Insert with the id derived from the UID; on 409 (ours already) update it unless it is newer."""
        body = _body(content)
        events = self._service.events()
        try:
            created = self._run(events.insert(calendarId=calendar_id, body=body, sendUpdates="none"), "create event")
            return EventWritten(event_id=created["id"], etag=created.get("etag"), created=True)
        except CalendarError as failed:
            if failed.status != 409:
                raise
        current = self._run(events.get(calendarId=calendar_id, eventId=body["id"]), "read event")
        if int(current.get("sequence", 0)) > content.sequence:
            return EventWritten(event_id=current["id"], etag=current.get("etag"))
        updated = self._run(
            events.update(calendarId=calendar_id, eventId=body["id"], body=body, sendUpdates="none"), "update event"
        )
        return EventWritten(event_id=updated["id"], etag=updated.get("etag"))

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """DELETE; 404 and 410 (deleted already) are done."""
        try:
            self._run(
                self._service.events().delete(calendarId=calendar_id, eventId=event_id, sendUpdates="none"),
                "delete event",
            )
        except CalendarError as failed:
            if failed.status not in (404, 410):
                raise


def _body(content: EventContent) -> dict[str, Any]:
    attendees = [{"email": p.email, "displayName": p.name, "responseStatus": "accepted"} for p in content.attendees]
    organizer = {"email": content.organizer.email, "displayName": content.organizer.name, "organizer": True}
    return {
        "id": event_id_for(content.uid),
        "summary": content.title,
        "description": content.description,
        "location": content.location,
        "start": {"dateTime": content.start.isoformat(), "timeZone": content.time_zone},
        "end": {"dateTime": content.end.isoformat(), "timeZone": content.time_zone},
        "attendees": [organizer | {"responseStatus": "accepted"}, *attendees],
        "sequence": content.sequence,
        "reminders": {"useDefault": True},
        "extendedProperties": {"private": {"bookflowUid": content.uid}},
    }


def as_ical(item: dict[str, Any]) -> str:
    """One Google event as a VEVENT: times, recurrence, transparency, status and the owner's answer."""
    event = Event()
    # Bookflow's own events carry the meeting's UID: calendars.busy skips them (their bookings hold the time).
    own = item.get("extendedProperties", {}).get("private", {}).get("bookflowUid")
    event.add("uid", own or item.get("iCalUID") or item["id"])
    for name in ("start", "end"):
        moment = item.get(name, {})
        if "dateTime" in moment:
            event.add(f"dt{name}", datetime.fromisoformat(moment["dateTime"].replace("Z", "+00:00")))
        elif "date" in moment:
            event.add(f"dt{name}", date.fromisoformat(moment["date"]))
    for rule in item.get("recurrence", []):
        if rule.startswith("RRULE:"):
            event.add("rrule", vRecur.from_ical(rule.removeprefix("RRULE:")))
    declined = any(a.get("self") and a.get("responseStatus") == "declined" for a in item.get("attendees", []))
    # The calendar's owner declined: like a transparent event, it does not make them busy.
    if item.get("transparency") == "transparent" or declined:
        event.add("transp", "TRANSPARENT")
    status = {"tentative": "TENTATIVE", "cancelled": "CANCELLED"}.get(item.get("status", ""), "CONFIRMED")
    event.add("status", status)
    calendar = Calendar()
    calendar.add("prodid", "-//Bookflow//Google//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return calendar.to_ical().decode()

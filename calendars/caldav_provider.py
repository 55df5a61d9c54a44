"""CalDAV (RFC 4791) with the ``caldav`` library: iCloud, Nextcloud, Fastmail, Radicale, Xandikos.

Destination events live at ``<calendar><uid>.ics``. Create is ``PUT`` with ``If-None-Match: *``, so a retried
activity finds its own event (412) and adopts it instead of making a second one; an update is ``PUT`` with
``If-Match`` on the event's ETag and a higher SEQUENCE; delete is ``DELETE`` (404 means done). Sync uses
``sync-collection`` (RFC 6578) and ``getctag`` as the cheap change probe.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import caldav
from caldav.elements import dav
from caldav.lib import error

from calendars.mapping import sequence_of, to_ical
from calendars.model import (
    CalendarError,
    CalendarInfo,
    CredentialRejected,
    EventContent,
    EventWritten,
    SyncChanges,
    SyncedEvent,
)

CTAG = "{http://calendarserver.org/ns/}getctag"
ICS = {"Content-Type": "text/calendar; charset=utf-8"}
TIMEOUT = 20
# Events fetched per calendar-multiget REPORT.
MULTIGET_BATCH = 200


def _status_error(status: int, what: str) -> CalendarError:
    if status in (401, 403):
        return CredentialRejected(f"{what}: the server refused the credentials ({status})", status)
    return CalendarError(
        f"{what}: the server answered {status}", retryable=status >= 500 or status == 429, status=status
    )


def _calls(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's and the network's failures into CalendarError, without their details (credentials)."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except CalendarError:
            raise
        except error.AuthorizationError as refused:
            raise CredentialRejected(f"{method.__name__}: the server refused the credentials") from refused
        except error.DAVError as failed:
            raise CalendarError(f"{method.__name__}: {type(failed).__name__}") from failed
        except OSError as failed:  # connection refused, timeout, TLS
            raise CalendarError(f"{method.__name__}: cannot reach the server ({type(failed).__name__})") from failed

    wrapped.__name__ = method.__name__
    wrapped.__doc__ = method.__doc__
    return wrapped


class CalDavProvider:
    """One CalDAV account: ``url`` (the server or the principal), Basic ``username`` and ``password``."""

    def __init__(self, url: str, username: str, password: str, timeout: float = TIMEOUT) -> None:
        self._client = caldav.DAVClient(url=url, username=username, password=password, timeout=timeout)
        # Counts requests, so tests and the bench can hold the "one call per calendar" budget.
        self.calls = 0

    def _calendar(self, calendar_id: str) -> caldav.Calendar:
        return caldav.Calendar(client=self._client, url=calendar_id)

    @_calls
    def list_calendars(self) -> list[CalendarInfo]:
        """The principal's calendars that hold events (VEVENT)."""
        self.calls += 1
        found = []
        calendars = self._client.principal().calendars()
        for index, calendar in enumerate(calendars):
            try:
                components = calendar.get_supported_components()
            except (error.DAVError, KeyError):
                components = ["VEVENT"]
            if "VEVENT" not in components:
                continue
            name = calendar.get_display_name() or str(calendar.url).rstrip("/").rsplit("/", 1)[-1]
            found.append(CalendarInfo(external_id=str(calendar.url), name=name, primary=index == 0))
        return found

    @_calls
    def change_marker(self, calendar_id: str) -> str | None:
        """The calendar's ``getctag`` (one PROPFIND), None when the server has none."""
        self.calls += 1
        answer = self._calendar(calendar_id).get_properties([dav.GetEtag(), _GetCtag()])
        value = answer.get(CTAG)
        return str(value) if value else None

    @_calls
    def sync(self, calendar_id: str, token: str | None) -> SyncChanges:
        """sync-collection since ``token`` (a full listing if it expired), then the changed events by multiget."""
        calendar = self._calendar(calendar_id)
        self.calls += 1
        collection = calendar.objects_by_sync_token(sync_token=token, load_objects=False)
        # The sync report lists changed and deleted hrefs alike; multiget skips the deleted ones (404),
        # so whatever was listed but not fetched is gone.
        # Servers and the library spell hrefs differently ("%40" or "@"): the sync listing's spelling is the id.
        listed = [obj.url for obj in collection]
        wanted = {_path(url): str(url) for url in listed}
        changed = []
        fetched: set[str] = set()
        urls = list(dict.fromkeys(listed))
        for first in range(0, len(urls), MULTIGET_BATCH):
            self.calls += 1
            for obj in calendar.multiget(urls[first : first + MULTIGET_BATCH]):
                event_id = wanted.get(_path(obj.url))
                if event_id is not None and obj.data:
                    fetched.add(event_id)
                    changed.append(SyncedEvent(event_id=event_id, etag=_etag(obj), ics=obj.data))
        deleted = set(wanted.values()) - fetched
        fresh = str(collection.sync_token) if collection.sync_token else None
        return SyncChanges(token=fresh, full=token is None or fresh is None, changed=changed, deleted=sorted(deleted))

    @_calls
    def put_event(self, calendar_id: str, content: EventContent, event_id: str | None = None) -> EventWritten:
        """PUT If-None-Match: *; if the event exists, update it in place when ours is newer."""
        url = urljoin(calendar_id if calendar_id.endswith("/") else calendar_id + "/", quote(content.uid) + ".ics")
        body = to_ical(content)
        self.calls += 1
        created = self._client.put(url, body, ICS | {"If-None-Match": "*"})
        if created.status in (200, 201, 204):
            return EventWritten(event_id=url, etag=created.headers.get("etag"), created=True)
        if created.status != 412:
            raise _status_error(created.status, "create event")
        self.calls += 1
        current = self._client.request(url, "GET")
        if current.status != 200:
            raise _status_error(current.status, "read event")
        etag = current.headers.get("etag")
        if sequence_of(current.raw) > content.sequence or _same(current.raw, body):
            return EventWritten(event_id=url, etag=etag)
        self.calls += 1
        updated = self._client.put(url, body, ICS | ({"If-Match": etag} if etag else {}))
        if updated.status not in (200, 201, 204):
            # 412: changed meanwhile; the activity's retry reads it again.
            raise _status_error(updated.status, "update event")
        return EventWritten(event_id=url, etag=updated.headers.get("etag"))

    @_calls
    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """DELETE the event's href; 404 and 410 mean it is gone already."""
        self.calls += 1
        answer = self._client.delete(event_id)
        if answer.status not in (200, 204, 404, 410):
            raise _status_error(answer.status, "delete event")


class _GetCtag(dav.BaseElement):  # type: ignore[misc]
    tag = CTAG


def _path(url: Any) -> str:
    return unquote(urlsplit(str(url)).path)


def _etag(obj: Any) -> str | None:
    props = getattr(obj, "props", None) or {}
    value = props.get(dav.GetEtag.tag)
    return str(value) if value else None


def _same(stored: str, ours: str) -> bool:
    """Whether the stored event says what ours says (DTSTAMP aside): nothing to write."""

    def lines(text: str) -> list[str]:
        unfolded = text.replace("\r\n ", "").replace("\n ", "")
        return sorted(line for line in unfolded.splitlines() if line and not line.startswith("DTSTAMP"))

    return lines(stored) == lines(ours)

"""Read-only ICS feeds (Cal.com's ``ics-feed`` app): each feed URL is one calendar, fetched whole with ``httpx``.

A feed has no sync token, so every sync is a full listing; the ETag / Last-Modified of the last fetch make a
conditional GET (``304 Not Modified``) the cheap change marker. Redirects are not followed: each URL was
checked against the outbound URL rules, and a redirect could lead anywhere. Events are grouped by UID (a
series with its exceptions stays together) so calendars.busy expands them as it does CalDAV's.
"""

from collections import defaultdict

import httpx
from icalendar import Calendar

from calendars.model import CalendarError, CalendarInfo, EventContent, EventWritten, SyncChanges, SyncedEvent

TIMEOUT = httpx.Timeout(20.0, connect=10.0)
MAX_BYTES = 10 * 1024 * 1024  # a feed bigger than this is refused rather than parsed


class IcsFeedProvider:
    """The feeds of one connection (``urls``); read-only."""

    def __init__(self, urls: list[str]) -> None:
        self._urls = urls
        self.calls = 0

    def list_calendars(self) -> list[CalendarInfo]:
        found = []
        for url in self._urls:
            feed = self._fetch(url)
            name = str(feed.get("x-wr-calname", "")) or url
            found.append(CalendarInfo(external_id=url, name=name, primary=not found, read_only=True))
        return found

    def change_marker(self, calendar_id: str) -> str | None:
        """None: a conditional GET costs as much as the fetch when the feed changed, so sync fetches directly."""
        return None

    def _get(self, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        self.calls += 1
        try:
            answer = httpx.get(url, headers=headers or {}, timeout=TIMEOUT, follow_redirects=False)
        except httpx.HTTPError as failed:
            raise CalendarError(f"fetch feed: cannot reach it ({type(failed).__name__})") from failed
        if answer.status_code in (401, 403, 404, 410):
            raise CalendarError(f"fetch feed: the server answered {answer.status_code}", retryable=False)
        if answer.status_code != 200 and answer.status_code != 304:
            retry = answer.status_code >= 500 or answer.status_code == 429
            raise CalendarError(f"fetch feed: the server answered {answer.status_code}", retryable=retry)
        if len(answer.content) > MAX_BYTES:
            raise CalendarError("fetch feed: larger than 10 MB", retryable=False)
        return answer

    def _fetch(self, url: str) -> Calendar:
        answer = self._get(url)
        try:
            return Calendar.from_ical(answer.content)
        except ValueError as invalid:
            raise CalendarError("fetch feed: not an iCalendar file", retryable=False) from invalid

    def sync(self, calendar_id: str, token: str | None) -> SyncChanges:
        """The whole feed (``token`` is the last ETag: a 304 means nothing changed)."""
        answer = self._get(calendar_id, {"If-None-Match": token} if token else None)
        if answer.status_code == 304 and token:
            return SyncChanges(token=token, full=False)
        try:
            feed = Calendar.from_ical(answer.content)
        except ValueError as invalid:
            raise CalendarError("fetch feed: not an iCalendar file", retryable=False) from invalid
        return SyncChanges(token=answer.headers.get("etag"), full=True, changed=split(feed))

    def put_event(self, calendar_id: str, content: EventContent, event_id: str | None = None) -> EventWritten:
        raise CalendarError("an ICS feed is read-only", retryable=False)

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        raise CalendarError("an ICS feed is read-only", retryable=False)


def split(feed: Calendar) -> list[SyncedEvent]:
    """One stored event per UID: the feed's VEVENTs with that UID and the time zones they use."""
    by_uid: dict[str, list] = defaultdict(list)
    for event in feed.walk("VEVENT"):
        by_uid[str(event.get("uid", ""))].append(event)
    zones = list(feed.walk("VTIMEZONE"))
    found = []
    for uid, events in by_uid.items():
        calendar = Calendar()
        calendar.add("prodid", "-//Bookflow//ICS feed//EN")
        calendar.add("version", "2.0")
        for part in [*zones, *events]:
            calendar.add_component(part)
        found.append(SyncedEvent(event_id=uid or f"no-uid-{len(found)}", ics=calendar.to_ical().decode()))
    return found

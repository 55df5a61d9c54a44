"""The interface of one connection to a calendar provider (CalDAV, Google Calendar, Microsoft Graph).

Calls are blocking (the client libraries are); activities run them in a thread. Every write is idempotent:
creating an event that exists already updates it, deleting one that is gone is done.
"""

from typing import Protocol

from calendars.model import CalendarInfo, EventContent, EventWritten, SyncChanges


class CalendarProvider(Protocol):
    def list_calendars(self) -> list[CalendarInfo]:
        """The calendars of the connection that hold events."""
        ...

    def change_marker(self, calendar_id: str) -> str | None:
        """A cheap value that changes whenever the calendar does (CalDAV ctag), or None if unknown."""
        ...

    def sync(self, calendar_id: str, token: str | None) -> SyncChanges:
        """The events changed since ``token`` (all of them when ``token`` is None or expired)."""
        ...

    def put_event(self, calendar_id: str, content: EventContent, event_id: str | None = None) -> EventWritten:
        """Create the event, or update it in place when one with its UID exists (never a second one).

        ``event_id`` is the provider's id from the booking's reference, when known: providers whose ids are
        not derived from the UID (Graph) update that event; the others derive it and may ignore it.
        """
        ...

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Remove the event; an event already gone is done."""
        ...

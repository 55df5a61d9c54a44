"""The types every calendar provider speaks: calendars, synced events, busy intervals and destination events."""

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field


class CalendarError(Exception):
    """A provider call failed; ``retryable`` says whether trying again later may succeed."""

    def __init__(self, message: str, *, retryable: bool = True, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable, self.status = retryable, status


class CredentialRejected(CalendarError):
    """The provider refused the credential (401/403): the connection must be reconnected."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message, retryable=False, status=status)


class CalendarInfo(BaseModel):
    """One calendar of a connection."""

    external_id: str
    name: str
    primary: bool = False
    read_only: bool = False


class BusyInterval(BaseModel):
    """Time one event of a calendar blocks (one occurrence of a recurring event)."""

    start: AwareDatetime
    end: AwareDatetime
    event_id: str


class SyncedEvent(BaseModel):
    """One event object as the provider holds it: its id (href), version (etag) and iCalendar text."""

    event_id: str
    etag: str | None = None
    ics: str


class SyncChanges(BaseModel):
    """What changed in one calendar since ``token``; ``full`` means ``changed`` is the whole calendar."""

    token: str | None
    full: bool
    changed: list[SyncedEvent] = []
    deleted: list[str] = []


class Attendee(BaseModel):
    name: str
    email: str


class EventContent(BaseModel):
    """The event a booking puts in its destination calendar (pure data, from calendars.mapping)."""

    uid: str = Field(description="The iCalendar UID: the meeting's identity for its whole life.")
    sequence: int = 0
    title: str
    description: str = ""
    start: AwareDatetime
    end: AwareDatetime
    time_zone: str = "UTC"
    location: str | None = None
    video_url: str | None = None
    organizer: Attendee
    attendees: list[Attendee] = []
    stamp: datetime


class EventWritten(BaseModel):
    """Where a destination event is: the provider's id for it (CalDAV: its href) and its version."""

    event_id: str
    etag: str | None = None
    created: bool = False

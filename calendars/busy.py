"""Which events of a calendar block time, and when: pure functions over iCalendar text.

Recurring events are expanded with ``recurring-ical-events`` (exceptions and EXDATEs included) inside a
window. Transparent, cancelled and declined events never block; tentative ones block only when the
connection says so (``tentativeBlocks``, default off: "only confirmed events block time"). All-day events
block their days in the calendar's time zone.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Component

from calendars.model import BusyInterval, SyncedEvent

UTC = ZoneInfo("UTC")
# Bookflow's own destination events: their bookings hold the time already (and a reschedule frees it).
OWN_UID_SUFFIX = "@bookflow"


def _declined_by(event: Component, owner_email: str | None) -> bool:
    if not owner_email:
        return False
    attendees = event.get("attendee", [])
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        if str(attendee).lower().removeprefix("mailto:") == owner_email.lower():
            return str(attendee.params.get("PARTSTAT", "")).upper() == "DECLINED"
    return False


def blocks(event: Component, *, tentative_blocks: bool, owner_email: str | None = None) -> bool:
    """Whether one (expanded) VEVENT makes its owner busy."""
    if str(event.get("uid", "")).endswith(OWN_UID_SUFFIX):
        return False
    if str(event.get("transp", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    status = str(event.get("status", "CONFIRMED")).upper()
    if status == "CANCELLED" or (status == "TENTATIVE" and not tentative_blocks):
        return False
    return not _declined_by(event, owner_email)


def _moment(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.combine(value, time(0), zone).astimezone(UTC)


def busy_intervals(
    event: SyncedEvent,
    window: tuple[datetime, datetime],
    *,
    tentative_blocks: bool = False,
    owner_email: str | None = None,
    zone: str = "UTC",
) -> list[BusyInterval]:
    """The busy time of one stored event object inside ``window`` (every occurrence of a series)."""
    calendar = Calendar.from_ical(event.ics)
    local = ZoneInfo(zone)
    found = []
    for occurrence in recurring_ical_events.of(calendar).between(*window):
        if occurrence.name != "VEVENT" or not blocks(
            occurrence, tentative_blocks=tentative_blocks, owner_email=owner_email
        ):
            continue
        start = occurrence.get("dtstart")
        end = occurrence.get("dtend")
        if start is None:
            continue
        begins = _moment(start.dt, local)
        if end is not None:
            ends = _moment(end.dt, local)
        elif occurrence.get("duration") is not None:
            ends = begins + occurrence["duration"].dt
        else:
            ends = begins
        if ends > begins:
            found.append(BusyInterval(start=begins, end=ends, event_id=event.event_id))
    return found

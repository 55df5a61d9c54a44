"""A booking as the event of its destination calendar: pure functions, no I/O.

The event's UID is the meeting's identity for its whole life (the first booking's ``iCalUID``; a reschedule
moves the same event and raises its SEQUENCE). Attendees carry ``SCHEDULE-AGENT=CLIENT`` (RFC 6638) so
auto-scheduling servers (iCloud, Nextcloud) send no invitation of their own: Bookflow sends its own.
"""

from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from calendars.model import Attendee, EventContent
from domain.booking import Booking

PRODID = "-//Bookflow//Bookflow//EN"


def video_url(booking: Booking) -> str | None:
    """The meeting link: Cal.com's ``videoCallUrl`` metadata, or a location that is a URL."""
    link = booking.metadata.get("videoCallUrl")
    if link:
        return link
    if booking.location and booking.location.startswith(("https://", "http://")):
        return booking.location
    return None


def place(booking: Booking) -> str | None:
    """The LOCATION: the meeting link, else a place named by the booking (integration names are not places)."""
    link = video_url(booking)
    if link:
        return link
    location = booking.location or None
    return None if location is None or location.startswith("integrations:") else location


def describe(booking: Booking) -> str:
    """The event's description: the booking's, then what the booker answered, then the link."""
    parts = [booking.description or booking.event_type.description]
    notes = booking.booking_fields_responses.get("notes")
    if notes:
        parts.append(f"Additional notes: {notes}")
    link = video_url(booking)
    if link:
        parts.append(f"Join: {link}")
    return "\n\n".join(p for p in parts if p)


def event_content(booking: Booking, uid: str, stamp: datetime) -> EventContent:
    """The destination event of ``booking`` under the meeting's ``uid``, stamped at ``stamp``."""
    organizer = booking.organizer
    guests = [Attendee(name=g, email=str(g)) for g in booking.guests]
    return EventContent(
        uid=uid,
        sequence=booking.ical_sequence,
        title=booking.title,
        description=describe(booking),
        start=booking.start,
        end=booking.end,
        time_zone=organizer.time_zone,
        location=place(booking),
        video_url=video_url(booking),
        organizer=Attendee(name=organizer.name, email=str(organizer.email)),
        attendees=[Attendee(name=a.name, email=str(a.email)) for a in booking.attendees] + guests,
        stamp=stamp,
    )


def _address(person: Attendee, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    for name, value in params.items():
        address.params[name] = vText(value)
    return address


def to_ical(content: EventContent) -> str:
    """One VEVENT in a VCALENDAR without METHOD (RFC 4791 §4.1), times in UTC."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", content.uid)
    event.add("dtstamp", content.stamp)
    event.add("dtstart", content.start)
    event.add("dtend", content.end)
    event.add("sequence", content.sequence)
    event.add("summary", content.title)
    if content.description:
        event.add("description", content.description)
    if content.location:
        event.add("location", content.location)
    if content.video_url:
        event.add("url", content.video_url)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(content.organizer))
    for person in content.attendees:
        event.add(
            "attendee",
            _address(person, ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED", **{"SCHEDULE-AGENT": "CLIENT"}),
        )
    calendar.add_component(event)
    return calendar.to_ical().decode()


def sequence_of(ics: str) -> int:
    """The SEQUENCE of the first VEVENT of ``ics`` (0 when absent)."""
    for event in Calendar.from_ical(ics).walk("VEVENT"):
        return int(event.get("sequence", 0))
    return 0

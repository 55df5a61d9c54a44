"""The calendar invite (.ics, RFC 5545) an email step may attach, built with ``icalendar``.

The library does the escaping, parameter quoting (a ':' or ';' in a name) and line folding.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress

from domain.booking import Attendee, Booking, BookingStatus


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = name
    address.params.update(params)
    return address


def calendar_invite(
    booking: Booking, stamp: datetime, attendees: Sequence[Attendee] | None = None, cancelled: bool | None = None
) -> str:
    """The booking as an iCalendar REQUEST, or a CANCEL once it is cancelled; same UID, rising SEQUENCE.

    ``attendees``: those the recipient may see (default all); ``cancelled``: a CANCEL for this recipient
    although the booking goes on (a seat given up).
    """
    if cancelled is None:
        cancelled = booking.status in (BookingStatus.CANCELLED, BookingStatus.REJECTED)
    event = Event()
    event.add("uid", booking.ical_uid)
    event.add("sequence", booking.ical_sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", booking.start.astimezone(UTC))
    event.add("dtend", booking.end.astimezone(UTC))
    event.add("summary", booking.title)
    event.add("description", booking.description)
    event.add("location", booking.location or "")
    event.add("organizer", _address(str(booking.organizer.email), booking.organizer.name))
    for attendee in booking.attendees if attendees is None else attendees:
        event.add("attendee", _address(str(attendee.email), attendee.name, ROLE="REQ-PARTICIPANT"))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//Bookflow//Reminders//EN")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    calendar.add_component(event)
    return calendar.to_ical().decode()

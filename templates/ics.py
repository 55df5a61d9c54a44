"""The calendar invite (.ics, RFC 5545) an email step may attach."""

from datetime import UTC, datetime

from domain.booking import Booking, BookingStatus


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    out, rest = [], line
    while len(rest.encode()) > 75:
        cut = 75
        while len(rest[:cut].encode()) > 75:
            cut -= 1
        out.append(rest[:cut])
        rest = " " + rest[cut:]
    return "\r\n".join([*out, rest])


def calendar_invite(booking: Booking, stamp: datetime) -> str:
    """The booking as an iCalendar REQUEST, or a CANCEL once it is cancelled; same UID, rising SEQUENCE."""
    cancelled = booking.status in (BookingStatus.CANCELLED, BookingStatus.REJECTED)
    organizer = booking.organizer
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Bookflow//Reminders//EN",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if cancelled else 'REQUEST'}",
        "BEGIN:VEVENT",
        f"UID:{booking.ical_uid}",
        f"SEQUENCE:{booking.ical_sequence}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(booking.start)}",
        f"DTEND:{_utc(booking.end)}",
        f"SUMMARY:{_escape(booking.title)}",
        f"DESCRIPTION:{_escape(booking.description)}",
        f"LOCATION:{_escape(booking.location or '')}",
        f"ORGANIZER;CN={_escape(organizer.name)}:mailto:{organizer.email}",
        *(f"ATTENDEE;CN={_escape(a.name)};ROLE=REQ-PARTICIPANT:mailto:{a.email}" for a in booking.attendees),
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"

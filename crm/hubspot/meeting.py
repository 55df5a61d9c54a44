"""What a booking looks like as a HubSpot meeting: its properties, body and outcome. Pure functions.

Where Cal.com stamps ``hs_timestamp`` with the creation time, we stamp the booking's start, so the
meeting sits at the right place on the contact's timeline.
"""

import json
from datetime import UTC, datetime
from enum import StrEnum
from html import escape
from typing import Any

from domain.booking import Booking

# Responses that already appear elsewhere on the meeting (attendee name, email, location, notes).
_SHOWN_ELSEWHERE = {"name", "email", "location", "notes", "guests"}


class MeetingOutcome(StrEnum):
    """HubSpot's ``hs_meeting_outcome`` values."""

    SCHEDULED = "SCHEDULED"
    COMPLETED = "COMPLETED"
    RESCHEDULED = "RESCHEDULED"
    NO_SHOW = "NO_SHOW"
    CANCELED = "CANCELED"


def hubspot_datetime(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, the form HubSpot stores datetimes in."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def split_name(name: str) -> tuple[str, str]:
    """First and last name for a contact: the last name is everything after the first space."""
    first, _, last = name.strip().partition(" ")
    return first, last.strip()


def meeting_body(booking: Booking) -> str:
    """The meeting description as HubSpot HTML; every user-supplied value is escaped."""
    attendee = booking.attendees[0]
    lines = [_line("Invitee time zone", attendee.time_zone)]
    notes = booking.booking_fields_responses.get("notes") or booking.description
    if notes:
        lines.append(_line("Additional notes", _text(notes)))
    answers = {k: v for k, v in booking.booking_fields_responses.items() if k not in _SHOWN_ELSEWHERE and v}
    if answers:
        lines.append("<b>Booking answers:</b>")
        lines.extend(_line(key, _text(value)) for key, value in answers.items())
    if booking.location:
        lines.append(_line("Where", booking.location))
    if booking.event_type.description:
        lines.append(_line("Description", booking.event_type.description))
    return "<br>".join(lines)


def meeting_properties(booking: Booking, outcome: MeetingOutcome) -> dict[str, str]:
    """The standard meeting properties for the booking's current state."""
    start = hubspot_datetime(booking.start)
    return {
        "hs_timestamp": start,
        "hs_meeting_start_time": start,
        "hs_meeting_end_time": hubspot_datetime(booking.end),
        "hs_meeting_title": booking.title,
        "hs_meeting_body": meeting_body(booking),
        "hs_meeting_location": booking.location or "",
        "hs_meeting_outcome": outcome.value,
    }


def attendance_outcome(booking: Booking, now: datetime) -> MeetingOutcome:
    """NO_SHOW if the host or any attendee is marked absent; else what the clock says."""
    if booking.absent_host or any(a.absent for a in booking.attendees):
        return MeetingOutcome.NO_SHOW
    return MeetingOutcome.COMPLETED if now >= booking.end else MeetingOutcome.SCHEDULED


def no_show_note(booking: Booking) -> str:
    """Who did not show, for the meeting's internal notes."""
    absent = [escape(str(a.email)) for a in booking.attendees if a.absent]
    if booking.absent_host:
        absent.append("the host")
    return "No-show: " + ", ".join(absent) if absent else "Attendance confirmed: nobody marked absent"


def _line(label: str, value: str) -> str:
    return f"<b>{escape(label)}:</b> {escape(value)}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)

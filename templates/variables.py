"""The variables a reminder template sees, for one booking and one recipient.

Every time is converted to the recipient's zone at the event's own instant (ZoneInfo picks the
offset in force on that date), so a booking on a daylight-saving Sunday shows the right local time.
"""

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from domain.booking import Booking
from domain.reminder_plan import Recipient, SeatChange, attendee_at
from templates.dayjs import format_dayjs

DATE_FORMAT = "dddd, MMMM D, YYYY"
TIME_FORMAT = "h:mma"


@dataclass(frozen=True)
class Links:
    """Where the booker manages the booking (Cal.com's /booking/{uid} pages)."""

    base_url: str = "http://localhost:8000"

    def booking(self, uid: str, query: str = "") -> str:
        return f"{self.base_url.rstrip('/')}/booking/{uid}{query}"


class Answers(dict):
    """Booking-question answers; a question the booker skipped reads as empty, not as an error."""

    def __missing__(self, _key: str) -> str:
        return ""


def _meeting_url(booking: Booking) -> str:
    url = booking.metadata.get("videoCallUrl") or booking.location or ""
    return url if url.startswith(("http://", "https://")) else ""


def context_for(booking: Booking, recipient: Recipient, links: Links, seat: SeatChange | None = None) -> dict[str, Any]:
    """The template variables for ``recipient`` of a message about ``booking`` (or about one of its seats:
    then the attendee, answers and reason are that seat's, whoever receives it)."""
    zone = ZoneInfo(recipient.time_zone)
    attendee = seat.attendee if seat is not None else attendee_at(booking, recipient) or booking.attendees[0]
    # A seat holder's own answers; the booking's are its first booker's, which another seat must not see.
    answers = attendee.seat_responses if attendee.seat_uid else booking.booking_fields_responses
    attendee_zone = ZoneInfo(attendee.time_zone)
    start, end = booking.start.astimezone(zone), booking.end.astimezone(zone)
    start_attendee, end_attendee = booking.start.astimezone(attendee_zone), booking.end.astimezone(attendee_zone)
    first, _, last = attendee.name.partition(" ")
    return {
        "event_name": booking.event_type.title,
        "event_title": booking.title,
        "event_start": start,
        "event_end": end,
        "event_date": format_dayjs(start, DATE_FORMAT),
        "event_time": format_dayjs(start, TIME_FORMAT),
        "event_end_time": format_dayjs(end, TIME_FORMAT),
        "timezone": recipient.time_zone,
        "location": booking.location or "",
        "organizer_name": booking.organizer.name,
        "organizer_email": str(booking.organizer.email),
        "attendee_name": attendee.name,
        "attendee_first_name": first,
        "attendee_last_name": last,
        "attendee_email": str(attendee.email),
        "attendee_timezone": attendee.time_zone,
        "event_start_in_attendee_timezone": start_attendee,
        "event_end_in_attendee_timezone": end_attendee,
        "event_start_time_in_attendee_timezone": format_dayjs(start_attendee, TIME_FORMAT),
        "event_end_time_in_attendee_timezone": format_dayjs(end_attendee, TIME_FORMAT),
        "additional_notes": str(answers.get("notes") or booking.description or ""),
        "meeting_url": _meeting_url(booking),
        "cancel_url": links.booking(booking.uid, "?cancel=true"),
        "reschedule_url": links.booking(booking.uid, "?reschedule=true"),
        "rating_url": links.booking(booking.uid, "?rating=true"),
        "no_show_url": links.booking(booking.uid, "?noShow=true"),
        "cancellation_reason": (seat.cancellation_reason if seat else None) or booking.cancellation_reason or "",
        "confirmation_reason": booking.confirmation_reason or "",
        "reschedule_reason": booking.rescheduling_reason or "",
        "recipient_name": recipient.name,
        "recipient_role": recipient.role,
        "responses": Answers(answers),
        "booking_uid": booking.uid,
        "status": booking.status.value,
        # A seat's own message: "booked", "rescheduled" or "cancelled" ("" for the booking's own messages).
        "seat_change": seat.change if seat is not None else "",
    }

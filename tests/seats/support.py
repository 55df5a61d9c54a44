"""Seated bookings for the message and CRM suites: take and give up seats through the API."""

from datetime import datetime, timedelta
from email.message import EmailMessage

from domain.event_type_calcom import Seats
from testkit.stack import Stack, soon
from tests.contract.calcom import check

BOOKINGS = {"cal-api-version": "2024-08-13"}
HIDDEN = Seats(seats_per_time_slot=3, show_attendee_info=False, show_availability_count=True)
SHOWN = HIDDEN.model_copy(update={"show_attendee_info": True})


def slot(minutes: float = 60) -> datetime:
    """A start on a whole minute at least ``minutes`` from now."""
    return (soon(minutes * 60) + timedelta(minutes=1)).replace(second=0, microsecond=0)


async def take(stack: Stack, start: datetime, email: str, event_type_id: int = 1, **fields) -> dict:
    """``email`` takes a seat at ``start`` (the first taker makes the booking); the seated answer."""
    name = email.split("@")[0].title()
    body = {
        "start": start.isoformat(),
        "eventTypeId": event_type_id,
        "attendee": {"name": f"{name} Seated", "email": email, "timeZone": "Europe/Rome"},
    } | fields
    return check(await stack.http.post("/v2/bookings", json=body, headers=BOOKINGS))["data"]


async def give_up(stack: Stack, seat: dict, reason: str | None = None) -> dict:
    body = {"seatUid": seat["seatUid"]} | ({"cancellationReason": reason} if reason else {})
    response = await stack.http.post(f"/v2/bookings/{seat['uid']}/cancel", json=body, headers=BOOKINGS)
    return check(response)["data"]


def raw(message: EmailMessage) -> str:
    """Everything a recipient receives: headers, every part, the attached invite."""
    return message.as_string()


def invite(message: EmailMessage) -> str:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part.get_payload(decode=True).decode()


def subject(message: EmailMessage) -> str:
    """The Subject as written (a long one arrives folded)."""
    return " ".join(str(message["Subject"]).split())

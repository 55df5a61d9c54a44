"""Attendees, guests and the organizer in each of the styles Cal.com's triggers use."""

from dataclasses import dataclass
from typing import Any, Literal

from domain.booking import Attendee, Booking
from templates.payloads.times import utc_offset

OrganizerStyle = Literal["full", "payment", "recording", "instant"]
AttendeeStyle = Literal["booker", "legacy", "payment", "row", "recording", "instant"]


@dataclass(frozen=True)
class Person:
    """An attendee or a guest; Cal.com lists guests as attendees with an empty name."""

    id: int
    name: str
    email: str
    time_zone: str
    locale: str
    phone_number: str | None
    no_show: bool


def people(booking: Booking, seat: dict[str, Any] | None = None) -> list[Person]:
    """The booking's attendees, then its guests (in the first attendee's zone and language).

    ``seat``: the attendee (wire form) of the seat a seated booking's trigger is about; Cal.com's payload
    then names only them, so no seat's attendee learns of the others.
    """
    first = booking.attendees[0] if booking.attendees else None
    attendees = [Attendee.model_validate(seat)] if seat is not None else booking.attendees
    guests = booking.guests if seat is None and first is not None else []
    rows = [(a.name, str(a.email), a.time_zone, a.language, a.phone_number, a.absent) for a in attendees] + [
        ("", str(g), first.time_zone, first.language, None, False) for g in guests if first is not None
    ]
    # Attendee rows have ids in Cal.com; ours are stable per booking (at most 31 people per booking).
    return [Person(booking.id * 100 + i + 1, *row) for i, row in enumerate(rows)]


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first, last


def attendee(person: Person, booking: Booking, style: AttendeeStyle) -> dict[str, Any]:
    """One entry of a payload's ``attendees`` in ``style``."""
    language = {"locale": person.locale}
    offset = utc_offset(person.time_zone, booking.start)
    match style:
        case "booker":
            first, last = _split_name(person.name)
            return {
                "email": person.email,
                "name": person.name,
                "firstName": first,
                "lastName": last,
                "timeZone": person.time_zone,
                "language": language,
                "utcOffset": offset,
            }
        case "legacy":
            return {
                "name": person.name,
                "email": person.email,
                "timeZone": person.time_zone,
                "phoneNumber": person.phone_number,
                "language": language,
                "utcOffset": offset,
            }
        case "payment":
            return {"name": person.name, "email": person.email, "timeZone": person.time_zone, "language": language}
        case "row":
            return {
                "id": person.id,
                "email": person.email,
                "name": person.name,
                "timeZone": person.time_zone,
                "phoneNumber": person.phone_number,
                "locale": person.locale,
                "bookingId": booking.id,
                "noShow": person.no_show,
            }
        case "recording":
            return {
                "id": person.id,
                "name": person.name,
                "email": person.email,
                "timeZone": person.time_zone,
                "language": language,
                "utcOffset": offset,
            }
        case "instant":
            return {
                "email": person.email,
                "name": person.name,
                "timeZone": person.time_zone,
                "language": language,
                "utcOffset": offset,
            }


def organizer(booking: Booking, style: OrganizerStyle) -> dict[str, Any]:
    """A payload's ``organizer`` in ``style``."""
    user = booking.organizer
    core = {"id": user.id, "name": user.name, "email": str(user.email), "username": user.username}
    language = {"locale": "en"}
    offset = utc_offset(user.time_zone, booking.start)
    match style:
        case "full":
            return core | {
                "usernameInOrg": user.username,
                "timeZone": user.time_zone,
                "language": language,
                "timeFormat": "h:mma",
                "utcOffset": offset,
            }
        case "payment":  # Cal.com's payment builders send the raw 12/24 preference here
            return core | {"timeZone": user.time_zone, "language": language, "timeFormat": 12}
        case "recording":
            return {
                "email": str(user.email),
                "name": user.name,
                "timeZone": user.time_zone,
                "language": language,
                "utcOffset": offset,
            }
        case "instant":
            return core | {"timeZone": user.time_zone, "language": language, "timeFormat": "h:mma", "utcOffset": offset}


def user_row(booking: Booking) -> dict[str, Any]:
    """The organizer as the ``user`` of a raw booking row (MEETING_STARTED/ENDED)."""
    user = booking.organizer
    return {"email": str(user.email), "name": user.name, "timeZone": user.time_zone, "username": user.username}

"""Bookings as API v2 answers them (Cal.com's BookingOutput_2024_08_13 and RecurringBookingOutput_2024_08_13).

The models are the one statement of the shape: ``booking_out`` fills them, and Bookflow's /openapi.json
documents them (api/openapi.py). Optional fields that Cal.com's schema does not let be null are left out
while unset, as Cal.com does.
"""

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field

from domain.base import CamelModel
from domain.booking import Attendee, Booking


class BookingHostOut(CamelModel):
    id: int
    name: str
    email: str
    username: str
    time_zone: str


class BookingAttendeeOut(CamelModel):
    name: str
    email: str
    display_email: str
    time_zone: str
    language: str
    absent: bool
    phone_number: str | None = Field(default=None, description="Left out when the attendee gave none.")
    # A seated booking's attendee (Cal.com's SeatedAttendee); left out for other bookings.
    seat_uid: str | None = Field(default=None, description="Seated bookings: the attendee's seat.")
    booking_fields_responses: dict[str, Any] | None = Field(default=None, description="Seated: the seat's answers.")
    metadata: dict[str, Any] | None = Field(default=None, description="Seated: the seat's metadata.")


class EventTypeRef(CamelModel):
    id: int
    slug: str


class BookingOut(CamelModel):
    """One booking; an occurrence of a recurring booking also carries ``recurringBookingUid``."""

    id: int
    uid: str
    title: str
    description: str
    hosts: list[BookingHostOut]
    # "awaiting_host": an instant meeting ringing its hosts. Cal.com answers its status lower-cased as stored,
    # though its documented enum leaves this one out (spec C11: ours lists it).
    status: Literal["accepted", "pending", "cancelled", "rejected", "awaiting_host"]
    cancellation_reason: str | None = None
    cancelled_by_email: str | None = None
    rejection_reason: str | None = None
    rescheduling_reason: str | None = None
    rescheduled_by_email: str | None = None
    rescheduled_from_uid: str | None = None
    rescheduled_to_uid: str | None = None
    start: str = Field(description="ISO 8601, UTC (…Z).")
    end: str
    duration: int = Field(description="Minutes.")
    event_type_id: int
    event_type: EventTypeRef
    location: str | None
    absent_host: bool
    created_at: str
    updated_at: str
    metadata: dict[str, Any]
    ics_uid: str
    attendees: list[BookingAttendeeOut]
    guests: list[str]
    booking_fields_responses: dict[str, Any]
    payment_required: bool
    paid: bool
    payment_uid: str | None
    recurring_booking_uid: str | None = Field(
        default=None, description="The series this occurrence of a recurring booking belongs to; else left out."
    )
    seat_uid: str | None = Field(
        default=None, description="A seated booking as its booker sees it: their seat (CreateSeatedBookingOutput)."
    )


class BookingAnswer(CamelModel):
    """What create, read and cancel answer: one booking, or every occurrence of a recurring booking."""

    status: Literal["success"] = "success"
    data: BookingOut | list[BookingOut]


class OneBookingAnswer(CamelModel):
    """What the other changes to a booking (reschedule, confirm, decline, mark-absent) answer."""

    status: Literal["success"] = "success"
    data: BookingOut


# Optional in Cal.com's BookingOutput_2024_08_13 and not nullable: left out when unset, as Cal.com does.
UNSET_LEFT_OUT = frozenset(
    {"cancellationReason", "cancelledByEmail", "reschedulingReason", "rescheduledByEmail", "rescheduledFromUid",
     "rescheduledToUid", "phoneNumber", "recurringBookingUid", "seatUid", "bookingFieldsResponses", "metadata"}
)  # fmt: skip


def _set_only(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None or k not in UNSET_LEFT_OUT}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _attendee(person: Attendee) -> BookingAttendeeOut:
    return BookingAttendeeOut(
        name=person.name,
        email=str(person.email),
        display_email=str(person.email),
        time_zone=person.time_zone,
        language=person.language,
        absent=person.absent,
        phone_number=person.phone_number,
        seat_uid=person.seat_uid,
        booking_fields_responses=person.seat_responses if person.seat_uid else None,
        metadata=person.seat_metadata if person.seat_uid else None,
    )


def booking_out(booking: Booking) -> dict[str, Any]:
    """A booking as API v2 returns it."""
    organizer = booking.organizer
    out = BookingOut(
        id=booking.id,
        uid=booking.uid,
        title=booking.title,
        description=booking.description,
        hosts=[
            BookingHostOut(
                id=organizer.id,
                name=organizer.name,
                email=str(organizer.email),
                username=organizer.username,
                time_zone=organizer.time_zone,
            )
        ],
        status=booking.status.api,
        cancellation_reason=booking.cancellation_reason,
        cancelled_by_email=booking.cancelled_by_email,
        rejection_reason=booking.rejection_reason,
        rescheduling_reason=booking.rescheduling_reason,
        rescheduled_by_email=booking.rescheduled_by_email,
        rescheduled_from_uid=booking.from_reschedule,
        rescheduled_to_uid=booking.rescheduled_to_uid,
        start=_stamp(booking.start),
        end=_stamp(booking.end),
        duration=int((booking.end - booking.start).total_seconds() // 60),
        event_type_id=booking.event_type.id,
        event_type=EventTypeRef(id=booking.event_type.id, slug=booking.event_type.slug),
        location=booking.location,
        absent_host=booking.absent_host,
        created_at=_stamp(booking.created_at),
        updated_at=_stamp(booking.updated_at or booking.created_at),
        metadata=booking.metadata,
        ics_uid=booking.ical_uid,
        attendees=[_attendee(a) for a in booking.attendees],
        guests=[str(g) for g in booking.guests],
        booking_fields_responses=booking.booking_fields_responses,
        payment_required=booking.event_type.price > 0,
        paid=booking.paid,
        payment_uid=booking.payment_uid,
        recurring_booking_uid=booking.recurring_booking_uid,
    )
    data = _set_only(out.wire())
    data["attendees"] = [_set_only(a) for a in data["attendees"]]
    return data

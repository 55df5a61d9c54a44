"""Request and response bodies of the bookings API, in Cal.com API v2's shapes."""

from datetime import UTC
from typing import Any

from pydantic import AwareDatetime, ConfigDict, EmailStr, Field, field_validator, model_validator

from domain.base import CamelModel
from domain.booking import Booking
from domain.config import check_time_zone
from domain.phone import optional_e164


class Envelope(CamelModel):
    status: str = "success"
    data: Any


class AttendeeIn(CamelModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1)
    email: EmailStr
    time_zone: str
    language: str = "en"
    phone_number: str | None = None

    _tz = field_validator("time_zone")(check_time_zone)
    _phone = field_validator("phone_number")(optional_e164)


class RoutingIn(CamelModel):
    model_config = ConfigDict(extra="ignore")

    response_id: int


class CreateBooking(CamelModel):
    model_config = ConfigDict(extra="ignore")

    start: AwareDatetime
    event_type_id: int | None = None
    event_type_slug: str | None = None
    username: str | None = None
    attendee: AttendeeIn
    guests: list[EmailStr] = Field(default=[], max_length=30)
    booking_fields_responses: dict[str, Any] = {}
    metadata: dict[str, str] = Field(default={}, max_length=50)
    location: str | dict[str, Any] | None = None
    routing: RoutingIn | None = None

    @field_validator("start")
    @classmethod
    def _utc(cls, value: AwareDatetime) -> AwareDatetime:
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _identifies_event_type(self) -> "CreateBooking":
        if self.event_type_id is None and not (self.event_type_slug and self.username):
            raise ValueError("eventTypeId: provide eventTypeId, or eventTypeSlug with username")
        return self

    @property
    def location_text(self) -> str | None:
        if isinstance(self.location, dict):
            kind = self.location.get("type")
            return str(self.location.get(kind) or self.location.get("integration") or kind)
        return self.location


class Reschedule(CamelModel):
    model_config = ConfigDict(extra="ignore")

    start: AwareDatetime
    rescheduling_reason: str | None = None
    reschedule_reason: str | None = None
    rescheduled_by: EmailStr | None = None


class Cancel(CamelModel):
    model_config = ConfigDict(extra="ignore")

    cancellation_reason: str | None = None
    cancelled_by: EmailStr | None = None


class Decline(CamelModel):
    model_config = ConfigDict(extra="ignore")

    reason: str | None = None


class Payment(CamelModel):
    model_config = ConfigDict(extra="ignore")

    payment_event_id: str = Field(min_length=1)
    external_id: str | None = None


class Participant(CamelModel):
    model_config = ConfigDict(extra="ignore")

    email: EmailStr
    joined_at: AwareDatetime | None = None


def booking_out(booking: Booking) -> dict[str, Any]:
    """A booking as API v2 returns it."""
    organizer = booking.organizer
    return {
        "id": booking.id,
        "uid": booking.uid,
        "title": booking.title,
        "description": booking.description,
        "hosts": [
            {
                "id": organizer.id,
                "name": organizer.name,
                "email": str(organizer.email),
                "username": organizer.username,
                "timeZone": organizer.time_zone,
            }
        ],
        "status": booking.status.api,
        "cancellationReason": booking.cancellation_reason,
        "cancelledByEmail": booking.cancelled_by_email,
        "rejectionReason": booking.rejection_reason,
        "reschedulingReason": booking.rescheduling_reason,
        "rescheduledByEmail": booking.rescheduled_by_email,
        "rescheduledFromUid": booking.from_reschedule,
        "rescheduledToUid": booking.rescheduled_to_uid,
        "start": _stamp(booking.start),
        "end": _stamp(booking.end),
        "duration": int((booking.end - booking.start).total_seconds() // 60),
        "eventTypeId": booking.event_type.id,
        "eventType": {"id": booking.event_type.id, "slug": booking.event_type.slug},
        "location": booking.location,
        "absentHost": booking.absent_host,
        "createdAt": _stamp(booking.created_at),
        "updatedAt": _stamp(booking.updated_at or booking.created_at),
        "metadata": booking.metadata,
        "icsUid": booking.ical_uid,
        "attendees": [
            {
                "name": a.name,
                "email": str(a.email),
                "displayEmail": str(a.email),
                "timeZone": a.time_zone,
                "language": a.language,
                "absent": a.absent,
                "phoneNumber": a.phone_number,
            }
            for a in booking.attendees
        ],
        "guests": [str(g) for g in booking.guests],
        "bookingFieldsResponses": booking.booking_fields_responses,
        "paymentRequired": booking.event_type.price > 0,
        "paid": booking.paid,
        "paymentUid": booking.payment_uid,
    }


def _stamp(moment: Any) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

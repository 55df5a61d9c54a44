"""Request and response bodies of the bookings API, in Cal.com API v2's shapes."""

from datetime import UTC
from typing import Annotated, Any

from pydantic import AwareDatetime, ConfigDict, EmailStr, Field, field_validator, model_validator

from api.booking_inputs import BookingLocation, Metadata, location_text
from domain.base import CamelModel
from domain.booking import Booking
from domain.config import check_time_zone
from domain.phone import optional_e164

# Bounds on what callers send: the store's integer columns are signed 64-bit, and no text field needs
# more than these (Cal.com's own limits are of the same order).
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
Name = Annotated[str, Field(min_length=1, max_length=255)]
Short = Annotated[str, Field(max_length=255)]
Reason = Annotated[str, Field(max_length=2000)]


class Envelope(CamelModel):
    status: str = "success"
    data: Any


class AttendeeIn(CamelModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    email: EmailStr
    time_zone: str = Field(max_length=64)
    language: str = Field(default="en", max_length=35)
    phone_number: str | None = Field(default=None, max_length=32)

    _tz = field_validator("time_zone")(check_time_zone)
    _phone = field_validator("phone_number")(optional_e164)


class RoutingIn(CamelModel):
    model_config = ConfigDict(extra="ignore")

    response_id: Int64
    # The one-time token the submission's answer gave the submitter (binds the booking to them).
    booking_token: Annotated[str, Field(max_length=128)] | None = None


class CreateBooking(CamelModel):
    model_config = ConfigDict(extra="ignore")

    start: AwareDatetime
    event_type_id: Int64 | None = None
    event_type_slug: Short | None = None
    username: Short | None = None
    attendee: AttendeeIn
    guests: list[EmailStr] = Field(default=[], max_length=30)
    booking_fields_responses: dict[Annotated[str, Field(max_length=255)], Any] = Field(default={}, max_length=200)
    # Cal.com's metadata: any JSON values, up to 50 keys of 40 characters, values of 500 (api/booking_inputs.py).
    metadata: Metadata = {}
    location: Annotated[str, Field(max_length=1000)] | BookingLocation | None = None
    routing: RoutingIn | None = None
    # A variable-length event type: one of its lengthInMinutesOptions (else its lengthInMinutes).
    length_in_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    # The booker's own reservation of this slot (POST /v2/slots/reservations), turned into the booking.
    reserved_slot_uid: Short | None = None

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
        """The place the booking shows: a location object's own value, or the string sent."""
        if self.location is None or isinstance(self.location, str):
            return self.location
        return location_text(self.location)

    @property
    def location_details(self) -> dict[str, Any] | None:
        """A location object as sent (kept whole on the booking); None for a plain string."""
        if self.location is None or isinstance(self.location, str):
            return None
        return self.location.model_dump(mode="json", by_alias=True, exclude_none=True)


class Reschedule(CamelModel):
    model_config = ConfigDict(extra="ignore")

    start: AwareDatetime
    rescheduling_reason: Reason | None = None
    reschedule_reason: Reason | None = None
    rescheduled_by: EmailStr | None = None


class Cancel(CamelModel):
    model_config = ConfigDict(extra="ignore")

    cancellation_reason: Reason | None = None
    cancelled_by: EmailStr | None = None


class Decline(CamelModel):
    model_config = ConfigDict(extra="ignore")

    reason: Reason | None = None


class Payment(CamelModel):
    model_config = ConfigDict(extra="ignore")

    payment_event_id: str = Field(min_length=1, max_length=255)
    external_id: Short | None = None


class Participant(CamelModel):
    model_config = ConfigDict(extra="ignore")

    email: EmailStr
    joined_at: AwareDatetime | None = None


# Optional in Cal.com's BookingOutput_2024_08_13 and not nullable: left out when unset, as Cal.com does.
UNSET_LEFT_OUT = frozenset(
    {"cancellationReason", "cancelledByEmail", "reschedulingReason", "rescheduledByEmail", "rescheduledFromUid",
     "rescheduledToUid", "phoneNumber"}
)  # fmt: skip


def _set_only(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None or k not in UNSET_LEFT_OUT}


def booking_out(booking: Booking) -> dict[str, Any]:
    """A booking as API v2 returns it."""
    organizer = booking.organizer
    return _set_only({
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
            _set_only({
                "name": a.name,
                "email": str(a.email),
                "displayEmail": str(a.email),
                "timeZone": a.time_zone,
                "language": a.language,
                "absent": a.absent,
                "phoneNumber": a.phone_number,
            })
            for a in booking.attendees
        ],
        "guests": [str(g) for g in booking.guests],
        "bookingFieldsResponses": booking.booking_fields_responses,
        "paymentRequired": booking.event_type.price > 0,
        "paid": booking.paid,
        "paymentUid": booking.payment_uid,
    })


def _stamp(moment: Any) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

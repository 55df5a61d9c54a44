"""Request and response bodies of the bookings API, in Cal.com API v2's shapes."""

from datetime import UTC
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, ConfigDict, EmailStr, Field, field_validator, model_validator

from api.booking_inputs import BookingLocation, Metadata, location_text
from domain.base import CamelModel
from domain.config import check_time_zone
from domain.phone import optional_e164
from domain.recurrence import MAX_OCCURRENCES

# Bounds on what callers send: the store's integer columns are signed 64-bit, and no text field needs
# more than these (Cal.com's own limits are of the same order).
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
Name = Annotated[str, Field(min_length=1, max_length=255)]
Short = Annotated[str, Field(max_length=255)]
Reason = Annotated[str, Field(max_length=2000)]


class Envelope(CamelModel):
    status: str = "success"
    data: Any


# The languages Cal.com's CreateBookingAttendee takes (its enum, in its order).
Language = Literal[
    "ar", "ca", "de", "es", "eu", "he", "id", "ja", "lv", "pl", "ro", "sr", "th", "vi", "az", "cs", "el", "es-419",
    "fi", "hr", "it", "km", "nl", "pt", "ru", "sv", "tr", "zh-CN", "bg", "da", "en", "et", "fr", "hu", "iw", "ko",
    "no", "pt-BR", "sk", "ta", "uk", "zh-TW", "bn",
]  # fmt: skip


class AttendeeIn(CamelModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    # Optional as in Cal.com: an event type with an attendeePhoneNumber field may be booked by phone alone
    # (api/booking_fields.py decides, once the event type is known).
    email: EmailStr | None = None
    time_zone: str = Field(max_length=64)
    language: Language = "en"
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
    # A recurring event type: how many of its occurrences to book (at most its recurrence.occurrences).
    recurrence_count: int | None = Field(default=None, ge=1, le=MAX_OCCURRENCES)
    # Cal.com's instant meeting: rings the hosts of an instant-enabled event type with several hosts (api/instant.py).
    instant: bool = Field(
        default=False,
        description="An instant meeting: rings the hosts of an instant-enabled event type with several hosts.",
    )

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
    # A seated booking: move only this seat to the booking of the new slot.
    seat_uid: str | None = Field(default=None, min_length=1, max_length=64)


class Cancel(CamelModel):
    model_config = ConfigDict(extra="ignore")

    cancellation_reason: Reason | None = None
    cancelled_by: EmailStr | None = None
    # A recurring booking's occurrence: cancel it and every later occurrence of its series.
    cancel_subsequent_bookings: bool = False
    # A seated booking: give up only this seat (the booking and the other seats stay).
    seat_uid: str | None = Field(default=None, min_length=1, max_length=64)


class Confirm(CamelModel):
    model_config = ConfigDict(extra="ignore")

    reason: Reason | None = None


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

"""A booking as the BookingWorkflow holds it, and the inputs of each change to it."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, ConfigDict, EmailStr, Field

from domain.base import CamelModel
from domain.config import EventType, User


class BookingStatus(StrEnum):
    """Cal.com's booking statuses; webhooks send them upper-case, API v2 lower-case."""

    ACCEPTED = "ACCEPTED"
    PENDING = "PENDING"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    # An instant meeting ringing its hosts: the first to accept becomes its organizer (Cal.com's AWAITING_HOST).
    AWAITING_HOST = "AWAITING_HOST"

    @property
    def api(self) -> str:
        return self.value.lower()


# Cal.com's domain for the address of an attendee who booked with a phone number alone: no mailbox behind it.
PHONE_ONLY_DOMAIN = "sms.cal.com"


def phone_only_email(phone: str) -> str:
    """The address Cal.com gives a phone-only attendee: ``+14155550123`` → ``14155550123@sms.cal.com``."""
    return f"{''.join(c for c in phone if c.isdigit())}@{PHONE_ONLY_DOMAIN}"


class Attendee(CamelModel):
    name: str
    email: EmailStr
    time_zone: str = "UTC"
    language: str = "en"
    phone_number: str | None = None
    absent: bool = False
    # Seated event types: this attendee's seat, and their own answers and metadata (None/empty otherwise).
    seat_uid: str | None = None
    seat_responses: dict[str, Any] = {}
    seat_metadata: dict[str, Any] = {}

    @property
    def has_mailbox(self) -> bool:
        """False for a phone-only attendee's placeholder address, which no email is sent to (as on Cal.com)."""
        return not str(self.email).lower().endswith(f"@{PHONE_ONLY_DOMAIN}")


class ParticipantJoin(CamelModel):
    """Someone joined the meeting's video call (a provider event)."""

    email: EmailStr
    joined_at: AwareDatetime


class RoutingRef(CamelModel):
    """The routing decision a booking was made from, read from the store, never from the booker."""

    response_id: int
    # The response's formFillerId, which names its RoutingResponseWorkflow (signalled when booked).
    form_filler_id: str | None = None
    team_member_ids: list[int] = []
    team_member_email: str | None = None
    skip_contact_owner: bool = False
    crm_app_slug: str | None = None
    crm_owner_record_type: str | None = None


class Booking(CamelModel):
    """The whole state of one booking. The workflow owns it; the store keeps a copy for reads."""

    id: int
    uid: str
    event_type: EventType
    organizer: User
    attendees: list[Attendee] = Field(min_length=1)
    guests: list[EmailStr] = []
    start: AwareDatetime
    end: AwareDatetime
    status: BookingStatus
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None
    title: str
    description: str = ""
    location: str | None = None
    # The booker's location object as sent (Cal.com's {"type": "attendeeAddress", "address": …}); ``location``
    # is the place it names, which payloads, emails and calendar events show.
    location_details: dict[str, Any] | None = None
    # Cal.com's metadata: any JSON values (checked at the API: 50 keys, 40-character keys, 500-character values).
    metadata: dict[str, Any] = {}
    booking_fields_responses: dict[str, Any] = {}
    idempotency_key: str | None = None
    routing: RoutingRef | None = None
    # An occurrence of a recurring booking: the uid its series shares (Cal.com's recurringBookingUid).
    recurring_booking_uid: str | None = None
    # An instant meeting (``instant: true`` on create): AWAITING_HOST until a host accepts or it expires.
    instant: bool = False

    paid: bool = False
    payment_uid: str | None = None
    payment_event_ids: list[str] = []

    cancellation_reason: str | None = None
    cancelled_by_email: str | None = None
    rejection_reason: str | None = None
    confirmation_reason: str | None = None
    rescheduled: bool = False
    from_reschedule: str | None = None
    rescheduled_to_uid: str | None = None
    rescheduling_reason: str | None = None
    rescheduled_by_email: str | None = None
    ical_sequence: int = 0

    absent_host: bool = False
    joins: list[ParticipantJoin] = []

    # Bookkeeping of the workflow: agenda items already done, and how often each trigger fired
    # (the count makes event ids stable across retries, replays and resets).
    done: list[str] = []
    trigger_counts: dict[str, int] = {}

    @property
    def ical_uid(self) -> str:
        return f"{self.uid}@bookflow"

    @property
    def awaiting_payment(self) -> bool:
        return self.event_type.price > 0 and not self.paid and self.status is BookingStatus.PENDING


class PreviousSlot(CamelModel):
    """Where a rescheduled booking was before: BOOKING_RESCHEDULED reports it."""

    uid: str
    id: int
    start: AwareDatetime
    end: AwareDatetime

    @classmethod
    def of(cls, booking: Booking) -> "PreviousSlot":
        return cls(uid=booking.uid, id=booking.id, start=booking.start, end=booking.end)


class BookingInput(CamelModel):
    """What starts a BookingWorkflow."""

    booking: Booking
    keep_open_minutes: float = Field(
        default=7 * 24 * 60, description="How long after the end the booking still accepts no-show marks."
    )
    previous: PreviousSlot | None = None
    # A run continued as new: the booking is created already, so the run commits no creation again.
    continued: bool = False
    # An instant meeting: the one-time token its INSTANT_MEETING's connectAndJoinUrl carries (stored hashed).
    instant_token: str | None = None


class ConfirmInput(CamelModel):
    """The confirm update's argument: the organizer confirms, naming nobody (Cal.com's confirm has no body)."""

    # Histories recorded before carry {"confirmedBy": null}; ignored, so they still replay.
    model_config = ConfigDict(extra="ignore")

    # The organizer's optional word (Cal.com's confirm ``reason``), quoted in the confirmation email.
    reason: str | None = None


class DeclineInput(CamelModel):
    reason: str | None = None


class CancelInput(CamelModel):
    cancellation_reason: str | None = None
    cancelled_by: str | None = None


class RescheduleInput(CamelModel):
    start: AwareDatetime
    rescheduling_reason: str | None = None
    rescheduled_by: str | None = None


class AcceptInstantInput(CamelModel):
    """A host accepting an instant meeting (connect-and-join): the first one becomes its organizer."""

    host: User


class AbsentAttendee(CamelModel):
    email: EmailStr
    absent: bool


class MarkAbsentInput(CamelModel):
    host: bool | None = None
    attendees: list[AbsentAttendee] = []


class PaymentSucceeded(CamelModel):
    payment_event_id: str = Field(min_length=1)
    external_id: str | None = None


class BookingEvent(CamelModel):
    """One trigger fired for a booking: what the event log records and webhooks deliver."""

    event_id: str
    booking_uid: str
    trigger: str
    created_at: datetime
    body: dict[str, Any]
    # Who the event concerns, so subscribers are found without reading the booking back.
    organizer_id: int | None = None
    event_type_id: int | None = None

"""Cal.com's event-type fields (API 2024-06-14) that Bookflow stores and returns whole.

``locations`` and ``confirmationPolicy`` also fill Bookflow's older ``location`` and
``requiresConfirmation`` (which stay accepted as aliases); the rest are kept and returned as sent.
"""

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from domain.base import CamelModel
from domain.recurrence import Recurrence
from domain.text_bounds import NAME

CAL_VIDEO = "integrations:daily"


class AddressLocation(CamelModel):
    type: Literal["address"]
    address: str = Field(min_length=1, max_length=1000)
    public: bool = False


class LinkLocation(CamelModel):
    type: Literal["link"]
    link: str = Field(min_length=1, max_length=2048)
    public: bool = False


class IntegrationLocation(CamelModel):
    type: Literal["integration"]
    integration: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9-]+$")
    credential_id: int | None = None


class PhoneLocation(CamelModel):
    type: Literal["phone"]
    phone: str = Field(min_length=1, max_length=50)
    public: bool = False


class AttendeeLocation(CamelModel):
    type: Literal["attendeeAddress", "attendeePhone", "attendeeDefined", "organizersDefaultApp"]


Location = Annotated[
    AddressLocation | LinkLocation | IntegrationLocation | PhoneLocation | AttendeeLocation,
    Field(discriminator="type"),
]


def location_text(location: Location) -> str:
    """The single place string Bookflow's bookings carry for an event type's first location."""
    match location:
        case IntegrationLocation(integration="cal-video"):
            return CAL_VIDEO
        case IntegrationLocation(integration=name):
            return f"integrations:{name}"
        case AddressLocation(address=text) | LinkLocation(link=text) | PhoneLocation(phone=text):
            return text
    return location.type


def locations_from_text(text: str) -> list[dict[str, Any]]:
    """Cal.com's output locations for an event type configured with Bookflow's ``location`` string."""
    if text == CAL_VIDEO:
        return [{"type": "integration", "integration": "cal-video"}]
    if text.startswith("integrations:"):
        return [{"type": "integration", "integration": text.removeprefix("integrations:")}]
    if text.startswith(("http://", "https://")):
        return [{"type": "link", "link": text, "public": True}]
    return [{"type": "unknown", "location": text}]


class ConfirmationPolicy(CamelModel):
    type: Literal["always", "time"]
    notice_threshold: dict[str, Any] | None = None
    block_unconfirmed_bookings_in_booker: bool = True

    @model_validator(mode="after")
    def _threshold_with_time(self) -> "ConfirmationPolicy":
        if self.type == "time" and self.notice_threshold is None:
            raise ValueError("confirmationPolicy.noticeThreshold: required when type is 'time'")
        return self


# Cal.com's MAX_SEATS_PER_TIME_SLOT (packages/lib/constants.ts).
MAX_SEATS_PER_TIME_SLOT = 1000


class Seats(CamelModel):
    """Cal.com's Seats_2024_06_14: one booking per time slot, shared by up to ``seatsPerTimeSlot`` attendees."""

    seats_per_time_slot: int = Field(ge=1, le=MAX_SEATS_PER_TIME_SLOT)
    # False: a seat's attendee does not see the others (only the event type's owner and hosts do).
    show_attendee_info: bool = False
    # True: slots show seatsBooked, seatsRemaining and seatsTotal.
    show_availability_count: bool = True


class CalcomEventTypeFields(CamelModel):
    """Mixed into EventType: Cal.com's fields beyond the lifecycle and availability ones."""

    locations: list[Location] | None = Field(default=None, max_length=50)
    booking_fields: list[dict[str, Any]] = Field(default=[], max_length=100)
    disable_guests: bool = False
    hidden: bool = False
    metadata: dict[str, Any] = {}
    # A recurring event type: a create books one booking per occurrence (api/bookings.py: _book_series).
    recurrence: Recurrence | None = None
    # A seated event type: bookers of one slot share one booking, a seat each (api/seats.py).
    seats: Seats | None = None
    confirmation_policy: ConfirmationPolicy | None = None
    lock_time_zone_toggle_on_booking_page: bool = False
    is_instant_event: bool = False
    # How long an instant meeting rings its hosts before it is cancelled (Cal.com's EventType field of this
    # name, 90 s by default; not in API v2's DTO, so a Bookflow addition there).
    instant_meeting_expiry_time_offset_in_seconds: int = Field(default=90, ge=1, le=24 * 60 * 60)
    booking_requires_authentication: bool = False
    requires_booker_email_verification: bool = False
    hide_calendar_notes: bool = False
    hide_calendar_event_details: bool = False
    hide_organizer_email: bool = False
    success_redirect_url: str | None = Field(default=None, max_length=2048)
    forward_params_success_redirect: bool | None = None
    custom_name: str | None = Field(default=None, max_length=255)
    color: dict[str, Annotated[str, Field(max_length=NAME)]] | None = None
    booker_layouts: dict[str, Any] | None = None
    offset_start: int | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _calcom_aliases(cls, data: Any) -> Any:
        """``locations`` fills ``location`` and ``confirmationPolicy`` fills ``requiresConfirmation``
        unless those are sent too; ``{"disabled": true}`` resets a policy or a recurrence."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        policy = data.get("confirmationPolicy")
        if isinstance(policy, dict) and policy.get("disabled") is True:
            data["confirmationPolicy"] = policy = None
        if isinstance(data.get("recurrence"), dict) and data["recurrence"].get("disabled") is True:
            data["recurrence"] = None  # Cal.com's Disabled_2024_06_14 turns recurrence off
        if isinstance(data.get("seats"), dict) and data["seats"].get("disabled") is True:
            data["seats"] = None  # as Cal.com's SeatOptionsDisabledSchema: seats off
        if "confirmationPolicy" in data and "requiresConfirmation" not in data:
            data["requiresConfirmation"] = policy is not None
        if isinstance(policy, dict) and "requiresConfirmationWillBlockSlot" not in data:
            # Cal.com maps blockUnconfirmedBookingsInBooker to requiresConfirmationWillBlockSlot.
            data["requiresConfirmationWillBlockSlot"] = policy.get("blockUnconfirmedBookingsInBooker", True) is True
        return data

    @model_validator(mode="after")
    def _seats_combine(self) -> "CalcomEventTypeFields":
        if self.seats is None:
            return self
        # Cal.com does not offer confirmation on seated event types ("seats_doesnt_support_confirmation").
        if getattr(self, "requires_confirmation", False):
            raise ValueError("seats: a seated event type cannot require confirmation; turn one of them off")
        # [BF] Recurring seated bookings (a seat in every occurrence) are not built: refused, never half-done.
        if self.recurrence is not None:
            raise ValueError("seats: a seated event type cannot be recurring in Bookflow yet; turn one of them off")
        return self

    @model_validator(mode="after")
    def _location_from_locations(self) -> "CalcomEventTypeFields":
        if self.locations and "location" not in self.model_fields_set and hasattr(self, "location"):
            object.__setattr__(self, "location", location_text(self.locations[0]))
        return self

"""What operators configure: users and event types (the lifecycle fields of Cal.com's event types)."""

from typing import Any, Literal

from pydantic import EmailStr, Field, field_validator, model_validator

from domain.base import CamelModel
from domain.event_availability import EventTypeAvailability
from domain.event_type_calcom import CalcomEventTypeFields
from domain.reminders import ReminderWorkflow, check_unique_ids
from domain.routing_config import ConfiguredAttribute
from domain.routing_forms import RoutingForm
from domain.schedules import OutOfOffice, Schedule, UserBookingLimits
from domain.text_bounds import NAME, TEXT, URL
from domain.zones import check_time_zone

SchedulingType = Literal["collective", "roundRobin", "managed"]

__all__ = ["check_time_zone"]


class User(CamelModel):
    """A person who hosts event types."""

    id: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=NAME)
    email: EmailStr
    username: str = Field(min_length=1, max_length=NAME, pattern=r"^[A-Za-z0-9._-]+$")
    time_zone: str = Field(default="UTC", max_length=NAME)
    # The schedule used when an event type names none; without one, Cal.com's Mon-Fri 09:00-17:00 (D1).
    default_schedule_id: int | None = Field(default=None, ge=1)
    booking_limits: UserBookingLimits | None = None

    _tz = field_validator("time_zone")(check_time_zone)


class Host(CamelModel):
    user_id: int = Field(ge=1)
    mandatory: bool = False
    priority: int | None = None


class DestinationCalendar(CamelModel):
    """A calendar named as Cal.com names it: its integration and its id there (see GET /v2/calendars)."""

    integration: str = Field(min_length=1, max_length=NAME)
    external_id: str = Field(min_length=1, max_length=URL)


class EventType(EventTypeAvailability, CalcomEventTypeFields):
    """An event type with the fields that change a booking's lifecycle and where its slots lie."""

    id: int = Field(ge=1)
    slug: str = Field(min_length=1, max_length=NAME, pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1, max_length=NAME)
    description: str = Field(default="", max_length=TEXT)
    length_in_minutes: int = Field(ge=1, le=24 * 60)
    requires_confirmation: bool = False
    price: int = Field(default=0, ge=0, description="In the currency's minor units: 1000 is 10.00.")
    currency: str = Field(default="usd", min_length=3, max_length=3)
    # Minutes may be fractional (0.05 is three seconds): operators use whole minutes, tests short delays.
    payment_timeout_minutes: float = Field(default=15, gt=0)
    disable_cancelling: bool = False
    disable_rescheduling: bool = False
    hosts: list[Host] = Field(min_length=1)
    scheduling_type: SchedulingType | None = None
    host_no_show_after_minutes: float | None = Field(default=None, gt=0)
    guest_no_show_after_minutes: float | None = Field(default=None, gt=0)
    location: str = Field(default="integrations:daily", max_length=URL)
    # Reminder rules (Cal.com "workflows"): a booking's snapshot of its event type carries them.
    workflows: list[ReminderWorkflow] = []
    # Cal.com's "roundRobinLeadSkip": route a round-robin booking to the attendee's CRM owner if they host.
    crm_owner_lookup: Literal["salesforce", "hubspot"] | None = None
    # The CRMs this event type's bookings are mirrored to; their settings are in Configuration.crm.
    crm_sync: list[Literal["salesforce", "hubspot"]] = []
    # Cal.com's DestinationCalendar_2024_06_14: where its bookings' events go, winning over the host's own.
    destination_calendar: DestinationCalendar | None = None

    _workflow_ids = field_validator("workflows")(check_unique_ids)

    @model_validator(mode="after")
    def _hosts_unique(self) -> "EventType":
        ids = [h.user_id for h in self.hosts]
        if len(ids) != len(set(ids)):
            raise ValueError("hosts: a user is listed twice")
        return self

    @model_validator(mode="after")
    def _length_options(self) -> "EventType":
        options = self.length_in_minutes_options
        if options is not None and (self.length_in_minutes not in options or len(options) != len(set(options))):
            raise ValueError("lengthInMinutesOptions: must be unique and include lengthInMinutes")
        return self


class Configuration(CamelModel):
    """The document `bookflow config apply` reads and `bookflow config export` writes."""

    users: list[User] = []
    schedules: list[Schedule] = []
    out_of_office: list[OutOfOffice] = []
    event_types: list[EventType] = []
    routing_forms: list[RoutingForm] = []
    attributes: list[ConfiguredAttribute] = []
    # CRM settings (per event type), kept opaque here: worker.config_file validates them with crm/'s models.
    crm: dict[str, Any] = {}

    @model_validator(mode="after")
    def _references_resolve(self) -> "Configuration":
        sections = (
            ("users", self.users),
            ("schedules", self.schedules),
            ("outOfOffice", self.out_of_office),
            ("eventTypes", self.event_types),
            ("routingForms", self.routing_forms),
            ("attributes", self.attributes),
        )
        for kind, items in sections:
            ids = [i.id for i in items]
            dup = {i for i in ids if ids.count(i) > 1}
            if dup:
                raise ValueError(f"{kind}: id {sorted(dup)[0]} appears more than once")
        owners = {s.id: s.owner_id for s in self.schedules}
        for i, event_type in enumerate(self.event_types):
            owner = owners.get(event_type.schedule_id or 0)
            if owner is not None and owner not in {h.user_id for h in event_type.hosts}:
                raise ValueError(f"eventTypes.{i}.scheduleId: schedule {event_type.schedule_id} is not a host's")
        return self

"""Reminder rules per event type, in Cal.com's workflow model: a trigger, and steps that send messages.

Only the shape and the rules that need no template engine live here; templates/ checks that each
step's template renders, and domain.reminder_plan turns rules into timed and immediate sends.
"""

from datetime import timedelta
from enum import StrEnum

from pydantic import EmailStr, Field, field_validator, model_validator

from domain.base import CamelModel
from domain.phone import optional_e164
from domain.text_bounds import PHONE


class ReminderTrigger(StrEnum):
    """Cal.com's API names of workflow triggers (``trigger.type``) for event types."""

    BEFORE_EVENT = "beforeEvent"
    AFTER_EVENT = "afterEvent"
    NEW_EVENT = "newEvent"
    EVENT_CANCELLED = "eventCancelled"
    RESCHEDULE_EVENT = "rescheduleEvent"
    BOOKING_REQUESTED = "bookingRequested"
    BOOKING_REJECTED = "bookingRejected"
    BOOKING_PAID = "bookingPaid"
    BOOKING_NO_SHOW_UPDATED = "bookingNoShowUpdated"

    @property
    def timed(self) -> bool:
        """Whether the trigger is a moment relative to the meeting (with an offset), not a transition."""
        return self in (ReminderTrigger.BEFORE_EVENT, ReminderTrigger.AFTER_EVENT)


class OffsetUnit(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


UNIT_SECONDS = {OffsetUnit.MINUTE: 60, OffsetUnit.HOUR: 3600, OffsetUnit.DAY: 86400}


class Offset(CamelModel):
    """How long before the start (beforeEvent) or after the end (afterEvent) a step is due.

    The value may be fractional (0.05 minute is three seconds) so tests can use short delays.
    """

    value: float = Field(ge=0, le=366 * 24 * 60)
    unit: OffsetUnit = OffsetUnit.HOUR

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.value * UNIT_SECONDS[self.unit])


class TriggerSpec(CamelModel):
    type: ReminderTrigger
    offset: Offset | None = None

    @model_validator(mode="after")
    def _offset_iff_timed(self) -> "TriggerSpec":
        if self.type.timed and self.offset is None:
            raise ValueError(f"offset: {self.type.value} needs an offset such as {{value: 24, unit: hour}}")
        if not self.type.timed and self.offset is not None:
            raise ValueError(f"offset: {self.type.value} fires on its transition and takes no offset")
        return self


class StepAction(StrEnum):
    EMAIL_HOST = "email_host"
    EMAIL_ATTENDEE = "email_attendee"
    EMAIL_ADDRESS = "email_address"
    SMS_ATTENDEE = "sms_attendee"
    SMS_NUMBER = "sms_number"

    @property
    def channel(self) -> "Channel":
        return Channel.SMS if self.value.startswith("sms_") else Channel.EMAIL


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class TemplateKind(StrEnum):
    """Cal.com's template presets; ``custom`` needs the step's own body."""

    REMINDER = "reminder"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    CUSTOM = "custom"


class StepMessage(CamelModel):
    """The step's own subject and body; empty parts fall back to the template kind's defaults.

    Bodies accept Cal.com's ``{VARIABLE}`` syntax and Jinja2 (``{{ event_name }}``).
    """

    subject: str | None = Field(default=None, max_length=500)
    html: str | None = Field(default=None, max_length=100_000)
    text: str | None = Field(default=None, max_length=10_000)


class ReminderStep(CamelModel):
    step_number: int = Field(ge=1)
    action: StepAction
    template: TemplateKind = TemplateKind.REMINDER
    sender: str = Field(default="Bookflow", min_length=1, max_length=100, description="Display name of the sender.")
    include_calendar_event: bool = False
    message: StepMessage = StepMessage()
    send_to_email: EmailStr | None = Field(default=None, description="The address an email_address step sends to.")
    send_to_phone: str | None = Field(
        default=None, max_length=PHONE, description="The E.164 number an sms_number step sends to."
    )

    _phone = field_validator("send_to_phone")(optional_e164)

    @model_validator(mode="after")
    def _consistent(self) -> "ReminderStep":
        if self.action is StepAction.EMAIL_ADDRESS and self.send_to_email is None:
            raise ValueError("sendToEmail: an email_address step needs the address to send to")
        if self.action is StepAction.SMS_NUMBER and self.send_to_phone is None:
            raise ValueError("sendToPhone: an sms_number step needs the number to send to")
        if self.template is TemplateKind.CUSTOM:
            body = self.message.text if self.action.channel is Channel.SMS else self.message.html
            if not body:
                part = "text" if self.action.channel is Channel.SMS else "html"
                raise ValueError(f"message.{part}: a custom template needs its body")
        if self.include_calendar_event and self.action.channel is Channel.SMS:
            raise ValueError("includeCalendarEvent: only email steps can attach the calendar invite")
        return self


class ReminderWorkflow(CamelModel):
    """One reminder rule of an event type (Cal.com calls it a workflow)."""

    id: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=200)
    active: bool = True
    trigger: TriggerSpec
    steps: list[ReminderStep] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _step_numbers_unique(self) -> "ReminderWorkflow":
        numbers = [s.step_number for s in self.steps]
        if len(numbers) != len(set(numbers)):
            raise ValueError("steps: a stepNumber appears twice")
        return self


def step_id(workflow: ReminderWorkflow, step: ReminderStep) -> str:
    """A step's name within its event type, stable across edits of other steps."""
    return f"{workflow.id}.{step.step_number}"


def check_unique_ids(workflows: list[ReminderWorkflow]) -> list[ReminderWorkflow]:
    ids = [w.id for w in workflows]
    if len(ids) != len(set(ids)):
        raise ValueError("workflows: an id appears twice")
    return workflows


def requires_attendee_phone(workflows: list[ReminderWorkflow]) -> bool:
    """Whether booking needs attendee.phoneNumber: an active rule texts the attendee (Cal.com 001 L465)."""
    return any(w.active and any(s.action is StepAction.SMS_ATTENDEE for s in w.steps) for w in workflows)

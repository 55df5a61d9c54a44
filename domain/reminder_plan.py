"""Which reminder steps a booking has due, when, and to whom: pure functions of the booking's state.

Timed steps (beforeEvent/afterEvent) are due at a moment relative to the meeting and exist only while
the booking is accepted, so a cancelled booking has none left. Immediate steps are due as soon as
their transition has fired; they are derived from the booking's trigger counts, so a retried or
replayed workflow plans exactly the same sends with the same keys.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.booking import Attendee, Booking, BookingStatus
from domain.reminders import (
    Channel,
    ReminderStep,
    ReminderTrigger,
    ReminderWorkflow,
    StepAction,
    step_id,
)
from domain.triggers import Trigger

KEY_PREFIX = "reminder:"

# The transition (webhook trigger) that fires each immediate reminder trigger.
IMMEDIATE: dict[Trigger, ReminderTrigger] = {
    Trigger.BOOKING_CREATED: ReminderTrigger.NEW_EVENT,
    Trigger.BOOKING_CANCELLED: ReminderTrigger.EVENT_CANCELLED,
    Trigger.BOOKING_RESCHEDULED: ReminderTrigger.RESCHEDULE_EVENT,
    Trigger.BOOKING_REQUESTED: ReminderTrigger.BOOKING_REQUESTED,
    Trigger.BOOKING_REJECTED: ReminderTrigger.BOOKING_REJECTED,
    Trigger.BOOKING_PAID: ReminderTrigger.BOOKING_PAID,
    Trigger.BOOKING_NO_SHOW_UPDATED: ReminderTrigger.BOOKING_NO_SHOW_UPDATED,
}


@dataclass(frozen=True)
class PlannedSend:
    """One step of one rule, due at ``due``; ``key`` is unique within the booking and stable."""

    key: str
    due: datetime
    workflow: ReminderWorkflow
    step: ReminderStep
    # A beforeEvent reminder makes no sense once the meeting has begun: it is skipped after this.
    not_after: datetime | None = None

    @property
    def timed(self) -> bool:
        return self.workflow.trigger.type.timed


@dataclass(frozen=True)
class Recipient:
    """Where one message goes, and the time zone its times are shown in."""

    address: str
    name: str
    time_zone: str
    role: str  # "host" or "attendee"; templates greet accordingly


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _timed(booking: Booking, workflow: ReminderWorkflow) -> list[PlannedSend]:
    offset = workflow.trigger.offset
    assert offset is not None  # TriggerSpec guarantees an offset for timed triggers
    if workflow.trigger.type is ReminderTrigger.BEFORE_EVENT:
        due = booking.start - offset.delta
        # A reminder "0 minutes before" is still useful during the meeting; any other is not.
        not_after = booking.start if offset.value > 0 else booking.end
    else:
        due, not_after = booking.end + offset.delta, None
    return [
        PlannedSend(f"{KEY_PREFIX}{step_id(workflow, s)}:{_stamp(due)}", due, workflow, s, not_after)
        for s in workflow.steps
    ]


def _immediate(booking: Booking, workflow: ReminderWorkflow) -> list[PlannedSend]:
    sends = []
    for trigger, fired in IMMEDIATE.items():
        if fired is not workflow.trigger.type:
            continue
        for n in range(booking.trigger_counts.get(trigger.value, 0)):
            # Due at once: the transition has already happened when its count went up.
            for s in workflow.steps:
                key = f"{KEY_PREFIX}{step_id(workflow, s)}:{trigger.value}-{n}"
                sends.append(PlannedSend(key, booking.updated_at or booking.created_at, workflow, s))
    return sends


def planned(booking: Booking) -> list[PlannedSend]:
    """Every send of ``booking``'s reminder rules, done or not (the agenda filters done keys)."""
    sends: list[PlannedSend] = []
    for workflow in booking.event_type.workflows:
        if not workflow.active:
            continue
        if workflow.trigger.type.timed:
            if booking.status is BookingStatus.ACCEPTED:
                sends += _timed(booking, workflow)
        else:
            sends += _immediate(booking, workflow)
    return sends


def find(booking: Booking, key: str) -> PlannedSend | None:
    """The planned send named ``key``, if the booking (still) has it."""
    return next((s for s in planned(booking) if s.key == key), None)


def recipients(booking: Booking, step: ReminderStep) -> list[Recipient]:
    """Who a step sends to. Host actions show the organizer's time zone, attendee actions each attendee's."""
    organizer = booking.organizer
    first_tz = booking.attendees[0].time_zone
    match step.action:
        case StepAction.EMAIL_HOST:
            return [Recipient(str(organizer.email), organizer.name, organizer.time_zone, "host")]
        case StepAction.EMAIL_ATTENDEE:
            people = [  # a phone-only attendee's placeholder address gets no email
                Recipient(str(a.email), a.name, a.time_zone, "attendee") for a in booking.attendees if a.has_mailbox
            ]
            return people + [Recipient(str(g), str(g), first_tz, "attendee") for g in booking.guests]
        case StepAction.EMAIL_ADDRESS:
            return [Recipient(str(step.send_to_email), str(step.send_to_email), organizer.time_zone, "host")]
        case StepAction.SMS_ATTENDEE:
            return [
                Recipient(a.phone_number, a.name, a.time_zone, "attendee") for a in booking.attendees if a.phone_number
            ]
        case StepAction.SMS_NUMBER:
            return [Recipient(str(step.send_to_phone), organizer.name, organizer.time_zone, "host")]
    return []


# -- a seat's own events (seated event types) ---------------------------------------------------------

# What each seat trigger tells the seat's holder and the organizer (templates word their notices by it).
SEAT_CHANGES: dict[Trigger, str] = {
    Trigger.BOOKING_CREATED: "booked",
    Trigger.BOOKING_RESCHEDULED: "rescheduled",
    Trigger.BOOKING_CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class SeatChange:
    """One seat's own event: a booker took, moved into or gave up a seat; the booking itself stays.

    ``key`` names the event within its booking (the event id without the booking uid), so the sends it
    plans have keys of their own, stable across retries.
    """

    key: str
    trigger: Trigger
    attendee: Attendee
    cancellation_reason: str | None = None

    @property
    def change(self) -> str:
        return SEAT_CHANGES[self.trigger]


def seat_change(booking: Booking, trigger: Trigger, event_id: str, extra: dict[str, Any]) -> SeatChange | None:
    """The seat change an event of ``booking`` is, or None for the booking's own event.

    A seat's event carries ``seatAttendee``; the cancellation of the booking's last seat carries it too but
    cancels the booking, so it is the booking's own (its rules send to everyone still on it).
    """
    seat = extra.get("seatAttendee")
    if seat is None or trigger not in SEAT_CHANGES or booking.status is BookingStatus.CANCELLED:
        return None
    key = event_id.removeprefix(f"{booking.uid}:")
    reason = extra.get("cancellationReason")
    return SeatChange(key, trigger, Attendee.model_validate(seat), str(reason) if reason else None)


def seat_sends(booking: Booking, change: SeatChange) -> list[PlannedSend]:
    """The immediate steps a seat's event fires (a seat taken: newEvent; moved in: rescheduleEvent; given up:
    eventCancelled), due at once; their keys name the seat's event, not the booking's trigger counts."""
    fired = IMMEDIATE[change.trigger]
    due = booking.updated_at or booking.created_at
    return [
        PlannedSend(f"{KEY_PREFIX}{step_id(w, s)}:{change.key}", due, w, s)
        for w in booking.event_type.workflows
        if w.active and w.trigger.type is fired
        for s in w.steps
    ]


def seat_recipients(booking: Booking, step: ReminderStep, change: SeatChange) -> list[Recipient]:
    """Who a seat's event reaches: of the attendees only the seat's holder (the other seats hear nothing,
    nor learn their address); the organizer and fixed addresses as the step says."""
    seat = change.attendee
    match step.action:
        case StepAction.EMAIL_ATTENDEE:
            return [Recipient(str(seat.email), seat.name, seat.time_zone, "attendee")] if seat.has_mailbox else []
        case StepAction.SMS_ATTENDEE:
            return [Recipient(seat.phone_number, seat.name, seat.time_zone, "attendee")] if seat.phone_number else []
    return recipients(booking, step)


def attendee_at(booking: Booking, recipient: Recipient) -> Attendee | None:
    """The attendee a message to ``recipient`` goes to, found by address (email or phone), never by a name
    two seats may share; None for the organizer and fixed addresses."""
    if recipient.role != "attendee":
        return None
    address = recipient.address.lower()
    held = (a for a in booking.attendees if address in (str(a.email).lower(), (a.phone_number or "").lower()))
    return next(held, None)


def channel(step: ReminderStep) -> Channel:
    return step.action.channel

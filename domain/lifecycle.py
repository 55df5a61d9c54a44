"""The pure rules of a booking's life: which change is allowed from which status, and what is due when.

Nothing here does I/O or reads a clock: the BookingWorkflow passes in what it knows, so the same rules
serve the workflow, the API's early checks and the tests.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.booking import Booking, BookingStatus, ParticipantJoin
from domain.reminder_plan import planned as planned_reminders
from domain.triggers import Trigger


class TransitionRefused(ValueError):
    """A change that is not allowed from the booking's current state; the message says why."""


OPEN_STATUSES = frozenset({BookingStatus.ACCEPTED, BookingStatus.PENDING})
# Statuses a booking can still be cancelled from: the open ones and an instant meeting awaiting its host.
CANCELLABLE_STATUSES = OPEN_STATUSES | {BookingStatus.AWAITING_HOST}


def initial_status(booking: Booking) -> tuple[BookingStatus, list[Trigger]]:
    """The status a new booking starts in and the triggers its creation fires."""
    event_type = booking.event_type
    if booking.from_reschedule:
        return booking.status, [Trigger.BOOKING_RESCHEDULED]
    if booking.instant:
        return BookingStatus.AWAITING_HOST, [Trigger.INSTANT_MEETING]
    if event_type.price > 0 and not booking.paid:
        return BookingStatus.PENDING, [Trigger.BOOKING_PAYMENT_INITIATED]
    if event_type.requires_confirmation:
        return BookingStatus.PENDING, [Trigger.BOOKING_REQUESTED]
    return BookingStatus.ACCEPTED, [Trigger.BOOKING_CREATED]


def check_confirm(booking: Booking) -> None:
    if booking.status is not BookingStatus.PENDING:
        raise TransitionRefused(f"only a pending booking can be confirmed; this one is {booking.status.api}")
    if booking.awaiting_payment:
        raise TransitionRefused("the booking is awaiting payment; it can be confirmed once paid")


def check_decline(booking: Booking) -> None:
    if booking.status is not BookingStatus.PENDING:
        raise TransitionRefused(f"only a pending booking can be declined; this one is {booking.status.api}")


def check_cancel(booking: Booking) -> None:
    if booking.event_type.disable_cancelling:
        raise TransitionRefused("cancelling is disabled for this event type")
    if booking.status not in CANCELLABLE_STATUSES:
        raise TransitionRefused(f"the booking is already {booking.status.api}")


def check_reschedule(booking: Booking) -> None:
    if booking.event_type.disable_rescheduling:
        raise TransitionRefused("rescheduling is disabled for this event type")
    if booking.status is BookingStatus.REJECTED:
        raise TransitionRefused("a rejected booking cannot be rescheduled; create a new booking instead")
    if booking.status is BookingStatus.AWAITING_HOST:
        raise TransitionRefused(AWAITING_HOST_RESCHEDULE)
    if booking.rescheduled_to_uid:
        raise TransitionRefused(f"the booking was already rescheduled to {booking.rescheduled_to_uid}")
    if booking.status is BookingStatus.CANCELLED:
        raise TransitionRefused("a cancelled booking cannot be rescheduled; create a new booking instead")


# Cal.com's refusal of a reschedule of an instant meeting still ringing its hosts (a 400 at the API).
AWAITING_HOST_RESCHEDULE = (
    "an instant meeting awaiting its host (awaiting_host) cannot be rescheduled; create a new booking instead"
)


def check_accept_instant(booking: Booking, host_id: int) -> None:
    """Only a host of the event type accepts, and only the first one: the meeting must still await its host."""
    if host_id not in {h.user_id for h in booking.event_type.hosts}:
        raise TransitionRefused(f"user {host_id} is not a host of event type {booking.event_type.id}")
    if booking.status is BookingStatus.AWAITING_HOST:
        return
    if booking.instant and booking.status is BookingStatus.ACCEPTED:
        raise TransitionRefused(f"the instant meeting was already accepted by {booking.organizer.username}")
    raise TransitionRefused(f"only an instant meeting awaiting its host is accepted; this one is {booking.status.api}")


def instant_expiry(booking: Booking) -> datetime:
    """When an instant meeting nobody accepted is cancelled: its creation plus the event type's expiry."""
    return booking.created_at + timedelta(seconds=booking.event_type.instant_meeting_expiry_time_offset_in_seconds)


def check_mark_absent(booking: Booking, emails: list[str]) -> None:
    if booking.status is not BookingStatus.ACCEPTED:
        raise TransitionRefused(f"only an accepted booking has attendance; this one is {booking.status.api}")
    known = {a.email.lower() for a in booking.attendees}
    unknown = [e for e in emails if e.lower() not in known]
    if unknown:
        raise TransitionRefused(f"attendees: {unknown[0]} is not an attendee of this booking")


def closed(booking: Booking, keep_open_after_end: timedelta) -> bool:
    """Whether the booking's lifecycle has closed: nothing is left on its agenda, so it takes no changes."""
    return not agenda(booking, keep_open_after_end)


def closed_message(booking: Booking) -> str:
    """What a change sent after the close is told (by the workflow, or by the API once it has ended)."""
    return f"booking {booking.uid} is {booking.status.api} and its lifecycle has closed; it takes no more changes"


def check_open(booking: Booking, keep_open_after_end: timedelta) -> None:
    """Refuse every change once the lifecycle has closed (checked before the change's own rule)."""
    if closed(booking, keep_open_after_end):
        raise TransitionRefused(closed_message(booking))


def check_payment(booking: Booking) -> None:
    if booking.event_type.price <= 0:
        raise TransitionRefused("this booking has no price to pay")
    if booking.status not in OPEN_STATUSES:
        raise TransitionRefused(f"the booking is {booking.status.api}; a payment can no longer be applied")


class Action(StrEnum):
    """What a timed agenda item does when it falls due."""

    PAYMENT_EXPIRY = "payment_expiry"
    MEETING_STARTED = "meeting_started"
    MEETING_ENDED = "meeting_ended"
    HOST_NO_SHOW = "host_no_show"
    GUEST_NO_SHOW = "guest_no_show"
    CLOSE = "close"
    REMINDER = "reminder"
    INSTANT_EXPIRY = "instant_expiry"


@dataclass(frozen=True)
class AgendaItem:
    """One timed action still due. ``key`` names it uniquely within the booking."""

    key: str
    due: datetime
    action: Action


def agenda(booking: Booking, keep_open_after_end: timedelta) -> list[AgendaItem]:
    """Every timed action still due for ``booking``, earliest first, derived from its state alone.

    A cancelled or rejected booking has an empty agenda; an accepted one has its meeting events and
    no-show checks, and a CLOSE item after which the workflow completes.
    """
    items: list[AgendaItem] = []
    event_type = booking.event_type
    if booking.awaiting_payment:
        expiry = booking.created_at + timedelta(minutes=event_type.payment_timeout_minutes)
        items.append(AgendaItem("payment_expiry", expiry, Action.PAYMENT_EXPIRY))
    if booking.status is BookingStatus.AWAITING_HOST:
        items.append(AgendaItem("instant_expiry", instant_expiry(booking), Action.INSTANT_EXPIRY))
    if booking.status is BookingStatus.ACCEPTED:
        items.append(AgendaItem("meeting_started", booking.start, Action.MEETING_STARTED))
        items.append(AgendaItem("meeting_ended", booking.end, Action.MEETING_ENDED))
        if event_type.host_no_show_after_minutes:
            due = no_show_deadline(booking, event_type.host_no_show_after_minutes)
            items.append(AgendaItem("host_no_show", due, Action.HOST_NO_SHOW))
        if event_type.guest_no_show_after_minutes:
            due = no_show_deadline(booking, event_type.guest_no_show_after_minutes)
            items.append(AgendaItem("guest_no_show", due, Action.GUEST_NO_SHOW))
    if booking.status in OPEN_STATUSES:
        items.append(AgendaItem("close", booking.end + keep_open_after_end, Action.CLOSE))
    # Reminder steps: timed ones while accepted, immediate ones once their transition fired.
    items.extend(AgendaItem(send.key, send.due, Action.REMINDER) for send in planned_reminders(booking))
    done = set(booking.done)
    # CLOSE goes last among items due at the same moment: a booking never ends before its own events.
    return sorted((i for i in items if i.key not in done), key=lambda i: (i.due, i.action is Action.CLOSE, i.key))


def no_show_deadline(booking: Booking, minutes: float) -> datetime:
    """When a no-show check ``minutes`` after the start falls due (joins up to then count)."""
    return booking.start + timedelta(minutes=minutes)


def first_join(booking: Booking, join: ParticipantJoin) -> bool:
    """Whether ``join`` tells the booking something new: its participant's first join, or an earlier one.

    A participant's earliest join is all the no-show checks need, so repeats change nothing.
    """
    email = join.email.lower()
    return all(j.joined_at > join.joined_at for j in booking.joins if j.email.lower() == email)


def with_join(booking: Booking, join: ParticipantJoin) -> list[ParticipantJoin]:
    """The booking's joins with ``join`` as its participant's only (earliest) one."""
    email = join.email.lower()
    return [*(j for j in booking.joins if j.email.lower() != email), join]


def joined_by(booking: Booking, email: str, deadline: datetime) -> bool:
    """Whether ``email`` joined the call at or before ``deadline``."""
    return any(j.email.lower() == email.lower() and j.joined_at <= deadline for j in booking.joins)

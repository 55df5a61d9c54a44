"""Reminder steps in the booking's agenda: timed while accepted, immediate once their transition fired."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain import lifecycle
from domain.booking import Attendee, Booking, BookingStatus
from domain.lifecycle import Action
from domain.reminder_plan import recipients
from domain.reminders import ReminderWorkflow
from testkit.stack import ORGANIZER, event_type
from tests.reminders.support import rule

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
KEEP = timedelta(minutes=1)


def booking(*rules: ReminderWorkflow, start: datetime = NOW + timedelta(hours=2), **fields) -> Booking:
    base = {
        "id": 1,
        "uid": "b-1",
        "event_type": event_type(1, length_in_minutes=30, workflows=list(rules)),
        "organizer": ORGANIZER,
        "attendees": [Attendee(name="Bo", email="bo@example.com", phone_number="+14155550123")],
        "guests": ["guest@example.com"],
        "start": start,
        "end": start + timedelta(minutes=30),
        "status": BookingStatus.ACCEPTED,
        "created_at": NOW,
        "title": "t",
    }
    return Booking(**(base | fields))


def reminders(b: Booking) -> list[lifecycle.AgendaItem]:
    return [i for i in lifecycle.agenda(b, KEEP) if i.action is Action.REMINDER]


def test_before_and_after_event_steps_are_due_relative_to_start_and_end():
    b = booking(rule("beforeEvent", 3600, id=1), rule("afterEvent", 600, id=2))
    items = reminders(b)
    assert [(i.key, i.due) for i in items] == [
        ("reminder:1.1:2030-01-01T13:00:00Z", NOW + timedelta(hours=1)),
        ("reminder:2.1:2030-01-01T14:40:00Z", NOW + timedelta(hours=2, minutes=40)),
    ]


def test_a_reminder_due_before_the_booking_was_made_is_due_at_once_not_dropped():
    # Booked 20 minutes ahead with a 1-hour reminder: due 40 minutes ago, so the workflow fires it now.
    b = booking(rule("beforeEvent", 3600), start=NOW + timedelta(minutes=20))
    (item,) = reminders(b)
    assert item.due < NOW


def test_cancelled_or_pending_bookings_have_no_timed_steps_and_done_steps_leave_the_agenda():
    r = rule("beforeEvent", 60)
    assert reminders(booking(r, status=BookingStatus.CANCELLED)) == []
    assert reminders(booking(r, status=BookingStatus.PENDING)) == []
    (item,) = reminders(booking(r))
    assert reminders(booking(r, done=[item.key])) == []


def test_immediate_steps_follow_their_transition_counts():
    r = rule("eventCancelled", None)
    assert reminders(booking(r, status=BookingStatus.CANCELLED)) == []
    cancelled = booking(r, status=BookingStatus.CANCELLED, trigger_counts={"BOOKING_CANCELLED": 1})
    assert [i.key for i in reminders(cancelled)] == ["reminder:1.1:BOOKING_CANCELLED-0"]
    created = rule("newEvent", None, id=2)
    assert [i.key for i in reminders(booking(created, trigger_counts={"BOOKING_CREATED": 1}))] == [
        "reminder:2.1:BOOKING_CREATED-0"
    ]


def test_recipients_per_action():
    b = booking()
    assert [r.address for r in recipients(b, rule(action="email_attendee").steps[0])] == [
        "bo@example.com",
        "guest@example.com",
    ]
    assert [r.address for r in recipients(b, rule(action="sms_attendee").steps[0])] == ["+14155550123"]
    (host,) = recipients(b, rule(action="email_host").steps[0])
    assert (host.address, host.time_zone) == ("ada@example.com", "Europe/Berlin")


def test_rules_are_checked_when_built():
    with pytest.raises(ValidationError, match="needs an offset"):
        ReminderWorkflow.model_validate(
            {
                "id": 1,
                "name": "x",
                "trigger": {"type": "beforeEvent"},
                "steps": [{"stepNumber": 1, "action": "email_host"}],
            }
        )
    with pytest.raises(ValidationError, match="sendToPhone"):
        rule(action="sms_number")
    with pytest.raises(ValidationError, match="not a phone number"):
        rule(action="sms_number", sendToPhone="12345")
    with pytest.raises(ValidationError, match="custom template needs its body"):
        rule(template="custom")

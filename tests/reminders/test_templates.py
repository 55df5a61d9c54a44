"""Templates: Cal.com variables translated to Jinja2, dayjs formats, time zones across DST, the sandbox."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.booking import Attendee, Booking, BookingStatus
from domain.config import User
from domain.reminder_plan import Recipient
from domain.reminders import ReminderStep
from templates.calcom import TemplateProblem, translate
from templates.messages import render_step
from templates.validation import step_problems
from templates.variables import Links
from testkit.stack import event_type

NEW_YORK_HOST = User(id=1, name="Ada Organizer", email="ada@example.com", username="ada", time_zone="America/New_York")


def booking_at(start: datetime, **fields) -> Booking:
    attendee = Attendee(name="Bo Booker", email="bo@example.com", time_zone="Europe/Berlin")
    return Booking(
        id=1,
        uid="b-1",
        event_type=event_type(1, length_in_minutes=30),
        organizer=NEW_YORK_HOST,
        attendees=[attendee],
        start=start,
        end=start + timedelta(minutes=30),
        status=BookingStatus.ACCEPTED,
        created_at=start - timedelta(days=3),
        title="Event 1 between Ada Organizer and Bo Booker",
        location="https://meet.example.com/abc",
        **fields,
    )


def render(body: str, booking: Booking, recipient: Recipient, channel: str = "sms") -> str:
    step = ReminderStep(step_number=1, action=f"{channel}_attendee", template="custom", message={"text": body})
    return render_step(step, booking, recipient, Links("https://book.example"), datetime.now(UTC)).text


BERLIN = Recipient("+491701234567", "Bo Booker", "Europe/Berlin", "attendee")
NEW_YORK = Recipient("+12125550123", "Ada Organizer", "America/New_York", "host")


def test_dst_sunday_in_new_york_renders_right_for_berlin_and_new_york():
    # 14 March 2027: New York springs forward at 2:00 (EST -5 -> EDT -4); Berlin stays on CET (+1) until 28 March.
    start = datetime(2027, 3, 14, 14, 0, tzinfo=UTC)  # 10:00 EDT in New York
    booking = booking_at(start)
    body = "{EVENT_DATE_ddd, MMM D, YYYY h:mma} {TIMEZONE} {EVENT_TIME_HH:mm Z}"
    assert render(body, booking, BERLIN) == "Sun, Mar 14, 2027 3:00pm Europe/Berlin 15:00 +01:00"
    assert render(body, booking, NEW_YORK) == "Sun, Mar 14, 2027 10:00am America/New_York 10:00 -04:00"
    # The day before, New York was still on EST: the same wall-clock hour is a different UTC offset.
    day_before = booking_at(datetime(2027, 3, 13, 15, 0, tzinfo=UTC))
    assert render("{EVENT_TIME_h:mma Z}", day_before, NEW_YORK) == "10:00am -05:00"


def test_attendee_time_zone_variables_use_the_attendee_zone_for_a_host_message():
    booking = booking_at(datetime(2027, 11, 7, 15, 0, tzinfo=UTC))  # New York falls back that morning: 10:00 EST
    text = render(
        "{EVENT_TIME} / {EVENT_START_TIME_IN_ATTENDEE_TIMEZONE} ({ATTENDEE_TIMEZONE}) / {EVENT_END_TIME_HH:mm}",
        booking,
        NEW_YORK,
    )
    assert text == "10:00am / 4:00pm (Europe/Berlin) / 10:30"


def test_calcom_variables_and_links():
    booking = booking_at(datetime(2030, 1, 2, 9, 0, tzinfo=UTC))
    text = render(
        "Hi {ATTENDEE_FIRST_NAME} {ATTENDEE_LAST_NAME}: {EVENT_NAME} with {ORGANIZER_NAME} at {MEETING_URL}. "
        "Cancel {CANCEL_URL} Reschedule {RESCHEDULE_URL} {ORGANIZER} {ATTENDEE_NAME_VARIABLE}",
        booking,
        BERLIN,
    )
    assert text == (
        "Hi Bo Booker: Event 1 with Ada Organizer at https://meet.example.com/abc. "
        "Cancel https://book.example/booking/b-1?cancel=true "
        "Reschedule https://book.example/booking/b-1?reschedule=true "
        "Ada Organizer Bo Booker"
    )


def test_jinja_syntax_works_alongside_and_css_braces_are_left_alone():
    booking = booking_at(datetime(2030, 1, 2, 9, 0, tzinfo=UTC), booking_fields_responses={"company": "Acme"})
    text = render(
        "{{ attendee_name|upper }} from {{ responses.company }}{{ responses.missing }} "
        "{{ event_start|dayjs('Do [of] MMMM') }} p { color: red }",
        booking,
        BERLIN,
    )
    assert text == "BO BOOKER from Acme 2nd of January p { color: red }"


def test_unknown_variable_is_refused_with_its_line_and_column():
    with pytest.raises(TemplateProblem) as refused:
        translate("Hello\n  see you {EVENT_NAEM}")
    assert (refused.value.line, refused.value.column) == (2, 11)
    step = ReminderStep(
        step_number=1, action="email_attendee", message={"subject": "{EVENT_NAME}", "html": "<p>\n{{ evnt }}</p>"}
    )
    assert step_problems(step) == ["message.html: line 2: unknown variable 'evnt'"]


def test_templates_that_fail_to_render_or_escape_the_sandbox_are_refused():
    failing = ReminderStep(step_number=1, action="sms_number", send_to_phone="+14155550123",
                           message={"text": "ok\n{{ event_name|dayjs('HH') }}"})  # fmt: skip
    assert step_problems(failing) == [
        "message.text: line 2: fails to render: dayjs() formats a date and time, such as event_start"
    ]
    escape = ReminderStep(step_number=1, action="sms_attendee", message={"text": "{{ event_name.__class__.__mro__ }}"})
    (problem,) = step_problems(escape)
    assert "unsafe" in problem
    syntax = ReminderStep(step_number=1, action="email_host", message={"html": "{% if %}"})
    assert step_problems(syntax)[0].startswith("message.html: line 1: syntax error")


@pytest.mark.parametrize("kind", ["reminder", "rescheduled", "cancelled", "completed"])
def test_default_templates_render_for_every_kind(kind):
    booking = booking_at(datetime(2030, 1, 2, 9, 0, tzinfo=UTC), cancellation_reason="Sick")
    links = Links("https://book.example")
    email = ReminderStep(step_number=1, action="email_attendee", template=kind, include_calendar_event=True)
    rendered = render_step(email, booking, BERLIN, links, datetime.now(UTC))
    assert "Event 1" in rendered.subject
    assert "Wednesday, January 2, 2030, 10:00am" in rendered.html  # 09:00 UTC is 10:00 in Berlin
    assert "Wednesday, January 2, 2030, 10:00am" in rendered.text
    assert "UID:b-1@bookflow" in rendered.ics
    sms = ReminderStep(step_number=1, action="sms_attendee", template=kind)
    assert "Event 1" in render_step(sms, booking, BERLIN, links, datetime.now(UTC)).text


def test_html_values_are_escaped_in_html_bodies():
    booking = booking_at(datetime(2030, 1, 2, 9, 0, tzinfo=UTC), cancellation_reason="<script>x</script>")
    step = ReminderStep(step_number=1, action="email_host", template="cancelled")
    rendered = render_step(step, booking, NEW_YORK, Links(), datetime.now(UTC))
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html

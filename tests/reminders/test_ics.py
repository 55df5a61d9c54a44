"""The calendar invite: RFC 5545 text that parses back to the booking, whatever its names contain."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from domain.booking import Attendee, BookingStatus
from domain.config import User
from templates.ics import calendar_invite
from tests.reminders.test_templates import booking_at

START = datetime(2030, 1, 2, 9, 0, tzinfo=UTC)
STAMP = datetime(2029, 12, 30, 8, 0, tzinfo=UTC)
HARD_NAME = 'Dr. Who: Smith, Jr.; "Ops" \\ Team'


def _event(text: str):
    (event,) = Calendar.from_ical(text).walk("VEVENT")
    return event


def test_names_with_colons_commas_and_semicolons_parse_back_unchanged():
    organizer = User(id=1, name=HARD_NAME, email="ada@example.com", username="ada")
    guest = Attendee(name="Bo: Booker, Esq.; PhD", email="bo@example.com", time_zone="Europe/Berlin")
    booking = booking_at(START, description="Agenda:\n1, 2; 3").model_copy(
        update={"organizer": organizer, "attendees": [guest]}
    )

    text = calendar_invite(booking, STAMP)
    event = _event(text)

    assert event["ORGANIZER"].params["CN"] == HARD_NAME
    assert str(event["ORGANIZER"]) == "mailto:ada@example.com"
    (attendee,) = [event["ATTENDEE"]]
    assert attendee.params["CN"] == "Bo: Booker, Esq.; PhD" and attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert str(attendee) == "mailto:bo@example.com"
    assert str(event["DESCRIPTION"]) == "Agenda:\n1, 2; 3"
    # RFC 5545 3.2: a parameter value with ':' ';' or ',' is quoted, never backslash-escaped.
    assert 'CN="Bo: Booker, Esq.; PhD"' in text.replace("\r\n ", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_the_invite_carries_the_booking_and_a_cancel_keeps_its_uid_with_a_higher_sequence():
    booking = booking_at(START)
    calendar = Calendar.from_ical(calendar_invite(booking, STAMP))
    event = _event(calendar_invite(booking, STAMP))

    assert str(calendar["METHOD"]) == "REQUEST" and str(calendar["PRODID"]) == "-//Bookflow//Reminders//EN"
    assert str(event["UID"]) == "b-1@bookflow" and str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == START and event.decoded("DTEND") == START + timedelta(minutes=30)
    assert event.decoded("DTSTAMP") == STAMP
    assert str(event["SUMMARY"]) == booking.title and str(event["LOCATION"]) == booking.location

    cancelled = booking.model_copy(update={"status": BookingStatus.CANCELLED, "ical_sequence": 1})
    text = calendar_invite(cancelled, STAMP)
    again = _event(text)
    assert str(Calendar.from_ical(text)["METHOD"]) == "CANCEL" and str(again["STATUS"]) == "CANCELLED"
    assert str(again["UID"]) == str(event["UID"]) and again["SEQUENCE"] > event["SEQUENCE"]

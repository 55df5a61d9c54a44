"""A booking as its destination event: the content the spec asks for, in valid iCalendar."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from calendars.mapping import event_content, sequence_of, to_ical
from domain.booking import Attendee, Booking, BookingStatus
from domain.config import EventType, Host, User

ADA = User(id=1, name="Ada Organizer", email="ada@example.com", username="ada", time_zone="Europe/Berlin")
START = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


def booking(**fields) -> Booking:
    event_type = EventType(id=1, slug="intro", title="Intro", length_in_minutes=30, hosts=[Host(user_id=1)])
    base = dict(
        id=1,
        uid="b1",
        event_type=event_type,
        organizer=ADA,
        attendees=[Attendee(name="Bo Booker", email="bo@example.com")],
        guests=["guest@example.com"],
        start=START,
        end=START + timedelta(minutes=30),
        status=BookingStatus.ACCEPTED,
        created_at=START,
        title="Intro between Ada and Bo",
        description="Let us talk",
        metadata={"videoCallUrl": "https://meet.example.com/abc"},
        booking_fields_responses={"notes": "bring the numbers"},
        ical_sequence=2,
    )
    return Booking(**(base | fields))


def test_the_event_carries_the_booking():
    ics = to_ical(event_content(booking(), "root@bookflow", START))
    calendar = Calendar.from_ical(ics)
    assert "METHOD" not in calendar  # RFC 4791: no METHOD in a stored object
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == "root@bookflow"
    assert int(event["sequence"]) == 2
    assert str(event["summary"]) == "Intro between Ada and Bo"
    assert event["dtstart"].dt == START and event["dtend"].dt == START + timedelta(minutes=30)
    assert str(event["location"]) == "https://meet.example.com/abc"
    description = str(event["description"])
    assert "Let us talk" in description and "bring the numbers" in description and "meet.example.com" in description
    assert str(event["organizer"]) == "mailto:ada@example.com"
    attendees = event["attendee"]
    assert sorted(str(a) for a in attendees) == ["mailto:bo@example.com", "mailto:guest@example.com"]
    assert all(a.params["SCHEDULE-AGENT"] == "CLIENT" for a in attendees)
    assert sequence_of(ics) == 2


def test_a_place_is_the_location_and_an_integration_is_not():
    in_person = to_ical(event_content(booking(metadata={}, location="Via Roma 1"), "x@bookflow", START))
    assert "LOCATION:Via Roma 1" in in_person
    video = to_ical(event_content(booking(metadata={}, location="integrations:daily"), "x@bookflow", START))
    assert "LOCATION" not in video

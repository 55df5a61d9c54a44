"""The pure rules of the close and of joins (domain.lifecycle), without a workflow."""

from datetime import UTC, datetime, timedelta

import pytest

from domain import lifecycle
from domain.booking import Attendee, Booking, BookingStatus, ParticipantJoin
from testkit.stack import ORGANIZER, event_type

START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
KEEP = timedelta(minutes=1)


def booking(**fields) -> Booking:
    base = {
        "id": 1,
        "uid": "b-1",
        "event_type": event_type(1, length_in_minutes=30, host_no_show_after_minutes=5),
        "organizer": ORGANIZER,
        "attendees": [Attendee(name="Bo", email="bo@example.com")],
        "start": START,
        "end": START + timedelta(minutes=30),
        "status": BookingStatus.ACCEPTED,
        "created_at": START - timedelta(days=1),
        "title": "t",
    }
    return Booking(**(base | fields))


def test_an_accepted_booking_is_open_until_its_close_item_is_done():
    everything = ["meeting_started", "meeting_ended", "host_no_show", "close"]
    assert not lifecycle.closed(booking(done=everything[:-1]), KEEP)
    assert lifecycle.closed(booking(done=everything), KEEP)
    lifecycle.check_open(booking(done=everything[:-1]), KEEP)
    with pytest.raises(lifecycle.TransitionRefused) as refused:
        lifecycle.check_open(booking(done=everything), KEEP)
    assert str(refused.value) == "booking b-1 is accepted and its lifecycle has closed; it takes no more changes"


def test_a_cancelled_booking_with_nothing_due_is_closed():
    assert lifecycle.closed(booking(status=BookingStatus.CANCELLED), KEEP)


def test_the_no_show_check_falls_due_its_minutes_after_the_start():
    (check,) = [i for i in lifecycle.agenda(booking(), KEEP) if i.action is lifecycle.Action.HOST_NO_SHOW]
    assert check.due == lifecycle.no_show_deadline(booking(), 5) == START + timedelta(minutes=5)


def test_only_a_participants_earliest_join_is_news():
    first = ParticipantJoin(email="bo@example.com", joined_at=START + timedelta(minutes=2))
    joined = booking(joins=[first])
    assert not lifecycle.first_join(joined, first)
    assert not lifecycle.first_join(joined, first.model_copy(update={"email": "BO@example.com"}))
    assert not lifecycle.first_join(joined, first.model_copy(update={"joined_at": START + timedelta(minutes=3)}))
    earlier = first.model_copy(update={"joined_at": START + timedelta(minutes=1)})
    assert lifecycle.first_join(joined, earlier)
    assert lifecycle.with_join(joined, earlier) == [earlier]
    other = ParticipantJoin(email="ada@example.com", joined_at=START)
    assert lifecycle.first_join(joined, other)
    assert lifecycle.with_join(joined, other) == [first, other]

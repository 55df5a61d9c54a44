"""A sample booking to test-render templates against when a rule is saved, and the names it defines."""

from datetime import UTC, datetime, timedelta

from domain.booking import Attendee, Booking, BookingStatus
from domain.config import EventType, Host, User
from domain.reminder_plan import Recipient
from templates.variables import Links, context_for

_START = datetime(2030, 3, 10, 15, 0, tzinfo=UTC)


def sample_booking(event_type: EventType | None = None) -> Booking:
    """A plausible accepted booking with every optional field filled, so each variable has a value."""
    organizer = User(id=1, name="Sample Organizer", email="organizer@example.com", username="sample")
    event_type = event_type or EventType(
        id=1, slug="sample", title="Sample Meeting", length_in_minutes=30, hosts=[Host(user_id=1)]
    )
    return Booking(
        id=1,
        uid="sample-booking",
        event_type=event_type,
        organizer=organizer,
        attendees=[
            Attendee(
                name="Sam Attendee", email="sam@example.com", time_zone="Europe/Berlin", phone_number="+14155550123"
            )
        ],
        start=_START,
        end=_START + timedelta(minutes=event_type.length_in_minutes),
        status=BookingStatus.ACCEPTED,
        created_at=_START - timedelta(days=1),
        title=f"{event_type.title} between Sample Organizer and Sam Attendee",
        description="Agenda to follow",
        location="https://meet.example.com/sample",
        cancellation_reason="Sample reason",
        rescheduling_reason="Sample reason",
    )


SAMPLE_RECIPIENT = Recipient("sam@example.com", "Sam Attendee", "Europe/Berlin", "attendee")

# Every variable a template may use.
KNOWN: frozenset[str] = frozenset(context_for(sample_booking(), SAMPLE_RECIPIENT, Links()))

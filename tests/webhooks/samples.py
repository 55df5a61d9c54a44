"""Bookings in every state a trigger fires from, for payload tests."""

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.booking import Attendee, Booking, BookingStatus, ParticipantJoin
from domain.config import EventType, Host, User
from domain.triggers import Trigger

START = datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
ORGANIZER = User(id=7, name="Ada Organizer", email="ada@example.com", username="ada", time_zone="Europe/Berlin")


def sample_booking(**changes: Any) -> Booking:
    """An accepted Cal Video booking with a guest, notes and a phone number; ``changes`` override."""
    event_type = EventType(
        id=3,
        slug="strategy",
        title="Strategy Session",
        description="Plan the quarter",
        length_in_minutes=15,
        hosts=[Host(user_id=7)],
        host_no_show_after_minutes=5,
        guest_no_show_after_minutes=5,
    )
    base = {
        "id": 42,
        "uid": "bk-uid-42",
        "event_type": event_type,
        "organizer": ORGANIZER,
        "attendees": [
            Attendee(
                name="Bo Booker", email="bo@example.com", time_zone="America/New_York", phone_number="+14155550123"
            )
        ],
        "guests": ["guest@example.com"],
        "start": START,
        "end": START + timedelta(minutes=15),
        "status": BookingStatus.ACCEPTED,
        "created_at": START - timedelta(days=1),
        "updated_at": START - timedelta(hours=1),
        "title": "Strategy Session between Ada Organizer and Bo Booker",
        "location": "integrations:daily",
        "booking_fields_responses": {"notes": "Bring the numbers"},
        "idempotency_key": "idem-42",
        "rescheduling_reason": "Original slot no longer works.",
    }
    return Booking(**(base | changes))


def sample_event(trigger: Trigger) -> tuple[Booking, dict[str, Any]]:
    """The booking state and the workflow's ``extra`` when ``trigger`` fires."""
    booking = sample_booking()
    extra: dict[str, Any] = {}
    paid_type = booking.event_type.model_copy(update={"price": 1000, "requires_confirmation": False})
    match trigger:
        case Trigger.BOOKING_RESCHEDULED:
            booking = sample_booking(from_reschedule="bk-old", ical_sequence=1)
            extra = {
                "rescheduleUid": "bk-old",
                "rescheduleId": 41,
                "rescheduleStartTime": "2024-06-30T10:00:00Z",
                "rescheduleEndTime": "2024-06-30T10:15:00Z",
            }
        case Trigger.BOOKING_REQUESTED:
            event_type = booking.event_type.model_copy(update={"requires_confirmation": True})
            booking = sample_booking(event_type=event_type, status=BookingStatus.PENDING)
        case Trigger.BOOKING_CANCELLED:
            booking = sample_booking(status=BookingStatus.CANCELLED, cancellation_reason="Cannot attend")
            extra = {"requestReschedule": False}
        case Trigger.BOOKING_REJECTED:
            booking = sample_booking(status=BookingStatus.REJECTED, rejection_reason="Not available")
        case Trigger.BOOKING_PAYMENT_INITIATED:
            booking = sample_booking(event_type=paid_type, status=BookingStatus.PENDING, payment_uid="pay-1")
        case Trigger.BOOKING_PAID:
            booking = sample_booking(event_type=paid_type, paid=True, payment_uid="pay-1")
            extra = {"paymentId": "evt_123", "externalId": "pi_123"}
        case Trigger.BOOKING_NO_SHOW_UPDATED:
            extra = {"attendees": [{"email": "bo@example.com", "noShow": True}], "message": "No-show status updated"}
        case Trigger.AFTER_HOSTS_CAL_VIDEO_NO_SHOW:
            joined = ParticipantJoin(email="bo@example.com", joined_at=START + timedelta(minutes=1))
            booking = sample_booking(joins=[joined], absent_host=True)
            extra = {"hostEmail": "ada@example.com", "noShowHost": True, "message": "Host didn't join"}
        case Trigger.AFTER_GUESTS_CAL_VIDEO_NO_SHOW:
            extra = {"guests": [{"email": "bo@example.com", "name": "Bo Booker"}], "message": "Guests didn't join"}
        case Trigger.RECORDING_READY:
            extra = {"downloadLink": "https://video.example.com/recording/1"}
        case Trigger.RECORDING_TRANSCRIPTION_GENERATED:
            extra = {
                "downloadLinks": {
                    "transcription": [{"format": "json", "link": "https://video.example.com/t.json"}],
                    "recording": "https://video.example.com/recording/1",
                }
            }
    return booking, extra


def sample_webhook() -> dict[str, Any]:
    """A subscription as no-show payloads echo it."""
    return {
        "id": "wh-1",
        "subscriberUrl": "https://receiver.example.com/hook",
        "appId": None,
        "time": 5,
        "timeUnit": "MINUTE",
        "eventTriggers": ["AFTER_HOSTS_CAL_VIDEO_NO_SHOW", "AFTER_GUESTS_CAL_VIDEO_NO_SHOW"],
        "payloadTemplate": None,
    }

"""send_message on its own, on SQLite and PostgreSQL: the checks at send time and the idempotency claim."""

from datetime import UTC, datetime, timedelta

from activities.messaging import MessagingActivities, MessagingOptions
from activities.outgoing import OutgoingMessage
from activities.providers.outbox import OutboxProvider
from activities.providers.smtp_email import SmtpConfig, SmtpEmail
from domain.booking import Attendee, Booking, BookingStatus
from domain.reminders import Channel
from store import bookings, messages
from store.messages import Draft, MessageStatus
from testkit.stack import ORGANIZER, event_type, seed


async def stored_booking(db, status: BookingStatus) -> Booking:
    await seed(db, event_type(1))
    now = datetime.now(UTC)
    draft = Booking(
        id=0,
        uid="b-send",
        event_type=event_type(1),
        organizer=ORGANIZER,
        attendees=[Attendee(name="Bo", email="bo@example.com")],
        start=now + timedelta(hours=1),
        end=now + timedelta(hours=2),
        status=status,
        created_at=now,
        title="t",
    )
    async with db.transaction() as session:
        return await bookings.reserve(session, draft)


def message(**fields) -> OutgoingMessage:
    base = {
        "key": "b-send|reminder:1.1:x|email:bo@example.com",
        "booking_uid": "b-send",
        "step_id": "1.1",
        "channel": Channel.EMAIL,
        "provider": "smtp",
        "queue": "q.smtp",
        "to": "bo@example.com",
        "to_name": "Bo",
        "sender_name": "Ada",
        "subject": "Reminder",
        "text": "See you",
        "due": datetime.now(UTC),
        "requires_accepted": True,
    }
    return OutgoingMessage(**(base | fields))


def activities(db, smtp) -> MessagingActivities:
    email = SmtpEmail(SmtpConfig(host="127.0.0.1", port=smtp.port))
    providers = {Channel.EMAIL: email, Channel.SMS: OutboxProvider(Channel.SMS)}
    options = MessagingOptions(stale_claim=timedelta(seconds=1), poll_interval=timedelta(milliseconds=20))
    return MessagingActivities(db, providers, {"smtp": "q.smtp", "outbox": "q.outbox"}, options)


async def test_a_cancelled_booking_gets_no_reminder_even_if_one_was_already_on_its_way(any_db, smtp):
    await stored_booking(any_db, BookingStatus.CANCELLED)
    result = await activities(any_db, smtp).send_message(message())
    assert (result.status, result.detail) == ("skipped", "the booking is cancelled")
    assert smtp.inbox.messages == []


async def test_a_repeated_send_is_answered_from_the_log(any_db, smtp):
    await stored_booking(any_db, BookingStatus.ACCEPTED)
    sender = activities(any_db, smtp)
    first = await sender.send_message(message())
    again = await sender.send_message(message())
    assert (first.status, again.status) == ("sent", "sent")
    assert len(smtp.inbox.messages) == 1
    async with any_db.sessions() as session:
        (logged,) = await messages.for_booking(session, "b-send")
    assert (logged.attempts, logged.body) == (1, "See you")


async def test_a_claim_left_by_a_dead_attempt_is_not_resent(any_db, smtp):
    await stored_booking(any_db, BookingStatus.ACCEPTED)
    m = message()
    draft = Draft(m.key, m.booking_uid, m.step_id, "email", "smtp", m.to, m.due)
    async with any_db.transaction() as session:
        await messages.claim(session, draft, datetime.now(UTC) - timedelta(seconds=5))
    result = await activities(any_db, smtp).send_message(m)
    assert result.status == MessageStatus.IN_DOUBT.value
    assert "not resent" in result.detail
    assert smtp.inbox.messages == []


async def test_a_refused_recipient_is_recorded_as_failed(any_db, smtp):
    await stored_booking(any_db, BookingStatus.ACCEPTED)
    smtp.inbox.refuse.add("bo@example.com")
    result = await activities(any_db, smtp).send_message(message())
    assert result.status == "failed"
    assert result.detail.startswith("SMTP refused the recipient: 550")

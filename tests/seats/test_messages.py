"""A seated booking's emails through real SMTP on loopback: a seat's confirmation and cancellation reach its
holder alone, the organizer gets a notice, the other seats hear nothing and never learn each other's address."""

from datetime import UTC, datetime, timedelta

from testkit.stack import ORGANIZER, event_type, seed
from tests.reminders.support import reminder_stack, rule, settings, settled_log
from tests.seats.support import HIDDEN, SHOWN, give_up, invite, raw, slot, subject, take

SENDER = "reminders@bookflow.example"
ORGANIZER_EMAIL = str(ORGANIZER.email)


def _mail(smtp):
    return settings(email_server_host="127.0.0.1", email_server_port=smtp.port, email_from=SENDER)


def _inboxes(smtp) -> dict[str, list]:
    """Who received what: each accepted message under its one envelope recipient."""
    boxes: dict[str, list] = {}
    for envelope, message in smtp.inbox.messages:
        assert len(envelope.rcpt_tos) == 1 and message["Cc"] is None and message["Bcc"] is None
        boxes.setdefault(envelope.rcpt_tos[0], []).append(message)
    return boxes


async def test_a_new_seat_is_confirmed_to_its_holder_alone_and_announced_to_the_organizer(
    temporal_env, sqlite_db, task_queue, smtp
):
    rules = [
        rule("newEvent", None, id=1, includeCalendarEvent=True),
        rule("newEvent", None, id=2, action="email_host"),
    ]
    await seed(sqlite_db, event_type(1, seats=HIDDEN, workflows=rules))
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, _mail(smtp)) as stack:
        start = slot()
        ann = await take(stack, start, "ann@example.com", bookingFieldsResponses={"notes": "ann's private note"})
        await settled_log(sqlite_db, ann["uid"], 2)  # the booking's own creation: Ann and the organizer
        await take(stack, start, "ben@example.com")
        await settled_log(sqlite_db, ann["uid"], 4)
    boxes = _inboxes(smtp)
    assert sorted((who, len(got)) for who, got in boxes.items()) == [
        ("ada@example.com", 2),
        ("ann@example.com", 1),  # nothing more when Ben took his seat
        ("ben@example.com", 1),
    ]
    (ben,) = boxes["ben@example.com"]
    assert ben["To"] == "Ben Seated <ben@example.com>"
    assert "ann@example.com" not in raw(ben) and "ann's private note" not in raw(ben)
    assert "ATTENDEE" in invite(ben) and "ben@example.com" in invite(ben) and "ann" not in invite(ben)
    notice = boxes[ORGANIZER_EMAIL][1]
    assert subject(notice).startswith("New attendee: Ben Seated on Event 1")
    assert "Ben Seated (ben@example.com) booked a seat in Event 1." in notice.get_body(("plain",)).get_content()


async def test_a_cancelled_seat_hears_of_it_alone_and_the_organizer_gets_a_notice(
    temporal_env, sqlite_db, task_queue, smtp
):
    rules = [
        rule("eventCancelled", None, id=1, template="cancelled", includeCalendarEvent=True),
        rule("eventCancelled", None, id=2, action="email_host"),
    ]
    await seed(sqlite_db, event_type(1, seats=HIDDEN, workflows=rules))
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, _mail(smtp)) as stack:
        start = slot()
        ann = await take(stack, start, "ann@example.com")
        ben = await take(stack, start, "ben@example.com")
        left = await give_up(stack, ben, "double-booked")
        await settled_log(sqlite_db, ann["uid"], 2)
    assert left["status"] == "accepted"
    boxes = _inboxes(smtp)
    assert sorted(boxes) == ["ada@example.com", "ben@example.com"]  # Ann, still seated, hears nothing
    (ben_mail,) = boxes["ben@example.com"]
    text = ben_mail.get_body(("plain",)).get_content()
    assert "Your event Event 1 has been cancelled. Reason: double-booked" in text
    assert "METHOD:CANCEL" in invite(ben_mail) and "ann@example.com" not in raw(ben_mail)
    (notice,) = boxes[ORGANIZER_EMAIL]
    assert subject(notice).startswith("Seat cancelled: Ben Seated on Event 1")
    assert "gave up their seat in Event 1. Reason: double-booked" in notice.get_body(("plain",)).get_content()


async def test_a_moved_seat_is_told_its_new_time_and_neither_slots_other_seats_hear_of_it(
    temporal_env, sqlite_db, task_queue, smtp
):
    rules = [
        rule("rescheduleEvent", None, id=1, template="rescheduled"),
        rule("rescheduleEvent", None, id=2, action="email_host"),
        rule("eventCancelled", None, id=3),
    ]
    await seed(sqlite_db, event_type(1, seats=HIDDEN, workflows=rules))
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, _mail(smtp)) as stack:
        here, there = slot(60), slot(120)
        await take(stack, here, "ann@example.com")
        ben = await take(stack, here, "ben@example.com")
        cat = await take(stack, there, "cat@example.com")
        moved = await stack.http.post(
            f"/v2/bookings/{ben['uid']}/reschedule", json={"start": there.isoformat(), "seatUid": ben["seatUid"]}
        )
        assert moved.json()["data"]["uid"] == cat["uid"], moved.text
        await settled_log(sqlite_db, cat["uid"], 2)
    boxes = _inboxes(smtp)
    assert sorted(boxes) == ["ada@example.com", "ben@example.com"]  # no cancellation for Ben, nothing to Ann or Cat
    (ben_mail,) = boxes["ben@example.com"]
    assert subject(ben_mail).startswith("Rescheduled: Event 1 is now on")
    assert "cat@example.com" not in raw(ben_mail)
    (notice,) = boxes[ORGANIZER_EMAIL]
    assert subject(notice).startswith("Seat moved: Ben Seated on Event 1")


async def _seated_reminders(temporal_env, sqlite_db, task_queue, smtp, seats) -> dict[str, list]:
    """Ann and Ben seated, then a beforeEvent reminder (with the invite) falls due: who got what."""
    start = slot(1)
    due_in = 12  # seconds from now, time enough for both seats to be taken first
    offset = (start - datetime.now(UTC) - timedelta(seconds=due_in)).total_seconds()
    reminder = rule("beforeEvent", offset, includeCalendarEvent=True, message={"subject": "For {{ attendee_email }}"})
    await seed(sqlite_db, event_type(1, seats=seats, workflows=[reminder]))
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, _mail(smtp)) as stack:
        ann = await take(stack, start, "ann@example.com")
        await take(
            stack,
            start,
            "ann.other@example.com",
            attendee={"name": "Ann Seated", "email": "ann.other@example.com", "timeZone": "Asia/Tokyo"},
        )
        await settled_log(sqlite_db, ann["uid"], 2, timeout=60)
    return _inboxes(smtp)


async def test_a_reminder_reaches_each_seat_alone_with_an_invite_naming_only_them(
    temporal_env, sqlite_db, task_queue, smtp
):
    boxes = await _seated_reminders(temporal_env, sqlite_db, task_queue, smtp, HIDDEN)
    assert sorted(boxes) == ["ann.other@example.com", "ann@example.com"]
    for me, other in (("ann@example.com", "ann.other@example.com"), ("ann.other@example.com", "ann@example.com")):
        (message,) = boxes[me]
        assert me in invite(message) and other not in raw(message)
        # Two seats with one name: each message is about its own recipient (found by address, not by name).
        assert subject(message) == f"For {me}"


async def test_with_attendees_shown_the_invite_lists_every_seat(temporal_env, sqlite_db, task_queue, smtp):
    boxes = await _seated_reminders(temporal_env, sqlite_db, task_queue, smtp, SHOWN)
    for me in ("ann@example.com", "ann.other@example.com"):
        (message,) = boxes[me]
        assert "ann@example.com" in invite(message) and "ann.other@example.com" in invite(message)
        assert message["To"].endswith(f"<{me}>")

"""Seed 002's Confirm a Booking: the optional `reason` is quoted in the confirmation email (real SMTP on loopback)."""

from testkit.stack import event_type, seed, soon
from tests.reminders.support import reminder_stack, rule, settings, settled_log

SENDER = "reminders@bookflow.example"


async def test_the_confirm_reason_is_quoted_in_the_confirmation_email(temporal_env, sqlite_db, task_queue, smtp):
    # A newEvent email rule: it sends when the booking is created for good, which for this type is the confirm.
    await seed(sqlite_db, event_type(1, requires_confirmation=True, workflows=[rule("newEvent", None)]))
    messaging = settings(email_server_host="127.0.0.1", email_server_port=smtp.port, email_from=SENDER)
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, messaging) as stack:
        booking = await stack.book(1, soon(3600))
        assert booking["status"] == "pending"
        response = await stack.http.post(
            f"/v2/bookings/{booking['uid']}/confirm",
            json={"reason": "Approved by the sales lead"},
            headers={"cal-api-version": "2026-02-25"},
        )
        assert response.status_code == 200, response.text
        (sent,) = await settled_log(sqlite_db, booking["uid"], 1)
    assert sent.status == "sent"
    ((envelope, email),) = smtp.inbox.messages
    assert envelope.rcpt_tos == ["bo@example.com"]
    assert 'Confirmed by the organizer: "Approved by the sales lead"' in email.get_body(("plain",)).get_content()
    assert "Approved by the sales lead" in email.get_body(("html",)).get_content()

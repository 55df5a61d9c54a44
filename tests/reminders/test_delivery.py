"""Reminders end to end: bookings through the API, the real workflow, the real providers' clients."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from testkit.history import timers_fired, timers_started
from testkit.stack import event_type, eventually, seed, soon
from tests.reminders.conftest import SENDER, SENDGRID_KEY, TWILIO_SID, TWILIO_TOKEN
from tests.reminders.support import api, message_log, reminder_stack, rule, settings, settled_log, worker


def smtp_settings(smtp, **more):
    return settings(email_server_host="127.0.0.1", email_server_port=smtp.port, email_from=SENDER, **more)


def sendgrid_settings(sendgrid, **more):
    return settings(sendgrid_api_key=SENDGRID_KEY, sendgrid_email=SENDER, sendgrid_host=sendgrid.url, **more)


def twilio_settings(twilio, **more):
    return settings(
        twilio_sid=TWILIO_SID,
        twilio_token=TWILIO_TOKEN,
        twilio_messaging_sid="MG0001",
        twilio_api_url=twilio.url,
        **more,
    )


async def send_attempts(client, uid: str) -> int:
    """The attempt number of the booking's completed send_message activity (0 while none completed)."""
    history = await client.get_workflow_handle(uid).fetch_history()
    started = {
        e.event_id: e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.HasField("activity_task_started_event_attributes")
    }
    completed = [
        e.activity_task_completed_event_attributes.started_event_id
        for e in history.events
        if e.HasField("activity_task_completed_event_attributes")
    ]
    return max((started[c] for c in completed if c in started), default=0)


def calendar_part(email) -> str:
    (part,) = [p for p in email.walk() if p.get_content_type() == "text/calendar"]
    return part.get_content()


async def test_email_reminder_arrives_through_smtp_at_its_due_time(temporal_env, sqlite_db, task_queue, smtp):
    await seed(sqlite_db, event_type(1, workflows=[rule("beforeEvent", 3, include_calendar_event=True)]))
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, smtp_settings(smtp)) as stack:
        booking = await stack.book(1, soon(6))
        (sent,) = await settled_log(sqlite_db, booking["uid"], 1)
    assert (sent.status, sent.provider, sent.attempts) == ("sent", "smtp", 1)
    assert sent.due == datetime.fromisoformat(booking["start"]) - timedelta(seconds=3)
    assert sent.sent_at >= sent.due  # never early
    ((envelope, email),) = smtp.inbox.messages
    assert envelope.rcpt_tos == ["bo@example.com"]
    assert email["Subject"].startswith("Reminder: Event 1 on ")
    assert "This is a reminder of your upcoming event Event 1." in email.get_body(("plain",)).get_content()
    assert f"UID:{booking['uid']}@bookflow" in calendar_part(email)


async def test_reminder_due_sooner_than_its_offset_is_still_sent(temporal_env, sqlite_db, task_queue, smtp):
    # A 1-hour reminder for a booking a minute away: Cal.com drops it; we send it at once.
    await seed(sqlite_db, event_type(1, workflows=[rule("beforeEvent", 3600)]))
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, smtp_settings(smtp)) as stack:
        booking = await stack.book(1, soon(60))
        (sent,) = await settled_log(sqlite_db, booking["uid"], 1)
    assert sent.status == "sent"
    assert sent.sent_at < datetime.fromisoformat(booking["start"])
    assert len(smtp.inbox.messages) == 1


async def test_cancel_stops_pending_reminders_and_sends_the_cancellation(temporal_env, sqlite_db, task_queue, smtp):
    rules = [rule("beforeEvent", 3, id=1), rule("eventCancelled", None, id=2, template="cancelled")]
    await seed(sqlite_db, event_type(1, workflows=rules))
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, smtp_settings(smtp)) as stack:
        # The reminder is due in 27 s: ample time for the cancel to land first on a busy machine.
        booking = await stack.book(1, soon(30))
        response = await stack.http.post(f"/v2/bookings/{booking['uid']}/cancel", json={"cancellationReason": "ill"})
        assert response.status_code == 200, response.text
        await settled_log(sqlite_db, booking["uid"], 1)
        # The workflow sends every reminder; once it has ended, nothing more can be sent.
        await stack.client.get_workflow_handle(booking["uid"]).result()
        log = await message_log(sqlite_db, booking["uid"])
    assert [(m.step_id, m.status) for m in log] == [("2.1", "sent")]
    ((_, email),) = smtp.inbox.messages
    assert email["Subject"].startswith("Cancelled: Event 1")
    assert "Reason: ill" in email.get_body(("plain",)).get_content()
    assert "METHOD" not in email.as_string()  # no invite asked for


async def test_reschedule_replans_the_reminder_for_the_new_time(temporal_env, sqlite_db, task_queue, sendgrid):
    await seed(
        sqlite_db, event_type(1, workflows=[rule("beforeEvent", 3, message={"text": "At {EVENT_TIME_HH:mm:ss}"})])
    )
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, sendgrid_settings(sendgrid)) as stack:
        booking = await stack.book(1, soon(40))  # its reminder would be due in 37 s
        new_start = soon(12).replace(microsecond=0)
        response = await stack.http.post(
            f"/v2/bookings/{booking['uid']}/reschedule", json={"start": new_start.isoformat()}
        )
        assert response.status_code == 201, response.text
        moved = response.json()["data"]
        (sent,) = await settled_log(sqlite_db, moved["uid"], 1)
        # The moved-away booking's workflow has ended without sending its reminder.
        await stack.client.get_workflow_handle(booking["uid"]).result()
        assert await message_log(sqlite_db, booking["uid"]) == []
    assert sent.due == new_start - timedelta(seconds=3)
    (mail,) = sendgrid.sent
    local = new_start.astimezone(ZoneInfo("Europe/Rome"))
    assert mail.text == f"At {local:%H:%M:%S}"


async def test_worker_restart_between_booking_and_reminder(temporal_env, sqlite_db, task_queue, smtp):
    await seed(sqlite_db, event_type(1, workflows=[rule("beforeEvent", 12)]))
    messaging = smtp_settings(smtp)
    async with api(temporal_env.client, sqlite_db, task_queue) as stack:
        async with worker(temporal_env.client, sqlite_db, task_queue, messaging):
            booking = await stack.book(1, soon(20))
            # The worker stops once the workflow has set the reminder's timer.
            await eventually(lambda: timers_started(temporal_env.client, booking["uid"]), lambda started: started >= 1)
        # No worker while the reminder falls due (8 s from now): its timer fires with nobody to send.
        await eventually(lambda: timers_fired(temporal_env.client, booking["uid"]), lambda fired: fired >= 1)
        assert smtp.inbox.messages == []
        async with worker(temporal_env.client, sqlite_db, task_queue, messaging):
            (sent,) = await settled_log(sqlite_db, booking["uid"], 1)
    assert sent.status == "sent" and len(smtp.inbox.messages) == 1


async def test_sms_reminder_through_twilio_and_phone_required(temporal_env, sqlite_db, task_queue, twilio):
    sms = rule("beforeEvent", 2, action="sms_attendee", message={"text": "{ATTENDEE_FIRST_NAME}, {EVENT_NAME} soon"})
    await seed(sqlite_db, event_type(1, workflows=[sms]))
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, twilio_settings(twilio)) as stack:
        missing = await stack.http.post(
            "/v2/bookings",
            json={
                "start": soon(60).isoformat(),
                "eventTypeId": 1,
                "attendee": {"name": "Bo Booker", "email": "bo@example.com", "timeZone": "Europe/Rome"},
            },
        )
        assert missing.status_code == 400
        assert missing.json()["error"]["message"].startswith("attendee.phoneNumber: required")
        attendee = {
            "name": "Bo Booker",
            "email": "bo@example.com",
            "timeZone": "Europe/Rome",
            "phoneNumber": "+14155550123",
        }
        booking = await stack.book(1, soon(5), attendee=attendee)
        (sent,) = await settled_log(sqlite_db, booking["uid"], 1)
    (message,) = twilio.sent
    assert (message.to, message.body, message.sender) == (
        "+14155550123",
        "Bo, Event 1 soon",
        {"MessagingServiceSid": "MG0001"},
    )
    assert sent.provider_id == message.sid


async def test_permanent_provider_error_is_recorded_and_shown(temporal_env, sqlite_db, task_queue, sendgrid):
    await seed(sqlite_db, event_type(1, workflows=[rule("newEvent", None)]))
    sendgrid.verified_senders.clear()  # our sender is not a verified Sender Identity
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, sendgrid_settings(sendgrid)) as stack:
        booking = await stack.book(1, soon(60))
        (failed,) = await settled_log(sqlite_db, booking["uid"], 1)
        shown = (await stack.http.get(f"/v2/bookings/{booking['uid']}/messages")).json()["data"]
    assert failed.status == "failed" and failed.attempts == 1
    assert "403" in failed.detail and "verified Sender Identity" in failed.detail
    assert shown[0]["status"] == "failed" and shown[0]["detail"] == failed.detail
    assert SENDGRID_KEY not in failed.detail


async def test_provider_outage_is_retried_and_sent_once(temporal_env, sqlite_db, task_queue, twilio):
    await seed(
        sqlite_db, event_type(1, workflows=[rule("newEvent", None, action="sms_number", sendToPhone="+14155550199")])
    )
    twilio.fail_next = [503, 500]
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, twilio_settings(twilio)) as stack:
        booking = await stack.book(1, soon(60))
        (sent,) = await settled_log(sqlite_db, booking["uid"], 1)
    assert (sent.status, sent.attempts) == ("sent", 3)
    assert len(twilio.sent) == 1 and len(twilio.requests) == 3


async def test_exactly_once_when_the_activity_is_retried_mid_send(temporal_env, sqlite_db, task_queue, sendgrid):
    # SendGrid accepts the mail but answers after 3 s; Temporal times the 1.5 s attempt out and retries.
    # The retry finds the claim, waits for the first call's outcome, and does not send again.
    await seed(sqlite_db, event_type(1, workflows=[rule("newEvent", None)]))
    sendgrid.delay_next = [3.0]
    messaging = sendgrid_settings(sendgrid, send_attempt_timeout_seconds=1.5, provider_timeout_seconds=6)
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, messaging) as stack:
        booking = await stack.book(1, soon(60))
        (sent,) = await settled_log(sqlite_db, booking["uid"], 1)
        # The send activity's started event is written when its last attempt completes.
        attempts = await eventually(lambda: send_attempts(temporal_env.client, booking["uid"]), lambda a: a >= 2)
    assert attempts >= 2, "the first send attempt should have timed out and been retried"
    assert sent.status == "sent"
    assert len(sendgrid.sent) == 1 and len(sendgrid.requests) == 1

"""The rules API (validated at save), the SMS opt-out webhook, and the outbox command."""

import asyncio
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator
from typer.testing import CliRunner

from testkit.stack import event_type, seed, soon
from tests.reminders.conftest import TWILIO_TOKEN
from tests.reminders.support import api, reminder_stack, rule, settings, settled_log
from worker.cli import app as cli

INBOUND = "http://bookflow.test/v2/messaging/twilio/inbound"
RULE = {
    "name": "Day before",
    "trigger": {"type": "beforeEvent", "offset": {"value": 24, "unit": "hour"}},
    "steps": [
        {
            "stepNumber": 1,
            "action": "email_attendee",
            "template": "custom",
            "message": {"subject": "See you {EVENT_DATE_ddd, MMM D}", "html": "<p>Hi {ATTENDEE_FIRST_NAME}</p>"},
        }
    ],
}


@pytest.fixture
async def http(temporal_env, sqlite_db, task_queue):
    await seed(sqlite_db, event_type(1))
    async with api(temporal_env.client, sqlite_db, task_queue) as stack:
        yield stack.http


async def test_rules_crud(http):
    created = await http.post("/v2/event-types/1/workflows", json=RULE)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["id"] == 1
    patched = await http.patch("/v2/event-types/1/workflows/1", json={"active": False})
    assert patched.json()["data"]["active"] is False
    listed = (await http.get("/v2/event-types/1/workflows")).json()["data"]
    assert [(w["id"], w["name"], w["active"]) for w in listed] == [(1, "Day before", False)]
    event_type_data = (await http.get("/v2/event-types/1")).json()["data"]
    assert event_type_data["workflows"][0]["steps"][0]["message"]["html"] == "<p>Hi {ATTENDEE_FIRST_NAME}</p>"
    assert (await http.delete("/v2/event-types/1/workflows/1")).status_code == 200
    assert (await http.get("/v2/event-types/1/workflows/1")).status_code == 404


async def test_unknown_variable_is_refused_at_save_with_its_position(http):
    bad = RULE | {"steps": [RULE["steps"][0] | {"message": {"html": "<p>Hi</p>\n<p>{ATENDEE_NAME}</p>"}}]}
    response = await http.post("/v2/event-types/1/workflows", json=bad)
    assert response.status_code == 400
    assert (
        response.json()["error"]["message"] == "steps.0.message.html: line 2, column 4: unknown variable {ATENDEE_NAME}"
    )
    assert (await http.get("/v2/event-types/1/workflows")).json()["data"] == []
    # The same check guards the event type endpoint.
    whole = await http.patch("/v2/event-types/1", json={"workflows": [bad | {"id": 1}]})
    assert whole.status_code == 400
    assert whole.json()["error"]["message"].startswith("workflows.0.steps.0.message.html: line 2, column 4")


async def test_shape_errors_name_the_field(http):
    response = await http.post("/v2/event-types/1/workflows", json=RULE | {"trigger": {"type": "beforeEvent"}})
    assert response.status_code == 400
    assert "trigger" in response.json()["error"]["message"] and "offset" in response.json()["error"]["message"]


def signed(params: dict[str, str], token: str = TWILIO_TOKEN) -> dict[str, str]:
    return {
        "X-Twilio-Signature": RequestValidator(token).compute_signature(INBOUND, params),
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def test_stop_opts_out_and_later_sms_is_skipped_and_logged(
    temporal_env, sqlite_db, task_queue, twilio, monkeypatch
):
    monkeypatch.setenv("TWILIO_TOKEN", TWILIO_TOKEN)
    monkeypatch.delenv("BOOKFLOW_PUBLIC_URL", raising=False)
    phone = "+14155550123"
    sms = rule("newEvent", None, action="sms_attendee")
    await seed(sqlite_db, event_type(1, workflows=[sms]))
    messaging = settings(
        twilio_sid=twilio.account_sid,
        twilio_token=TWILIO_TOKEN,
        twilio_phone_number="+15005550006",
        twilio_api_url=twilio.url,
    )
    async with reminder_stack(temporal_env.client, sqlite_db, task_queue, messaging) as stack:
        stop = {"From": phone, "To": "+15005550006", "Body": "STOP", "OptOutType": "STOP", "MessageSid": "SM1"}
        forged = await stack.http.post(
            "/v2/messaging/twilio/inbound", content=urlencode(stop), headers=signed(stop, "wrong")
        )
        assert forged.status_code == 403
        accepted = await stack.http.post("/v2/messaging/twilio/inbound", content=urlencode(stop), headers=signed(stop))
        assert accepted.status_code == 200 and "<Response>" in accepted.text
        attendee = {"name": "Bo Booker", "email": "bo@example.com", "timeZone": "Europe/Rome", "phoneNumber": phone}
        booking = await stack.book(1, soon(60), attendee=attendee)
        (skipped,) = await settled_log(sqlite_db, booking["uid"], 1)
    assert (skipped.status, skipped.detail) == ("skipped", "the recipient opted out of SMS (STOP)")
    assert twilio.requests == []


async def test_outbox_command_shows_messages_without_a_provider(temporal_env, tmp_path, task_queue, monkeypatch):
    from store.db import Database
    from testkit.access import TEST_SECRET_KEYS

    monkeypatch.setenv("BOOKFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BOOKFLOW_DATABASE_URL", raising=False)
    db = Database(f"sqlite:///{(tmp_path / 'bookflow.db').resolve()}", TEST_SECRET_KEYS)
    await db.migrate()
    await seed(db, event_type(1, workflows=[rule("newEvent", None, template="reminder")]))
    async with reminder_stack(temporal_env.client, db, task_queue, settings()) as stack:
        booking = await stack.book(1, soon(60))
        (kept,) = await settled_log(db, booking["uid"], 1)
    await db.dispose()
    assert (kept.provider, kept.status) == ("outbox", "sent")
    # The CLI runs its own event loop, so it gets a thread of its own.
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["outbox", "--full"])
    assert result.exit_code == 0, result.output
    assert "bo@example.com" in result.output and "Reminder: Event 1" in result.output
    assert "This is a reminder of your upcoming event Event 1." in result.output

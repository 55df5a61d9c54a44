"""Recording workflow histories for the replay tests (`python -m tests.support.histories`).

Each scenario runs on a real dev server and saves the full history of every workflow it touched into
tests/histories/, where tests/test_replay.py replays them against the current code.
"""

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client

from domain.reminders import (
    Offset,
    OffsetUnit,
    ReminderStep,
    ReminderTrigger,
    ReminderWorkflow,
    StepAction,
    TriggerSpec,
)
from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.devserver import start_dev_server
from testkit.stack import Stack, event_type, eventually, running_stack, seed, soon

HISTORIES = Path(__file__).resolve().parents[1] / "histories"


async def save_history(client: Client, workflow_id: str, name: str) -> Path:
    """Fetch the whole history of ``workflow_id`` and write it as tests/histories/NAME.json."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    path = HISTORIES / f"{name}.json"
    path.write_text(json.dumps(json.loads(history.to_json()), indent=1))
    return path


async def _booking_scenarios(stack: Stack) -> None:
    timed = event_type(1, host_no_show_after_minutes=0.02, guest_no_show_after_minutes=0.02)
    confirm = event_type(2, requires_confirmation=True)
    paid = event_type(3, price=1000)
    await seed(stack.db, timed, confirm, paid)

    lived = await stack.start_workflow(timed, soon(2), timedelta(seconds=2), keep_open_minutes=0.01)
    await stack.http.post(f"/v2/bookings/{lived.uid}/participants", json={"email": "bo@example.com"})
    await stack.client.get_workflow_handle(lived.uid).result()
    await save_history(stack.client, lived.uid, "booking_meeting_and_no_show")

    pending = await stack.book(2, soon(3600))
    await stack.http.post(f"/v2/bookings/{pending['uid']}/confirm")
    await stack.http.post(f"/v2/bookings/{pending['uid']}/mark-absent", json={"host": True})
    moved = await stack.http.post(f"/v2/bookings/{pending['uid']}/reschedule", json={"start": soon(7200).isoformat()})
    await stack.client.get_workflow_handle(pending["uid"]).result()
    await save_history(stack.client, pending["uid"], "booking_confirm_absent_reschedule")
    new_uid = moved.json()["data"]["uid"]
    await stack.http.post(f"/v2/bookings/{new_uid}/cancel", json={"cancellationReason": "no longer needed"})
    await stack.client.get_workflow_handle(new_uid).result()
    await save_history(stack.client, new_uid, "booking_rescheduled_then_cancelled")

    unpaid = await stack.book(3, soon(3600))
    await stack.http.post(f"/v2/bookings/{unpaid['uid']}/payments", json={"paymentEventId": "evt_1"})
    await eventually(lambda: stack.triggers(unpaid["uid"]), lambda t: "BOOKING_PAID" in t)
    await stack.http.post(f"/v2/bookings/{unpaid['uid']}/decline", json={})
    await stack.http.post(f"/v2/bookings/{unpaid['uid']}/cancel", json={})
    await stack.client.get_workflow_handle(unpaid["uid"]).result()
    await save_history(stack.client, unpaid["uid"], "booking_paid_then_cancelled")


async def _reminder_scenario(stack: Stack) -> None:
    """A booking whose event type sends a reminder, made through the API (with search attributes)."""
    reminder = ReminderWorkflow(
        id=1,
        name="Reminder",
        trigger=TriggerSpec(type=ReminderTrigger.BEFORE_EVENT, offset=Offset(value=1, unit=OffsetUnit.HOUR)),
        steps=[ReminderStep(step_number=1, action=StepAction.EMAIL_ATTENDEE)],
    )
    await seed(stack.db, event_type(4, workflows=[reminder]))
    booked = await stack.book(4, soon(3600))
    await eventually(lambda: stack.triggers(booked["uid"]), lambda t: t == ["BOOKING_CREATED"])
    await stack.http.post(f"/v2/bookings/{booked['uid']}/cancel", json={"cancellationReason": "done"})
    await stack.client.get_workflow_handle(booked["uid"]).result()
    await save_history(stack.client, booked["uid"], "booking_reminder_then_cancelled")

    # CRM sync steps (with no credentials configured, each step is recorded as NOT_CONFIGURED).
    await seed(stack.db, event_type(5, crm_sync=["hubspot"]))
    synced = await stack.book(5, soon(7200))
    await stack.http.post(f"/v2/bookings/{synced['uid']}/cancel", json={})
    await stack.client.get_workflow_handle(synced["uid"]).result()
    await save_history(stack.client, synced["uid"], "booking_crm_synced_then_cancelled")


async def _close_scenario(stack: Stack) -> None:
    """A booking that hears one participant join many times, then closes (patched close, joins, commits)."""
    immediate = ReminderWorkflow(
        id=2,
        name="On booking",
        trigger=TriggerSpec(type=ReminderTrigger.NEW_EVENT),
        steps=[ReminderStep(step_number=1, action=StepAction.EMAIL_ATTENDEE)],
    )
    no_shows = {"host_no_show_after_minutes": 0.02, "guest_no_show_after_minutes": 0.02}
    timed = event_type(6, workflows=[immediate], crm_sync=["hubspot"], **no_shows)
    await seed(stack.db, timed)
    lived = await stack.start_workflow(timed, soon(3), timedelta(seconds=2), keep_open_minutes=0.01)
    await eventually(lambda: stack.triggers(lived.uid), lambda t: t == ["BOOKING_CREATED"])
    for _ in range(5):
        await stack.http.post(f"/v2/bookings/{lived.uid}/participants", json={"email": "bo@example.com"})
    await stack.http.post(f"/v2/bookings/{lived.uid}/mark-absent", json={"host": True})
    await stack.client.get_workflow_handle(lived.uid).result()
    await save_history(stack.client, lived.uid, "booking_joins_then_closed")


async def main() -> None:
    HISTORIES.mkdir(exist_ok=True)
    # The API starts bookings with search attributes, so the recording server has them registered.
    env = await start_dev_server()
    db = Database(f"sqlite:///{HISTORIES / 'recording.db'}", TEST_SECRET_KEYS)
    try:
        await db.migrate()
        async with running_stack(env.client, db, "record-histories") as stack:
            if "--only-close" in sys.argv:
                await _close_scenario(stack)
                return
            if "--only-reminders" not in sys.argv:
                await _booking_scenarios(stack)
            await _reminder_scenario(stack)
            await _close_scenario(stack)
    finally:
        await db.dispose()
        (HISTORIES / "recording.db").unlink(missing_ok=True)
        await env.shutdown()
    for path in sorted(HISTORIES.glob("*.json")):
        print(path)


if __name__ == "__main__":
    asyncio.run(main())

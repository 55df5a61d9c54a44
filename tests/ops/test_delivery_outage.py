"""A receiver answering 500, seen while it happens and redelivered without a duplicate; a switched-off
subscription, refused with the fix, re-enabled and redelivered in the order the doctor gives."""

import json

from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Replayer

from domain.webhooks import DeliveryStatus, workflow_id
from store import webhooks as store
from testkit.receiver import receiving
from testkit.stack import event_type, eventually, seed, soon
from tests.ops.support import bookflow, cli_env, ops_stack, outbox_settings, row_of
from worker.temporal import WORKFLOWS, workflow_runner


async def _subscribe(stack, url: str) -> str:
    body = {"subscriberUrl": url, "triggers": ["BOOKING_CREATED"]}
    response = await stack.http.post("/v2/webhooks", json=body)
    assert response.status_code == 201, response.text
    async with stack.db.sessions() as session:  # operators see the string id deliveries and workflows use
        return (await store.get_subscription(session, str(response.json()["data"]["id"]))).id


async def _delivery(db, delivery_id: str):
    async with db.sessions() as session:
        return await store.get_delivery(session, delivery_id)


async def _only_delivery(db):
    async with db.sessions() as session:
        return await store.list_deliveries(session)


async def _exists(client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        assert error.status is RPCStatusCode.NOT_FOUND
        return False
    return True


async def test_a_failing_receiver_is_visible_at_once_and_redelivery_arrives_once(
    temporal_env, sqlite_db, task_queue, monkeypatch
):
    # The old series would retry 24-36 s after the first failure: long after the redelivery.
    monkeypatch.setenv("BOOKFLOW_WEBHOOK_RETRY_SCHEDULE", "30,0.3")
    client = temporal_env.client
    await seed(sqlite_db, event_type(61))
    env = cli_env(temporal_env, sqlite_db, BOOKFLOW_TASK_QUEUE=task_queue)
    async with (
        ops_stack(client, sqlite_db, task_queue, outbox_settings()) as stack,
        receiving((500, {}), (200, {})) as rx,
    ):
        subscription = await _subscribe(stack, rx.url)
        uid = (await stack.book(61, soon(3600)))["uid"]
        await rx.wait_for(1)
        (delivery,) = await eventually(
            lambda: _only_delivery(sqlite_db), lambda found: found and found[0].status is DeliveryStatus.RETRYING
        )

        # Visible from the first failure: the failing listing, the doctor, and ops failed.
        failing = await bookflow(["webhooks", "deliveries", "--failing", "--json"], env)
        assert failing.exit_code == 0, failing.output
        (row,) = json.loads(failing.output)
        assert (row["id"], row["bookingUid"], row["subscriptionId"]) == (delivery.id, uid, subscription)
        assert (row["status"], row["attempts"], row["lastStatusCode"]) == ("retrying", 1, 500)
        assert row["lastError"].startswith("HTTP 500") and row["nextAttemptAt"] is not None
        table = await bookflow(["webhooks", "deliveries", "--failing"], env)
        assert delivery.id in row_of(table.output, uid)  # the whole id and the booking on one line
        doctor = await bookflow(["ops", "doctor"], env)
        warned = row_of(doctor.output, "Webhook deliveries failing")
        assert warned.startswith("WARN") and f"{subscription}: 1 of 1 attempts failed" in warned
        assert "1 deliveries retrying" in warned
        stuck = await bookflow(["ops", "failed", "--kind", "delivery", "--stuck-after", "0", "--json"], env)
        (failed_row,) = json.loads(stuck.output)
        assert (failed_row["bookingUid"], failed_row["state"], failed_row["kind"]) == (uid, "RETRYING", "delivery")
        assert failed_row["error"].startswith("HTTP 500")
        patient = await bookflow(["ops", "failed", "--kind", "delivery", "--stuck-after", "3600", "--json"], env)
        assert json.loads(patient.output) == []

        # A dry run changes nothing.
        series_2 = workflow_id(delivery.event_id, subscription, 2)
        dry = await bookflow(["webhooks", "redeliver", delivery.id, "--dry-run"], env)
        assert dry.exit_code == 0, dry.output
        assert "would redeliver" in dry.output and "first stops its running series" in dry.output
        assert await _delivery(sqlite_db, delivery.id) == delivery
        assert not await _exists(client, series_2)

        # The redelivery stops the retrying series before its own attempt.
        redone = await bookflow(["webhooks", "redeliver", delivery.id], env)
        assert redone.exit_code == 0, redone.output
        assert "replaced the running series" in redone.output
        await rx.wait_for(2)
        done = await eventually(
            lambda: _delivery(sqlite_db, delivery.id), lambda d: d.status is DeliveryStatus.DELIVERED
        )
        old = client.get_workflow_handle(workflow_id(delivery.event_id, subscription))
        # The old series is closed: it can send nothing more.
        assert (await old.describe()).status is WorkflowExecutionStatus.COMPLETED
        new = client.get_workflow_handle(series_2)
        assert await new.result() == DeliveryStatus.DELIVERED
        assert len(rx.requests) == 2
        # The stopped series' history (the stop update, the wait it cut short) replays on this code.
        replayer = Replayer(
            workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=workflow_runner()
        )
        replayed = await replayer.replay_workflow(await old.fetch_history(), raise_on_replay_failure=False)
        assert replayed.replay_failure is None
    assert [r.headers["webhook-id"] for r in rx.requests] == [delivery.id, delivery.id]
    assert (done.series, done.attempts) == (2, 2)


async def test_a_switched_off_subscription_is_refused_with_the_fix_then_enabled_and_redelivered(
    temporal_env, sqlite_db, task_queue, monkeypatch
):
    monkeypatch.setenv("BOOKFLOW_WEBHOOK_RETRY_SCHEDULE", "5,0.3")
    client = temporal_env.client
    await seed(sqlite_db, event_type(62))
    env = cli_env(temporal_env, sqlite_db, BOOKFLOW_TASK_QUEUE=task_queue)
    async with ops_stack(client, sqlite_db, task_queue, outbox_settings()) as stack, receiving((500, {})) as rx:
        subscription = await _subscribe(stack, rx.url)
        await stack.book(62, soon(3600))
        await rx.wait_for(1)
        # Switched off while its delivery waits for the next attempt: that attempt abandons it.
        patched = await stack.http.patch(f"/v2/webhooks/{subscription}", json={"active": False})
        assert patched.status_code == 200 and patched.json()["data"]["active"] is False
        (delivery,) = await eventually(
            lambda: _only_delivery(sqlite_db), lambda found: found[0].status is DeliveryStatus.ABANDONED
        )

        refused = await bookflow(["webhooks", "redeliver", delivery.id], env)
        assert refused.exit_code == 2
        assert f"enable it first: bookflow webhooks enable {subscription}" in refused.output
        doctor = await bookflow(["ops", "doctor"], env)
        fix = doctor.output[doctor.output.index("1 abandoned") :]
        assert fix.index(f"bookflow webhooks enable {subscription}") < fix.index("redeliver --failed-since")
        dry = await bookflow(["webhooks", "redeliver", "--failed-since", "1h", "--dry-run"], env)
        assert dry.exit_code == 1  # refused while switched off, and nothing done
        assert "1 deliveries ended undelivered" in dry.output and "enable it first" in dry.output
        assert await _delivery(sqlite_db, delivery.id) == delivery
        assert not await _exists(client, workflow_id(delivery.event_id, subscription, 2))

        rx.script[:] = [(200, {})]  # the receiver is fixed
        enabled = await bookflow(["webhooks", "enable", subscription], env)
        assert enabled.exit_code == 0, enabled.output
        listed = json.loads((await bookflow(["webhooks", "list", "--json"], env)).output)
        assert [(s["id"], s["active"]) for s in listed] == [(subscription, True)]
        again = await bookflow(["webhooks", "redeliver", "--failed-since", "1h", "--yes"], env)
        assert again.exit_code == 0, again.output
        assert "redelivering 1 deliveries" in again.output
        new = client.get_workflow_handle(workflow_id(delivery.event_id, subscription, 2))
        assert await new.result() == DeliveryStatus.DELIVERED
        doctor = await bookflow(["ops", "doctor"], env)
        assert row_of(doctor.output, "Webhook subscriptions").startswith("PASS"), doctor.output

        disabled = await bookflow(["webhooks", "disable", subscription], env)
        assert disabled.exit_code == 0
        missing = await bookflow(["webhooks", "enable", "no-such-webhook"], env)
        assert missing.exit_code == 2 and "no webhook no-such-webhook" in missing.output
    assert [r.headers["webhook-id"] for r in rx.requests] == [delivery.id, delivery.id]
    assert [a.status_code for a in await _attempts(sqlite_db, delivery.id)] == [500, None, 200]


async def _attempts(db, delivery_id: str):
    async with db.sessions() as session:
        return await store.attempts_of(session, delivery_id)

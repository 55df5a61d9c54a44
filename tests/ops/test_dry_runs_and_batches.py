"""`--dry-run` changes nothing (runs, histories, attempts); batches act once on each workflow's latest
run; runs a reset replaced are not failures."""

import json

from temporalio.client import Client

from store import messages
from testkit.sendgrid import SendGridEmulator
from testkit.stack import event_type, eventually, seed, soon
from tests.ops.support import (
    SENDER,
    SENDGRID_KEY,
    bookflow,
    cli_env,
    committed_bookings,
    confirmation_rule,
    ops_stack,
    outbox_settings,
    sendgrid_settings,
)


async def _snapshot(client: Client, workflow_id: str) -> tuple[str, int]:
    """The latest run and the length of its history."""
    handle = client.get_workflow_handle(workflow_id)
    run_id = (await handle.describe()).run_id
    return run_id, len((await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()).events)


async def _pending_attempt(client: Client, workflow_id: str) -> int:
    raw = (await client.get_workflow_handle(workflow_id).describe()).raw_description
    return max((a.attempt for a in raw.pending_activities), default=0)


async def _runs(client: Client, workflow_id: str) -> int:
    return len([e async for e in client.list_workflows(f"WorkflowId = '{workflow_id}'")])


async def test_dry_runs_of_reset_and_retry_change_nothing_and_batch_retry_heals(temporal_env, sqlite_db, task_queue):
    client = temporal_env.client
    sendgrid = SendGridEmulator(api_key=SENDGRID_KEY, verified_senders={SENDER})
    sendgrid.fail_next.extend([500] * 1000)
    await seed(sqlite_db, event_type(71, workflows=[confirmation_rule()]))
    env = cli_env(temporal_env, sqlite_db)
    # Scoped to this test's task queue: other tests' workflows share the dev server's namespace.
    query = f"EventTypeId = 71 AND TaskQueue = '{task_queue}'"
    try:
        async with ops_stack(client, sqlite_db, task_queue, sendgrid_settings(sendgrid)) as stack:
            uid = (await stack.book(71, soon(3600)))["uid"]
            attempt = await eventually(lambda: _pending_attempt(client, uid), lambda n: n >= 3)
            before = await _snapshot(client, uid)

            reset = await bookflow(["ops", "reset", uid, "--to", "first-failure", "--dry-run"], env)
            assert reset.exit_code == 0, reset.output
            assert f"would reset run {before[0]} to event" in reset.output and "nothing changed" in reset.output
            batch = await bookflow(["ops", "reset", "--query", query, "--dry-run"], env)
            assert batch.exit_code == 0, batch.output
            assert "1 workflow(s) match" in batch.output and "to event" in batch.output
            retry = await bookflow(["ops", "retry", uid, "--dry-run"], env)
            assert retry.exit_code == 0, retry.output
            assert "send_message" in retry.output and "would retry now" in retry.output
            batch_retry = await bookflow(["ops", "retry", "--query", query, "--dry-run"], env)
            assert "1 with failing activities" in batch_retry.output and uid in batch_retry.output

            assert await _snapshot(client, uid) == before  # no reset: same run, same history
            assert await _pending_attempt(client, uid) >= attempt  # no ResetActivity: the count did not restart
            assert sendgrid.sent == []

            declined = await bookflow(["ops", "retry", "--query", query], env, stdin="n\n")
            assert declined.exit_code == 1
            assert await _pending_attempt(client, uid) >= attempt
            sendgrid.fail_next.clear()  # healed
            healed = await bookflow(["ops", "retry", "--query", query, "--yes"], env)
            assert healed.exit_code == 0, healed.output
            assert "retries now" in healed.output

            async def log():
                async with sqlite_db.sessions() as session:
                    return await messages.for_booking(session, uid)

            await eventually(log, lambda found: found and found[0].status == "sent")
        assert len(sendgrid.sent) == 1
    finally:
        sendgrid.close()


async def test_batches_act_once_on_latest_runs_and_replaced_runs_are_not_failures(temporal_env, sqlite_db, task_queue):
    client = temporal_env.client
    await seed(sqlite_db, event_type(72))
    env = cli_env(temporal_env, sqlite_db)
    ours = f"EventTypeId = 72 AND TaskQueue = '{task_queue}'"  # other tests' workflows share the namespace
    async with ops_stack(client, sqlite_db, task_queue, outbox_settings()) as stack:
        uids = await committed_bookings(stack, 72, 2)
        for uid in uids:
            single = await bookflow(["ops", "reset", uid, "--to", "first-workflow-task"], env)
            assert single.exit_code == 0, single.output
            await eventually(lambda uid=uid: _runs(client, uid), lambda n: n == 2)

        # The runs the resets terminated are no failures.
        failed = await bookflow(["ops", "failed", "--event-type", "72", "--json"], env)
        assert failed.exit_code == 0, failed.output
        assert json.loads(failed.output) == []

        # Only replaced runs match: every workflow is left alone.
        old_only = await bookflow(["ops", "reset", "--query", f"{ours} AND ExecutionStatus = 'Terminated'"], env)
        assert old_only.exit_code == 0, old_only.output
        assert "0 workflow(s) match" in old_only.output and old_only.output.count("left alone") == 2

        # Four runs match, two bookings: each is reset once.
        batch = await bookflow(["ops", "reset", "--query", ours, "--to", "first-workflow-task", "--yes"], env)
        assert batch.exit_code == 0, batch.output
        assert "2 workflow(s) match" in batch.output
        assert "[2/2]" in batch.output and "[3/" not in batch.output
        for uid in uids:
            await eventually(lambda uid=uid: _runs(client, uid), lambda n: n == 3)
            assert await _runs(client, uid) == 3
        assert json.loads((await bookflow(["ops", "failed", "--event-type", "72", "--json"], env)).output) == []

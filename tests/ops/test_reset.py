"""Resetting workflows re-runs their code but repeats no side effect: every activity reaches the same
idempotency key (event ids, message keys), so the store answers "already done"."""

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
    completed_activities,
    confirmation_rule,
    ops_stack,
    outbox_settings,
    sendgrid_settings,
)


async def _run_id(client: Client, workflow_id: str) -> str:
    return (await client.get_workflow_handle(workflow_id).describe()).run_id


async def test_reset_after_an_event_and_a_sent_reminder_repeats_neither(temporal_env, sqlite_db, task_queue):
    client = temporal_env.client
    sendgrid = SendGridEmulator(api_key=SENDGRID_KEY, verified_senders={SENDER})
    await seed(sqlite_db, event_type(51, workflows=[confirmation_rule()]))
    env = cli_env(temporal_env, sqlite_db)
    try:
        async with ops_stack(client, sqlite_db, task_queue, sendgrid_settings(sendgrid)) as stack:
            uid = (await stack.book(51, soon(3600)))["uid"]
            await eventually(lambda: completed_activities(client, uid), lambda done: "send_message" in done)
            assert len(sendgrid.sent) == 1
            events_before = await stack.events(uid)
            old_run = await _run_id(client, uid)

            result = await bookflow(["ops", "reset", uid, "--to", "first-workflow-task"], env)
            assert result.exit_code == 0, result.output
            assert "new run" in result.output
            new_run = await _run_id(client, uid)
            assert new_run != old_run
            # The new run executed the transition and the send again …
            done = await eventually(
                lambda: completed_activities(client, uid),
                lambda done: "commit_transition" in done and "send_message" in done,
            )
            assert done.count("commit_transition") == 1
            async with sqlite_db.sessions() as session:
                log = await messages.for_booking(session, uid)
            events_after = await stack.events(uid)
        # … and nothing happened twice.
        assert [e.event_id for e in events_after] == [e.event_id for e in events_before] == [f"{uid}:BOOKING_CREATED:0"]
        assert len(sendgrid.sent) == 1
        assert [(m.status, m.attempts) for m in log] == [("sent", 1)]
    finally:
        sendgrid.close()


async def test_batch_reset_lists_asks_and_shows_progress(temporal_env, sqlite_db, task_queue):
    client = temporal_env.client
    await seed(sqlite_db, event_type(52))
    env = cli_env(temporal_env, sqlite_db)
    async with ops_stack(client, sqlite_db, task_queue, outbox_settings()) as stack:
        uids = await committed_bookings(stack, 52, 2)
        runs = {uid: await _run_id(client, uid) for uid in uids}
        query = "EventTypeId = 52 AND ExecutionStatus = 'Running'"

        dry = await bookflow(["ops", "reset", "--query", query, "--dry-run"], env)
        assert dry.exit_code == 0, dry.output
        assert "2 workflow(s) match" in dry.output and all(uid in dry.output for uid in uids)
        declined = await bookflow(["ops", "reset", "--query", query], env, stdin="n\n")
        assert declined.exit_code == 1
        assert {uid: await _run_id(client, uid) for uid in uids} == runs  # nothing was reset

        confirmed = await bookflow(["ops", "reset", "--query", query, "--to", "first-workflow-task"], env, stdin="y\n")
        assert confirmed.exit_code == 0, confirmed.output
        assert "[1/2]" in confirmed.output and "[2/2]" in confirmed.output
        for uid in uids:
            assert await _run_id(client, uid) != runs[uid]
            await eventually(
                lambda uid=uid: completed_activities(client, uid), lambda done: "commit_transition" in done
            )
            assert [e.trigger for e in await stack.events(uid)] == ["BOOKING_CREATED"]


async def test_reset_names_a_missing_reset_point(temporal_env, sqlite_db, task_queue):
    await seed(sqlite_db, event_type(53))
    async with ops_stack(temporal_env.client, sqlite_db, task_queue, outbox_settings()) as stack:
        uid = (await stack.book(53, soon(3600)))["uid"]
        await eventually(lambda: completed_activities(temporal_env.client, uid), lambda d: "commit_transition" in d)
        result = await bookflow(["ops", "reset", uid, "--to", "first-failure"], cli_env(temporal_env, sqlite_db))
    assert result.exit_code == 2
    assert "shows no failure and no activity is retrying" in result.output

"""A provider outage on the real dev server: found by `ops failed`, explained by `ops show`, healed and
retried by `ops retry`, and sent exactly once."""

from datetime import timedelta

from temporalio.client import Client

from domain import search_attributes as search
from store import messages
from testkit.sendgrid import SendGridEmulator
from testkit.stack import event_type, eventually, seed, soon
from tests.ops.support import (
    SENDER,
    SENDGRID_KEY,
    bookflow,
    cli_env,
    confirmation_rule,
    ops_stack,
    outbox_settings,
    row_of,
    sendgrid_settings,
)
from worker.ops.failures import FailedQuery, find_failed
from worker.ops.kinds import Kind


async def _pending_attempt(client: Client, workflow_id: str) -> int:
    raw = (await client.get_workflow_handle(workflow_id).describe()).raw_description
    return max((a.attempt for a in raw.pending_activities), default=0)


async def test_outage_is_listed_explained_and_retried_once_healed(temporal_env, sqlite_db, task_queue):
    client = temporal_env.client
    sendgrid = SendGridEmulator(api_key=SENDGRID_KEY, verified_senders={SENDER})
    sendgrid.fail_next.extend([500] * 1000)  # down until healed
    await seed(sqlite_db, event_type(41, workflows=[confirmation_rule()]))
    env = cli_env(temporal_env, sqlite_db)
    try:
        async with ops_stack(client, sqlite_db, task_queue, sendgrid_settings(sendgrid)) as stack:
            booking = await stack.book(41, soon(3600))
            uid = booking["uid"]
            stuck_now = FailedQuery(kind=Kind.BOOKING, event_type_id=41, stuck_after=timedelta(0))
            rows = await eventually(lambda: find_failed(client, stuck_now), lambda rows: rows and rows[0].attempts >= 3)

            (row,) = rows
            assert (row.workflow_id, row.booking_uid, row.kind, row.state) == (uid, uid, "booking", "RETRYING")
            assert row.activity == "send_message"
            assert "Service unavailable" in row.error
            # The booking is findable by its search attributes, set at start.
            described = await client.get_workflow_handle(uid).describe()
            assert described.typed_search_attributes.get(search.EVENT_TYPE_ID) == 41
            assert described.typed_search_attributes.get(search.ATTENDEE_EMAIL) == "bo@example.com"
            # Other event types and kinds do not show it.
            assert await find_failed(client, FailedQuery(event_type_id=42, stuck_after=timedelta(0))) == []
            assert await find_failed(client, FailedQuery(kind=Kind.DELIVERY, stuck_after=timedelta(0))) == []
            # A threshold longer than the outage hides it.
            assert uid not in [r.workflow_id for r in await find_failed(client, FailedQuery(event_type_id=41))]

            listed = await bookflow(["ops", "failed", "--event-type", "41", "--stuck-after", "0"], env)
            assert listed.exit_code == 0, listed.output
            line = row_of(listed.output, uid)
            assert "RETRYING" in line and "booking" in line

            shown = await bookflow(["ops", "show", uid], env)
            assert shown.exit_code == 0, shown.output
            assert "failing: activity send_message" in shown.output
            assert "Service unavailable" in shown.output
            assert "Traceback" in shown.output or 'File "' in shown.output  # the stack is printed
            assert "BOOKING_CREATED" in shown.output  # the event log
            assert "meeting_started" in shown.output  # the agenda
            assert "sendgrid" in shown.output  # the message log

            # Retrying while still down starts the attempt count over (Temporal's ResetActivity).
            before = await _pending_attempt(client, uid)
            assert (await bookflow(["ops", "retry", uid], env)).exit_code == 0
            await eventually(lambda: _pending_attempt(client, uid), lambda attempt: 0 < attempt < before)
            # Back on attempt 3, the next one is seconds away: healing now and retrying sends at once.
            await eventually(lambda: _pending_attempt(client, uid), lambda attempt: attempt >= 3)

            sendgrid.fail_next.clear()  # the provider heals
            retried = await bookflow(["ops", "retry", uid], env)
            assert retried.exit_code == 0, retried.output
            assert "send_message" in retried.output and "retries now" in retried.output

            async def log():
                async with sqlite_db.sessions() as session:
                    return await messages.for_booking(session, uid)

            (sent,) = await eventually(log, lambda found: found and found[0].status == "sent")
            assert await find_failed(client, stuck_now) == []
            assert await _pending_attempt(client, uid) == 0
        assert len(sendgrid.sent) == 1 and sendgrid.sent[0].to == "bo@example.com"
        assert sent.provider_id == sendgrid.sent[0].message_id
    finally:
        sendgrid.close()


async def test_retry_of_a_healthy_workflow_says_nothing_was_failing(temporal_env, sqlite_db, task_queue):
    await seed(sqlite_db, event_type(43))
    async with ops_stack(temporal_env.client, sqlite_db, task_queue, outbox_settings()) as stack:
        booking = await stack.book(43, soon(3600))
        result = await bookflow(["ops", "retry", booking["uid"]], cli_env(temporal_env, sqlite_db))
    assert result.exit_code == 0
    assert "nothing to retry" in result.output


async def test_terminated_workflow_is_listed_with_its_reason_and_since_filters(temporal_env, sqlite_db, task_queue):
    client = temporal_env.client
    await seed(sqlite_db, event_type(44))
    async with ops_stack(client, sqlite_db, task_queue, outbox_settings()) as stack:
        uid = (await stack.book(44, soon(3600)))["uid"]
        await client.get_workflow_handle(uid).terminate(reason="stopped by the ops test")
        query = FailedQuery(event_type_id=44)
        (row,) = await eventually(lambda: find_failed(client, query), lambda rows: len(rows) == 1)
        later = FailedQuery(event_type_id=44, since=row.since + timedelta(seconds=1))
        assert await find_failed(client, later) == []
        listed = await bookflow(
            ["ops", "failed", "--event-type", "44", "--since", "1h"], cli_env(temporal_env, sqlite_db)
        )
        bad_since = await bookflow(["ops", "failed", "--since", "yesterday"], cli_env(temporal_env, sqlite_db))
    assert (row.workflow_id, row.state, row.kind) == (uid, "TERMINATED", "booking")
    assert row.error.startswith("terminated: stopped by the ops test by ")  # and who did it
    assert "TERMINATED" in row_of(listed.output, uid)
    assert bad_since.exit_code == 2
    assert "--since: 'yesterday' is neither an ISO 8601 time nor an age" in bad_since.output

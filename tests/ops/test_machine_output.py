"""Every listing has `--json` (one array, or one object for `ops show`, camelCase fields), and tables
print ids whole however narrow the screen."""

import json
from datetime import UTC, datetime

from api.operations import FailedRow
from domain.booking import BookingEvent
from store import crm, events
from store.crm import CrmSyncErrorRecord
from testkit.stack import event_type, seed
from tests.ops.support import bookflow, cli_env, committed_bookings, ops_stack, outbox_settings
from worker.ops.render import failed_table, wide_enough

LONG_ID = "e5acf5ad5dc04b938ce19cd7b7bdfa7b"


def test_a_narrow_table_keeps_every_id_whole_on_one_line():
    row = FailedRow(
        workflow_id=f"delivery:{LONG_ID}:BOOKING_CREATED:0:{LONG_ID}",
        run_id=None,
        booking_uid=LONG_ID,
        kind="delivery",
        state="RETRYING",
        since=datetime(2026, 1, 1, tzinfo=UTC),
        attempts=3,
        error="HTTP 500: " + "a very long answer " * 20,
    )
    table = failed_table([row])
    console = wide_enough(table, width=100)
    with console.capture() as captured:
        console.print(table)
    lines = captured.get().splitlines()
    assert any(row.workflow_id in line and LONG_ID in line.split(row.workflow_id)[1] for line in lines)


async def test_listings_print_json(temporal_env, sqlite_db, task_queue):
    await seed(sqlite_db, event_type(81))
    env = cli_env(temporal_env, sqlite_db)
    async with ops_stack(temporal_env.client, sqlite_db, task_queue, outbox_settings()) as stack:
        (uid,) = await committed_bookings(stack, 81, 1)
        async with sqlite_db.transaction() as session:
            await crm.add_error(
                session,
                CrmSyncErrorRecord(
                    booking_uid=uid,
                    provider="salesforce",
                    action="created",
                    code="INVALID_FIELD",
                    message="No such column 'Foo__c'",
                    at=datetime.now(UTC),
                ),
            )
        shown = await bookflow(["ops", "show", uid, "--json"], env)
        listed_events = await bookflow(["events", "--booking", uid, "--json"], env)
        crm_errors = await bookflow(["crm", "errors", "--json"], env)
        deliveries = await bookflow(["webhooks", "deliveries", "--json"], env)
        failed = await bookflow(["ops", "failed", "--event-type", "81", "--json"], env)
    for result in (shown, listed_events, crm_errors, deliveries, failed):
        assert result.exit_code == 0, result.output
    view = json.loads(shown.output)
    assert (view["workflowId"], view["bookingUid"], view["status"]) == (uid, uid, "RUNNING")
    assert view["booking"]["uid"] == uid and [e["trigger"] for e in view["events"]] == ["BOOKING_CREATED"]
    assert view["deliveries"] == [] and view["problems"] == []
    (event,) = json.loads(listed_events.output)
    assert BookingEvent.model_validate(event).event_id == f"{uid}:BOOKING_CREATED:0"
    (error,) = json.loads(crm_errors.output)
    assert (error["bookingUid"], error["code"], error["provider"]) == (uid, "INVALID_FIELD", "salesforce")
    assert json.loads(deliveries.output) == [] and json.loads(failed.output) == []


async def test_events_json_is_an_empty_array_for_an_unknown_booking(temporal_env, sqlite_db):
    async with sqlite_db.transaction() as session:
        assert await events.for_booking(session, "nope") == []
    result = await bookflow(["events", "--booking", "nope", "--json"], cli_env(temporal_env, sqlite_db))
    assert result.exit_code == 0 and json.loads(result.output) == []

"""The orphan reconciler adopts a reservation left without a workflow; `bookflow ops doctor` reports one."""

import uuid
from datetime import UTC, datetime, timedelta

from temporalio.client import WorkflowExecutionStatus

from domain.booking import Attendee, Booking, BookingStatus
from store import bookings
from testkit.stack import ORGANIZER, event_type, eventually, running_worker, seed, soon
from worker.ops.orphan_check import orphan_check
from worker.orphans import GRACE, reconcile_once


async def _abandoned_reservation(db, age: timedelta, **changes) -> Booking:
    """A reservation as the API leaves it when it dies before starting the workflow, ``age`` ago."""
    created = datetime.now(UTC) - age
    start = soon(7200).replace(microsecond=0)
    draft = Booking(
        id=0,
        uid=uuid.uuid4().hex,
        event_type=event_type(1),
        organizer=ORGANIZER,
        attendees=[Attendee(name="Bo Booker", email="bo@example.com", time_zone="Europe/Rome")],
        start=start,
        end=start + timedelta(minutes=1),
        status=BookingStatus.ACCEPTED,
        created_at=created,
        title="abandoned",
    ).model_copy(update=changes)
    async with db.transaction() as session:
        return await bookings.reserve(session, draft)


async def _stored(db, uid: str) -> Booking | None:
    async with db.sessions() as session:
        return await bookings.get(session, uid)


async def test_an_abandoned_reservation_is_reported_then_adopted(temporal_env, sqlite_db, task_queue):
    await seed(sqlite_db, event_type(1))
    client = temporal_env.client
    orphan = await _abandoned_reservation(sqlite_db, age=timedelta(minutes=2))
    fresh = await _abandoned_reservation(sqlite_db, age=timedelta(0), start=soon(9000).replace(microsecond=0))
    report = await orphan_check(sqlite_db.url, client)
    assert report.outcome == "fail" and orphan.uid in report.detail and fresh.uid not in report.detail, report

    # A reservation younger than the grace may still be in a live API's hands: left alone.
    done = await reconcile_once(client, sqlite_db, task_queue, keep_open_minutes=1)
    assert done == {orphan.uid: "started"}
    assert GRACE.total_seconds() >= 20
    # Started but no worker has run it yet: the doctor says so, as a warning.
    assert (await orphan_check(sqlite_db.url, client)).outcome == "warn"
    # Idempotent: another pass (another worker) changes nothing.
    assert await reconcile_once(client, sqlite_db, task_queue, keep_open_minutes=1) == {orphan.uid: "already running"}

    async with running_worker(client, sqlite_db, task_queue):
        adopted = await eventually(lambda: _stored(sqlite_db, orphan.uid), lambda b: b.updated_at is not None)
        assert adopted.status is BookingStatus.ACCEPTED
        description = await client.get_workflow_handle(orphan.uid).describe()
        assert description.status is WorkflowExecutionStatus.RUNNING
        report = await orphan_check(sqlite_db.url, client)
        assert report.outcome == "pass", report


async def test_a_reschedules_new_booking_is_left_to_its_parent_workflow(temporal_env, sqlite_db, task_queue):
    await seed(sqlite_db, event_type(1))
    await _abandoned_reservation(sqlite_db, age=timedelta(minutes=2), from_reschedule="old-booking-uid")
    assert await reconcile_once(temporal_env.client, sqlite_db, task_queue, keep_open_minutes=1) == {}

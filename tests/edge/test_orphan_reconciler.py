"""The orphan reconciler adopts a reservation left without a workflow; `bookflow ops doctor` reports one."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from temporalio.client import WorkflowExecutionStatus

from domain.booking import Attendee, Booking, BookingStatus
from domain.config import Host
from store import bookings, events, instant
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


async def _instant_link(db, uid: str) -> str:
    async def sent() -> list:
        async with db.sessions() as session:
            return [e for e in await events.for_booking(session, uid) if e.trigger == "INSTANT_MEETING"]

    (ringing,) = await eventually(sent, lambda found: len(found) == 1)
    return parse_qs(urlsplit(ringing.body["payload"]["connectAndJoinUrl"]).query)["token"][0]


async def _booking_for(db, token: str) -> str | None:
    async with db.sessions() as session:
        return await instant.booking_for(session, token, datetime.now(UTC))


async def test_an_abandoned_instant_meeting_rings_with_a_working_link(temporal_env, sqlite_db, task_queue):
    team = {"hosts": [Host(user_id=1), Host(user_id=2)], "is_instant_event": True}
    await seed(sqlite_db, event_type(1, instant_meeting_expiry_time_offset_in_seconds=3600, **team))
    orphan = await _abandoned_reservation(
        sqlite_db, age=timedelta(minutes=2), event_type=event_type(1, **team), instant=True
    )
    lost = instant.new_token()  # the API saved its token's digest, then died with the token itself
    async with sqlite_db.transaction() as session:
        await instant.save(session, orphan.uid, lost, datetime.now(UTC), datetime.now(UTC) + timedelta(hours=1))

    client = temporal_env.client
    assert await reconcile_once(client, sqlite_db, task_queue, keep_open_minutes=1) == {orphan.uid: "started"}
    # Another pass finds the workflow started: the token it was started with stays the valid one.
    assert await reconcile_once(client, sqlite_db, task_queue, keep_open_minutes=1) == {orphan.uid: "already running"}
    async with running_worker(client, sqlite_db, task_queue):
        token = await _instant_link(sqlite_db, orphan.uid)
    assert token != lost and await _booking_for(sqlite_db, lost) is None
    assert await _booking_for(sqlite_db, token) == orphan.uid  # the link the hosts got opens the meeting

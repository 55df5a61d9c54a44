"""Timed actions fire from the booking's own durable timers: meeting start and end, no-show checks."""

from datetime import timedelta

from temporalio.client import WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from domain.booking import Booking, BookingInput, BookingStatus, ConfirmInput
from store import events
from testkit.history import timers_fired, timers_started
from testkit.stack import event_type, eventually, running_stack, running_worker, seed, soon
from workflows.booking import BookingWorkflow

SECONDS = timedelta(seconds=1)


async def test_meeting_started_and_ended_fire_at_start_and_end(stack):
    et = event_type(1)
    await seed(stack.db, et)
    booking = await stack.start_workflow(et, soon(2), 2 * SECONDS)
    events = await eventually(lambda: stack.events(booking.uid), lambda e: len(e) == 3, timeout=20)
    assert [e.trigger for e in events] == ["BOOKING_CREATED", "MEETING_STARTED", "MEETING_ENDED"]
    started, ended = events[1], events[2]
    # Flat bodies: the booking's fields at the top level, no payload wrapper.
    assert "payload" not in started.body
    assert started.created_at >= booking.start
    assert ended.created_at >= booking.end


async def test_cancelled_booking_has_nothing_left_to_fire(stack):
    et = event_type(1)
    await seed(stack.db, et)
    # The meeting starts in 30 s: ample time for the cancel to land first on a busy machine.
    booking = await stack.start_workflow(et, soon(30), 1 * SECONDS)
    await eventually(lambda: stack.triggers(booking.uid), lambda t: t == ["BOOKING_CREATED"])
    response = await stack.http.post(f"/v2/bookings/{booking.uid}/cancel", json={})
    assert response.status_code == 200
    handle = stack.client.get_workflow_handle(booking.uid)
    await handle.result()  # the workflow completes at once: its agenda is empty
    assert await stack.triggers(booking.uid) == ["BOOKING_CREATED", "BOOKING_CANCELLED"]


async def test_host_no_show_fires_and_guest_who_joined_is_not_reported(stack):
    # The checks run 6 s after the start: ample time for the guest's join to arrive before them.
    et = event_type(1, host_no_show_after_minutes=0.1, guest_no_show_after_minutes=0.1)
    await seed(stack.db, et)
    booking = await stack.start_workflow(et, soon(1), 10 * SECONDS)
    joined = await stack.http.post(f"/v2/bookings/{booking.uid}/participants", json={"email": "bo@example.com"})
    assert joined.status_code == 202
    events = await eventually(
        lambda: stack.events(booking.uid), lambda e: "AFTER_HOSTS_CAL_VIDEO_NO_SHOW" in [x.trigger for x in e]
    )
    no_show = next(e for e in events if e.trigger == "AFTER_HOSTS_CAL_VIDEO_NO_SHOW")
    assert no_show.body["payload"]["hostEmail"] == "ada@example.com"
    assert no_show.body["payload"]["noShowHost"] is True
    state = await stack.client.get_workflow_handle(booking.uid).query("state", result_type=Booking)
    assert state.absent_host is True
    assert "AFTER_GUESTS_CAL_VIDEO_NO_SHOW" not in [e.trigger for e in events]


async def test_guest_no_show_lists_the_guests_who_did_not_join(stack):
    et = event_type(1, guest_no_show_after_minutes=0.03)
    await seed(stack.db, et)
    booking = await stack.start_workflow(et, soon(1), 10 * SECONDS)
    events = await eventually(
        lambda: stack.events(booking.uid), lambda e: "AFTER_GUESTS_CAL_VIDEO_NO_SHOW" in [x.trigger for x in e]
    )
    no_show = next(e for e in events if e.trigger == "AFTER_GUESTS_CAL_VIDEO_NO_SHOW")
    assert [g["email"] for g in no_show.body["payload"]["guests"]] == ["bo@example.com"]


async def test_timed_events_fire_exactly_once_across_a_worker_restart(temporal_env, sqlite_db, task_queue):

    et = event_type(1)
    await seed(sqlite_db, et)
    async with running_stack(temporal_env.client, sqlite_db, task_queue) as stack:
        booking = await stack.start_workflow(et, soon(5), 2 * SECONDS)
        await eventually(lambda: stack.triggers(booking.uid), lambda t: t == ["BOOKING_CREATED"])
        # The worker stops once the workflow has set the timer of the meeting's start.
        await eventually(lambda: timers_started(temporal_env.client, booking.uid), lambda started: started == 1)
    # No worker runs when the meeting starts: its timer fires with nobody to handle it.
    await eventually(lambda: timers_fired(temporal_env.client, booking.uid), lambda fired: fired == 1)
    async with running_worker(temporal_env.client, sqlite_db, task_queue):
        handle = temporal_env.client.get_workflow_handle(booking.uid)
        await handle.result()
    async with sqlite_db.sessions() as session:
        triggers = [e.trigger for e in await events.for_booking(session, booking.uid)]
    assert triggers == ["BOOKING_CREATED", "MEETING_STARTED", "MEETING_ENDED"]


async def test_a_confirm_arriving_with_the_start_applies_after_creation(stack):
    """Temporal runs handlers before `run` on the first task; the confirm must still follow the create."""
    et = event_type(1, requires_confirmation=True)
    await seed(stack.db, et)
    draft = await stack.reserve(et, soon(3600), timedelta(minutes=1))
    start = WithStartWorkflowOperation(
        BookingWorkflow.run,
        BookingInput(booking=draft, keep_open_minutes=0),
        id=draft.uid,
        task_queue=stack.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    confirmed = await stack.client.execute_update_with_start_workflow(
        BookingWorkflow.confirm, ConfirmInput(), start_workflow_operation=start
    )
    assert confirmed.status is BookingStatus.ACCEPTED
    assert await stack.triggers(draft.uid) == ["BOOKING_REQUESTED", "BOOKING_CREATED"]

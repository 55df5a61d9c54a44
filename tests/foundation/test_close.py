"""The booking workflow's close: refusals after it, joins once per participant, lean commits, continue-as-new."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType as HistoryEvent
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.bookings import BookingActivities
from domain import lifecycle
from domain import search_attributes as search
from domain.booking import Booking, ParticipantJoin
from store.db import Database
from testkit.stack import event_type, eventually, running_api, seed, soon
from worker.devserver import search_attribute_args, temporal_binary
from worker.temporal import WORKFLOWS, workflow_runner
from workflows.crm import STEP_DEADLINE

HOUR = 3600
KEEP_OPEN_MINUTES = 0.01
KEEP_OPEN = timedelta(minutes=KEEP_OPEN_MINUTES)


@asynccontextmanager
async def bookings_only_worker(client: Client, db: Database, task_queue: str) -> AsyncIterator[None]:
    """The workflows and booking activities, with no CRM worker: a CRM step waits as in an outage."""
    activities = BookingActivities(db)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[activities.reserve_slot, activities.commit_transition],
        workflow_runner=workflow_runner(),
    )
    async with worker:
        yield


async def _state(client: Client, uid: str) -> Booking:
    return await client.get_workflow_handle(uid).query("state", result_type=Booking)


async def _history(client: Client, uid: str, run_id: str | None = None) -> list[Any]:
    return list((await client.get_workflow_handle(uid, run_id=run_id).fetch_history()).events)


def _commits(history: list[Any]) -> list[tuple[dict, Any]]:
    """(input, result) of each commit_transition activity in ``history`` (result None while pending)."""
    inputs = {
        e.event_id: json.loads(e.activity_task_scheduled_event_attributes.input.payloads[0].data)
        for e in history
        if e.event_type == HistoryEvent.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "commit_transition"
    }
    results: dict[int, Any] = {
        e.activity_task_completed_event_attributes.scheduled_event_id: json.loads(
            e.activity_task_completed_event_attributes.result.payloads[0].data
        )
        for e in history
        if e.event_type == HistoryEvent.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    }
    return [(data, results.get(event_id)) for event_id, data in inputs.items()]


async def test_every_change_after_the_close_is_refused_while_a_crm_step_still_runs(temporal_env, sqlite_db, task_queue):
    et = event_type(1, crm_sync=["hubspot"])
    await seed(sqlite_db, et)
    async with (
        bookings_only_worker(temporal_env.client, sqlite_db, task_queue),
        running_api(temporal_env.client, sqlite_db, task_queue) as stack,
    ):
        booking = await stack.start_workflow(et, soon(1), timedelta(seconds=1), keep_open_minutes=KEEP_OPEN_MINUTES)
        uid = booking.uid
        closed = await eventually(lambda: _state(stack.client, uid), lambda b: lifecycle.closed(b, KEEP_OPEN))
        handle = stack.client.get_workflow_handle(uid)
        # The CRM step of the creation has no worker, so the workflow is still running after its close.
        assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING
        stored = await stack.http.get(f"/v2/bookings/{uid}")
        message = lifecycle.closed_message(closed)
        attempts = {
            "cancel": {},
            "mark-absent": {"host": True},
            "confirm": None,
            "decline": {},
            "reschedule": {"start": soon(2 * HOUR).isoformat()},
        }
        for action, body in attempts.items():
            response = await stack.http.post(f"/v2/bookings/{uid}/{action}", json=body)
            assert response.status_code == 409, (action, response.text)
            assert response.json()["error"]["message"] == message, action
        await handle.signal("participant_joined", ParticipantJoin(email="late@example.com", joined_at=soon(0)))
        # An update queued behind the signal shows it was handled, and ignored.
        refused = await stack.http.post(f"/v2/bookings/{uid}/cancel", json={})
        assert refused.status_code == 409
        assert (await _state(stack.client, uid)).joins == []
        assert await stack.triggers(uid) == ["BOOKING_CREATED", "MEETING_STARTED", "MEETING_ENDED"]
        assert (await stack.http.get(f"/v2/bookings/{uid}")).json() == stored.json()
        history = await _history(stack.client, uid)
        crm_steps = [
            e.activity_task_scheduled_event_attributes
            for e in history
            if e.event_type == HistoryEvent.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and e.activity_task_scheduled_event_attributes.activity_type.name == "crm_sync_booking"
        ]
        # The pending step is bounded: the workflow ends at the latest STEP_DEADLINE after it started.
        assert [s.schedule_to_close_timeout.ToTimedelta() for s in crm_steps] == [STEP_DEADLINE]
        await handle.terminate("test over")


async def test_a_cancel_after_the_workflow_ended_gets_the_same_409(stack):
    await seed(stack.db, event_type(1))
    booking = await stack.start_workflow(event_type(1), soon(1), timedelta(seconds=1), keep_open_minutes=0.01)
    ended = await stack.client.get_workflow_handle(booking.uid, result_type=Booking).result()
    response = await stack.http.post(f"/v2/bookings/{booking.uid}/cancel", json={})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == lifecycle.closed_message(ended)


async def test_a_flood_of_identical_joins_commits_once(stack):
    await seed(stack.db, event_type(1))
    uid = (await stack.book(1, soon(HOUR)))["uid"]
    handle = stack.client.get_workflow_handle(uid)
    join = ParticipantJoin(email="bo@example.com", joined_at=soon(HOUR + 60))
    for _ in range(20):
        await handle.signal("participant_joined", join)
    same_person_later = ParticipantJoin(email="BO@example.com", joined_at=soon(HOUR + 120))
    await handle.signal("participant_joined", same_person_later)
    # An update is handled after every signal sent before it (handlers take the booking in turn).
    marked = await stack.http.post(f"/v2/bookings/{uid}/mark-absent", json={"host": True})
    assert marked.status_code == 200, marked.text
    state = await _state(stack.client, uid)
    assert [(j.email, j.joined_at) for j in state.joins] == [(join.email, join.joined_at)]
    commits = _commits(await _history(stack.client, uid))
    assert len(commits) == 3  # the creation, the first join, the mark-absent

    earlier = ParticipantJoin(email="bo@example.com", joined_at=soon(HOUR + 30))
    await handle.signal("participant_joined", earlier)
    await stack.http.post(f"/v2/bookings/{uid}/mark-absent", json={"host": False})
    assert [j.joined_at for j in (await _state(stack.client, uid)).joins] == [earlier.joined_at]
    assert len(_commits(await _history(stack.client, uid))) == 5


async def test_the_commit_activity_gets_the_changed_fields_and_returns_event_ids(stack):
    await seed(stack.db, event_type(1))
    uid = (await stack.book(1, soon(HOUR)))["uid"]
    cancelled = await stack.http.post(f"/v2/bookings/{uid}/cancel", json={"cancellationReason": "ill"})
    assert cancelled.status_code == 200, cancelled.text
    (created, created_ids), (cancel, cancel_ids) = _commits(await _history(stack.client, uid))
    assert set(created["changes"]) == {"triggerCounts", "updatedAt"}  # reserved with its status
    assert set(cancel["changes"]) == {"status", "cancellationReason", "triggerCounts", "updatedAt"}
    for commit in (created, cancel):
        assert set(commit) == {"uid", "changes", "events", "at"}  # no event type, organizer or reminder rules
    assert cancel["changes"]["cancellationReason"] == "ill"
    assert created_ids + cancel_ids == [e.event_id for e in await stack.events(uid)]
    stored = (await stack.http.get(f"/v2/bookings/{uid}")).json()["data"]
    assert (stored["status"], stored["cancellationReason"], stored["eventTypeId"]) == ("cancelled", "ill", 1)


@asynccontextmanager
async def server_suggesting_continue_as_new(after_events: int) -> AsyncIterator[WorkflowEnvironment]:
    """A dev server of its own that suggests continue-as-new once a history has ``after_events`` events."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary()),
        data_converter=pydantic_data_converter,
        dev_server_extra_args=[
            *search_attribute_args(),
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={after_events}",
        ],
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def test_a_long_history_continues_as_new_and_the_booking_lives_on(sqlite_db, task_queue):
    await seed(sqlite_db, event_type(1))
    async with (
        server_suggesting_continue_as_new(after_events=40) as env,
        bookings_only_worker(env.client, sqlite_db, task_queue),
        running_api(env.client, sqlite_db, task_queue) as stack,
    ):
        uid = (await stack.book(1, soon(HOUR)))["uid"]
        first_run = (await env.client.get_workflow_handle(uid).describe()).run_id
        emails = [f"guest{i}@example.com" for i in range(12)]
        for email in emails:
            joined = await stack.http.post(f"/v2/bookings/{uid}/participants", json={"email": email})
            assert joined.status_code == 202, joined.text
        first = env.client.get_workflow_handle(uid, run_id=first_run)
        await eventually(first.describe, lambda d: d.status is WorkflowExecutionStatus.CONTINUED_AS_NEW)
        # The current run holds every join, those the first run handled and any that arrived after.
        state = await eventually(lambda: _state(env.client, uid), lambda b: len(b.joins) == len(emails))
        assert sorted(j.email for j in state.joins) == sorted(emails)
        started = (await _history(env.client, uid))[0].workflow_execution_started_event_attributes
        assert json.loads(started.input.payloads[0].data)["continued"] is True
        # The new run created nothing again; the booking still takes changes and closes as before.
        cancelled = await stack.http.post(f"/v2/bookings/{uid}/cancel", json={})
        assert cancelled.status_code == 200, cancelled.text
        await env.client.get_workflow_handle(uid).result()
        assert await stack.triggers(uid) == ["BOOKING_CREATED", "BOOKING_CANCELLED"]
        # The new run kept the search attributes and keeps BookingStatus current.
        await eventually(
            env.client.get_workflow_handle(uid).describe,
            lambda d: d.typed_search_attributes.get(search.BOOKING_STATUS) == "CANCELLED",
        )
        assert (await stack.http.get(f"/v2/bookings/{uid}")).json()["data"]["status"] == "cancelled"

"""`bookflow ops show ID`: everything about one workflow on one screen.

The booking's state (asked of the workflow, or the stored copy when no worker answers), its agenda,
its event log, its webhook deliveries and reminder messages (when those stores exist), and the
failing activity's error with its stack.
"""

import asyncio
import contextlib
import importlib
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowExecutionStatus
from temporalio.service import RPCError

from domain import lifecycle
from domain.base import CamelModel
from domain.booking import Booking, BookingEvent
from store import bookings, events
from store.db import Database, as_utc
from worker.ops import history as hist
from worker.ops.kinds import booking_uid_of

QUERY_TIMEOUT = timedelta(seconds=3)


class Problem(CamelModel):
    """A failure with its cause chain and the root cause's stack."""

    where: str
    message: str
    chain: list[str]
    stack: str
    attempt: int = 0
    next_attempt: datetime | None = None


class DeliveryView(CamelModel):
    id: str
    trigger: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    updated_at: datetime


class MessageView(CamelModel):
    """One reminder message as `ops show` lists it (read from the store's record by attribute)."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    step_id: str
    channel: str
    provider: str
    recipient: str
    status: str
    attempts: int
    due: datetime
    sent_at: datetime | None
    detail: str | None


class Explanation(CamelModel):
    """Everything `ops show` prints (and its --json object)."""

    workflow_id: str
    run_id: str
    workflow_type: str
    status: str
    started: datetime
    closed: datetime | None
    booking_uid: str | None
    booking: Booking | None = None
    state_source: str = ""
    agenda: list[lifecycle.AgendaItem] = Field(default_factory=list)
    events: list[BookingEvent] = Field(default_factory=list)
    deliveries: list[DeliveryView] | None = None
    messages: list[MessageView] | None = None
    problems: list[Problem] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def problem(where: str, failure: Failure, attempt: int = 0, next_attempt: datetime | None = None) -> Problem:
    chain, current = [failure.message], failure
    while current.HasField("cause"):
        current = current.cause
        chain.append(current.message)
    root = hist.innermost(failure)
    return Problem(
        where=where,
        message=hist.describe_failure(failure),
        chain=chain,
        stack=root.stack_trace,
        attempt=attempt,
        next_attempt=next_attempt,
    )


def _time(value: Any) -> datetime | None:
    return value.ToDatetime().replace(tzinfo=UTC) if value.seconds else None


def _problems(description: WorkflowExecutionDescription) -> list[Problem]:
    found = []
    for activity in description.raw_description.pending_activities:
        if activity.HasField("last_failure"):
            where = f"activity {activity.activity_type.name} (id {activity.activity_id})"
            found.append(
                problem(where, activity.last_failure, activity.attempt, _time(activity.next_attempt_schedule_time))
            )
    return found


async def _state(
    client: Client, db: Database, workflow_id: str, uid: str, is_booking: bool
) -> tuple[Booking | None, str]:
    if is_booking:
        handle = client.get_workflow_handle(workflow_id)
        with contextlib.suppress(RPCError, asyncio.TimeoutError):
            booking = await handle.query("state", result_type=Booking, rpc_timeout=QUERY_TIMEOUT)
            return booking, "the workflow (query)"
    async with db.sessions() as session:
        stored = await bookings.get(session, uid)
    return stored, "the store (no worker answered the query)" if is_booking else "the store"


async def _deliveries(db: Database, event_ids: list[str]) -> list[DeliveryView] | None:
    """The webhook deliveries of these events, or None when the webhooks store is not installed."""
    try:
        store = importlib.import_module("store.webhooks")
    except ImportError:
        return None
    if not event_ids:
        return []
    try:
        async with db.sessions() as session:
            rows = (
                await session.scalars(
                    select(store.DeliveryRow)
                    .where(store.DeliveryRow.event_id.in_(event_ids))
                    .order_by(store.DeliveryRow.created_at)
                )
            ).all()
            views = []
            for row in rows:
                attempts = await store.attempts_of(session, row.id)
                last_error = attempts[-1].error if attempts else None
                views.append(
                    DeliveryView(
                        id=row.id,
                        trigger=row.trigger,
                        status=row.status,
                        attempts=row.attempts,
                        last_status_code=row.last_status_code,
                        last_error=last_error,
                        updated_at=as_utc(row.updated_at),
                    )
                )
            return views
    except SQLAlchemyError:
        return None


async def _messages(db: Database, uid: str) -> list[MessageView] | None:
    try:
        store = importlib.import_module("store.messages")
        async with db.sessions() as session:
            found = list(await store.for_booking(session, uid))
    except (ImportError, SQLAlchemyError):
        return None
    return [MessageView.model_validate(m, from_attributes=True) for m in found]


async def explain(client: Client, db: Database, workflow_id: str, keep_open: timedelta) -> Explanation:
    """Gather what `ops show` prints; raises RPCError (NOT_FOUND) for an unknown workflow."""
    handle = client.get_workflow_handle(workflow_id)
    description = await handle.describe()
    uid = booking_uid_of(description)
    out = Explanation(
        workflow_id=description.id,
        run_id=description.run_id,
        workflow_type=description.workflow_type,
        status=description.status.name if description.status else "UNKNOWN",
        started=description.start_time,
        closed=description.close_time,
        booking_uid=uid,
    )
    out.problems = _problems(description)
    if description.status in (WorkflowExecutionStatus.FAILED, WorkflowExecutionStatus.TIMED_OUT):
        history = await handle.fetch_history()
        last = history.events[-1]
        if last.HasField("workflow_execution_failed_event_attributes"):
            out.problems.append(problem("workflow", last.workflow_execution_failed_event_attributes.failure))
        else:
            out.notes.append(hist.closing_error(history))
    elif description.status is WorkflowExecutionStatus.TERMINATED:
        out.notes.append(hist.closing_error(await handle.fetch_history()))
    raw = description.raw_description
    if raw.HasField("pending_workflow_task") and raw.pending_workflow_task.attempt > 1:
        message = hist.last_workflow_task_failure(await handle.fetch_history()) or "the workflow task keeps failing"
        out.notes.append(f"workflow task on attempt {raw.pending_workflow_task.attempt}: {message}")
    if uid is None:
        return out
    is_booking = description.workflow_type == "BookingWorkflow"
    out.booking, out.state_source = await _state(client, db, workflow_id, uid, is_booking)
    if out.booking is not None and description.status is WorkflowExecutionStatus.RUNNING:
        out.agenda = lifecycle.agenda(out.booking, keep_open)
    async with db.sessions() as session:
        out.events = await events.for_booking(session, uid)
    out.deliveries = await _deliveries(db, [e.event_id for e in out.events])
    out.messages = await _messages(db, uid)
    return out

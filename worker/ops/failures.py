"""Finding failed work: closed workflows that failed, timed out or were terminated, and running ones
whose activity (or workflow task) keeps failing, through Temporal's visibility and describe()."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.client import Client, WorkflowExecution

from worker.ops import history as hist
from worker.ops.kinds import Kind, booking_uid_of, kind_of, types_clause

CLOSED_BADLY = "ExecutionStatus IN ('Failed', 'TimedOut', 'Terminated')"
# describe() calls in flight at once while looking for stuck workflows.
DESCRIBE_CONCURRENCY = 8


@dataclass(frozen=True)
class FailedWorkflow:
    """One row of `bookflow ops failed`."""

    workflow_id: str
    run_id: str
    booking_uid: str | None
    kind: str
    state: str  # FAILED, TIMED_OUT, TERMINATED, or RETRYING (still running, an activity keeps failing)
    since: datetime
    attempts: int
    error: str
    activity: str | None = None


@dataclass(frozen=True)
class FailedQuery:
    since: datetime | None = None
    kind: Kind | None = None
    event_type_id: int | None = None
    # A running workflow counts as stuck once its failing activity has been retrying this long.
    stuck_after: timedelta = timedelta(minutes=5)
    limit: int = 200


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def visibility_query(query: FailedQuery, status_clause: str, time_field: str | None) -> str:
    """The visibility query for one half of the search (closed badly, or running)."""
    clauses = [types_clause(query.kind), status_clause]
    if query.event_type_id is not None:
        clauses.append(f"EventTypeId = {int(query.event_type_id)}")
    if query.since is not None and time_field is not None:
        clauses.append(f"{time_field} >= '{_stamp(query.since)}'")
    return " AND ".join(clauses)


async def _executions(client: Client, query: str, limit: int) -> list[WorkflowExecution]:
    return [e async for e in client.list_workflows(query, limit=limit)]


async def _closed_row(client: Client, execution: WorkflowExecution) -> FailedWorkflow:
    history = await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
    state = execution.status.name if execution.status else "FAILED"
    return FailedWorkflow(
        workflow_id=execution.id,
        run_id=execution.run_id,
        booking_uid=booking_uid_of(execution),
        kind=str(kind_of(execution.workflow_type) or execution.workflow_type),
        state=state,
        since=execution.close_time or execution.start_time,
        attempts=hist.last_attempt(history),
        error=hist.closing_error(history),
    )


async def stuck_row(client: Client, execution: WorkflowExecution, stuck_after: timedelta) -> FailedWorkflow | None:
    """A row for a running workflow whose activity or workflow task keeps failing, else None."""
    handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
    raw = (await handle.describe()).raw_description
    now = datetime.now(UTC)
    retrying = [a for a in raw.pending_activities if a.attempt > 1 and a.HasField("last_failure")]
    task = raw.pending_workflow_task if raw.HasField("pending_workflow_task") else None
    if not retrying and not (task and task.attempt > 1):
        return None
    history = await handle.fetch_history()
    base = {
        "workflow_id": execution.id,
        "run_id": execution.run_id,
        "booking_uid": booking_uid_of(execution),
        "kind": str(kind_of(execution.workflow_type) or execution.workflow_type),
        "state": "RETRYING",
    }
    if retrying:
        activity = retrying[0]
        scheduled = hist.activity_scheduled(history, activity.activity_id)
        since = hist.event_time(scheduled) if scheduled else activity.last_started_time.ToDatetime().replace(tzinfo=UTC)
        if now - since < stuck_after:
            return None
        error = hist.describe_failure(activity.last_failure)
        return FailedWorkflow(
            **base, since=since, attempts=activity.attempt, error=error, activity=activity.activity_type.name
        )
    assert task is not None
    since = task.original_scheduled_time.ToDatetime().replace(tzinfo=UTC)
    if now - since < stuck_after:
        return None
    error = hist.last_workflow_task_failure(history) or "the workflow task keeps failing"
    return FailedWorkflow(**base, since=since, attempts=task.attempt, error=error, activity="(workflow task)")


async def find_failed(client: Client, query: FailedQuery) -> list[FailedWorkflow]:
    """Failed, timed-out and terminated workflows plus stuck running ones, newest first."""
    closed = await _executions(client, visibility_query(query, CLOSED_BADLY, "CloseTime"), query.limit)
    running = await _executions(client, visibility_query(query, "ExecutionStatus = 'Running'", None), query.limit)
    gate = asyncio.Semaphore(DESCRIBE_CONCURRENCY)

    async def closed_row(execution: WorkflowExecution) -> FailedWorkflow:
        async with gate:
            return await _closed_row(client, execution)

    async def running_row(execution: WorkflowExecution) -> FailedWorkflow | None:
        async with gate:
            return await stuck_row(client, execution, query.stuck_after)

    rows = await asyncio.gather(*(closed_row(e) for e in closed), *(running_row(e) for e in running))
    # A stuck workflow is listed whatever --since says: it is failing right now.
    found = [r for r in rows if r is not None]
    return sorted(found, key=lambda r: r.since, reverse=True)[: query.limit]

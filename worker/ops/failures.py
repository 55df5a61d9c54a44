"""Finding failed work: closed workflows that failed, timed out or were terminated, and running ones
whose activity (or workflow task) keeps failing, through Temporal's visibility and describe()."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.client import Client, WorkflowExecution

from api.operations import FailedRow
from domain.webhooks import DeliveryStatus
from store import webhooks as webhook_store
from store.db import Database
from store.delivery_reports import ENDED_UNDELIVERED, DeliveryReport, reports
from worker.ops import history as hist
from worker.ops.kinds import Kind, booking_uid_of, kind_of, types_clause

CLOSED_BADLY = "ExecutionStatus IN ('Failed', 'TimedOut', 'Terminated')"
# describe() calls in flight at once while looking for stuck workflows.
DESCRIBE_CONCURRENCY = 8


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


async def _is_latest_run(client: Client, execution: WorkflowExecution) -> bool:
    """Whether ``execution`` is its workflow's latest run (a run a reset replaced is not a failure)."""
    return (await client.get_workflow_handle(execution.id).describe()).run_id == execution.run_id


async def _closed_row(client: Client, execution: WorkflowExecution) -> FailedRow | None:
    if not await _is_latest_run(client, execution):
        return None
    history = await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
    state = execution.status.name if execution.status else "FAILED"
    return FailedRow(
        workflow_id=execution.id,
        run_id=execution.run_id,
        booking_uid=booking_uid_of(execution),
        kind=str(kind_of(execution.workflow_type) or execution.workflow_type),
        state=state,
        since=execution.close_time or execution.start_time,
        attempts=hist.last_attempt(history),
        error=hist.closing_error(history),
    )


async def stuck_row(client: Client, execution: WorkflowExecution, stuck_after: timedelta) -> FailedRow | None:
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
        return FailedRow(
            **base, since=since, attempts=activity.attempt, error=error, activity=activity.activity_type.name
        )
    assert task is not None
    since = task.original_scheduled_time.ToDatetime().replace(tzinfo=UTC)
    if now - since < stuck_after:
        return None
    error = hist.last_workflow_task_failure(history) or "the workflow task keeps failing"
    return FailedRow(**base, since=since, attempts=task.attempt, error=error, activity="(workflow task)")


def _delivery_row(report: DeliveryReport, query: FailedQuery, now: datetime) -> FailedRow | None:
    """A row for a delivery retrying longer than ``stuck_after``, or one that ended undelivered."""
    if query.event_type_id is not None and report.event_type_id != query.event_type_id:
        return None
    if report.status is DeliveryStatus.RETRYING:
        if report.failing_since is None or now - report.failing_since < query.stuck_after:
            return None
        since = report.failing_since
    else:
        since = report.last_attempt_at or report.created_at
        if query.since is not None and since < query.since:
            return None
    return FailedRow(
        workflow_id=report.workflow_id,
        run_id=None,
        booking_uid=report.booking_uid,
        kind=str(Kind.DELIVERY),
        state=report.status.name,
        since=since,
        attempts=report.attempts,
        error=report.last_error or "-",
        activity="attempt_delivery",
    )


async def delivery_rows(db: Database, query: FailedQuery, schedule: list[float]) -> list[FailedRow]:
    """Deliveries retrying past ``stuck_after`` and those that ended undelivered, from the store.

    Their workflows look healthy to Temporal (an HTTP failure is an outcome, not an activity failure),
    so only the delivery log shows them.
    """
    async with db.sessions() as session:
        found = await webhook_store.list_deliveries(
            session, statuses=(DeliveryStatus.RETRYING, *ENDED_UNDELIVERED), limit=query.limit
        )
        found_reports = await reports(session, found, schedule)
    now = datetime.now(UTC)
    return [row for r in found_reports if (row := _delivery_row(r, query, now)) is not None]


async def find_failed(
    client: Client, query: FailedQuery, db: Database | None = None, schedule: list[float] | None = None
) -> list[FailedRow]:
    """Failed, timed-out and terminated workflows (latest runs only) plus stuck running ones, newest
    first; with ``db``, also deliveries retrying past ``stuck_after`` or ended undelivered."""
    closed = await _executions(client, visibility_query(query, CLOSED_BADLY, "CloseTime"), query.limit)
    running = await _executions(client, visibility_query(query, "ExecutionStatus = 'Running'", None), query.limit)
    gate = asyncio.Semaphore(DESCRIBE_CONCURRENCY)

    async def closed_row(execution: WorkflowExecution) -> FailedRow | None:
        async with gate:
            return await _closed_row(client, execution)

    async def running_row(execution: WorkflowExecution) -> FailedRow | None:
        async with gate:
            return await stuck_row(client, execution, query.stuck_after)

    rows = await asyncio.gather(*(closed_row(e) for e in closed), *(running_row(e) for e in running))
    # A stuck workflow is listed whatever --since says: it is failing right now.
    found = [r for r in rows if r is not None]
    if db is not None and query.kind in (None, Kind.DELIVERY):
        listed = {r.workflow_id for r in found}
        found += [r for r in await delivery_rows(db, query, schedule or []) if r.workflow_id not in listed]
    return sorted(found, key=lambda r: r.since, reverse=True)[: query.limit]

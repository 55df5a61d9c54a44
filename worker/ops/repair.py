"""Making failed work run again: retry a stuck activity now, or reset a workflow to an earlier point.

Nothing that already succeeded happens twice, because every side effect is keyed by something the
workflow derives from its state (event ids, delivery workflow ids, message keys): a re-run reaches the
same keys and the store answers "already done".
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum

from temporalio.api.common.v1 import WorkflowExecution as ExecutionRef
from temporalio.api.enums.v1 import ResetReapplyType
from temporalio.api.workflowservice.v1 import ResetActivityRequest, ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecution

from worker.ops import history as hist

IDENTITY = "bookflow-ops"


class ResetTo(StrEnum):
    LAST_WORKFLOW_TASK = "last-workflow-task"
    FIRST_FAILURE = "first-failure"
    FIRST_WORKFLOW_TASK = "first-workflow-task"


@dataclass(frozen=True)
class Retried:
    activity_id: str
    activity_type: str
    attempt: int


@dataclass(frozen=True)
class ResetPlan:
    workflow_id: str
    run_id: str
    event_id: int


@dataclass(frozen=True)
class ResetDone:
    workflow_id: str
    old_run_id: str
    new_run_id: str
    event_id: int


async def failing_activities(client: Client, workflow_id: str) -> tuple[str, list[Retried]]:
    """The latest run of ``workflow_id`` and its pending activities that have failed (read-only)."""
    raw = (await client.get_workflow_handle(workflow_id).describe()).raw_description
    failing = [
        Retried(a.activity_id, a.activity_type.name, a.attempt)
        for a in raw.pending_activities
        if a.attempt > 1 or a.HasField("last_failure")
    ]
    return raw.workflow_execution_info.execution.run_id, failing


async def retry_now(client: Client, workflow_id: str, dry_run: bool = False) -> list[Retried]:
    """Make every failing pending activity of ``workflow_id`` try again at once (``dry_run``: only say which).

    Uses Temporal's ResetActivity: the attempt counter starts over and the next attempt is scheduled
    immediately instead of after the backoff. Returns what was retried (empty: nothing was failing).
    """
    run_id, failing = await failing_activities(client, workflow_id)
    if dry_run:
        return failing
    ref = ExecutionRef(workflow_id=workflow_id, run_id=run_id)
    for activity in failing:
        await client.workflow_service.reset_activity(
            ResetActivityRequest(
                namespace=client.namespace,
                execution=ref,
                identity=IDENTITY,
                id=activity.activity_id,
                reset_heartbeat=True,
            )
        )
    return failing


async def reset_point(client: Client, workflow_id: str, run_id: str | None, to: ResetTo) -> int:
    """The WorkflowTaskCompleted event id that ``to`` means for this run."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    history = await handle.fetch_history()
    match to:
        case ResetTo.LAST_WORKFLOW_TASK:
            return hist.last_workflow_task(history)
        case ResetTo.FIRST_WORKFLOW_TASK:
            return hist.first_workflow_task(history)
        case ResetTo.FIRST_FAILURE:
            raw = (await handle.describe()).raw_description
            pending = [a.activity_id for a in raw.pending_activities if a.attempt > 1 or a.HasField("last_failure")]
            return hist.first_failure(history, pending)


async def plan_reset(client: Client, workflow_id: str, to: ResetTo, run_id: str | None = None) -> ResetPlan:
    """Which run of ``workflow_id`` a reset would act on and the event it would go back to (read-only)."""
    run_id = run_id or (await client.get_workflow_handle(workflow_id).describe()).run_id
    return ResetPlan(workflow_id, run_id, await reset_point(client, workflow_id, run_id, to))


async def reset(
    client: Client, workflow_id: str, to: ResetTo, run_id: str | None = None, reason: str = "bookflow ops reset"
) -> ResetDone:
    """Reset one workflow through ResetWorkflowExecution; signals and updates after the point are re-applied."""
    plan = await plan_reset(client, workflow_id, to, run_id)
    response = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=ExecutionRef(workflow_id=workflow_id, run_id=plan.run_id),
            reason=reason,
            workflow_task_finish_event_id=plan.event_id,
            request_id=str(uuid.uuid4()),
            # Updates too (a cancel after the point must survive the reset), not only signals.
            reset_reapply_type=ResetReapplyType.RESET_REAPPLY_TYPE_ALL_ELIGIBLE,
            identity=IDENTITY,
        )
    )
    return ResetDone(workflow_id, plan.run_id, response.run_id, plan.event_id)


@dataclass(frozen=True)
class Matched:
    """What a visibility query matched, one run per workflow: the latest runs it matched, and the
    workflows it matched only through runs that a later one replaced (left alone)."""

    latest: list[WorkflowExecution]
    superseded: dict[str, str]  # workflow id → its latest run id, which the query did not match


async def matching(client: Client, query: str, limit: int = 1000) -> Matched:
    """The workflows a batch would act on: each matched workflow's latest run, once."""
    by_id: dict[str, list[WorkflowExecution]] = {}
    async for execution in client.list_workflows(query, limit=limit):
        by_id.setdefault(execution.id, []).append(execution)
    latest, superseded = [], {}
    for workflow_id, runs in by_id.items():
        current = (await client.get_workflow_handle(workflow_id).describe()).run_id
        match = next((run for run in runs if run.run_id == current), None)
        if match is None:
            superseded[workflow_id] = current
        else:
            latest.append(match)
    return Matched(latest, superseded)


@dataclass(frozen=True)
class BatchItem:
    workflow_id: str
    done: ResetDone | None
    error: str | None


async def reset_many(
    client: Client, executions: list[WorkflowExecution], to: ResetTo, reason: str
) -> AsyncIterator[BatchItem]:
    """Reset each workflow once, in turn, yielding each outcome as it lands (for a progress display)."""
    seen: set[str] = set()
    for execution in executions:
        if execution.id in seen:  # a second run of a workflow already reset: resetting again would repeat it
            continue
        seen.add(execution.id)
        try:
            done = await reset(client, execution.id, to, execution.run_id, reason)
            yield BatchItem(execution.id, done, None)
        except Exception as failed:  # one workflow's refusal must not stop the batch
            yield BatchItem(execution.id, None, str(failed) or type(failed).__name__)

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
class ResetDone:
    workflow_id: str
    old_run_id: str
    new_run_id: str
    event_id: int


async def retry_now(client: Client, workflow_id: str) -> list[Retried]:
    """Make every failing pending activity of ``workflow_id`` try again at once.

    Uses Temporal's ResetActivity: the attempt counter starts over and the next attempt is scheduled
    immediately instead of after the backoff. Returns what was retried (empty: nothing was failing).
    """
    handle = client.get_workflow_handle(workflow_id)
    raw = (await handle.describe()).raw_description
    ref = ExecutionRef(workflow_id=workflow_id, run_id=raw.workflow_execution_info.execution.run_id)
    retried = []
    for activity in raw.pending_activities:
        if not (activity.attempt > 1 or activity.HasField("last_failure")):
            continue
        await client.workflow_service.reset_activity(
            ResetActivityRequest(
                namespace=client.namespace,
                execution=ref,
                identity=IDENTITY,
                id=activity.activity_id,
                reset_heartbeat=True,
            )
        )
        retried.append(Retried(activity.activity_id, activity.activity_type.name, activity.attempt))
    return retried


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


async def reset(
    client: Client, workflow_id: str, to: ResetTo, run_id: str | None = None, reason: str = "bookflow ops reset"
) -> ResetDone:
    """Reset one workflow through ResetWorkflowExecution; signals and updates after the point are re-applied."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    run_id = run_id or (await handle.describe()).run_id
    event_id = await reset_point(client, workflow_id, run_id, to)
    response = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=ExecutionRef(workflow_id=workflow_id, run_id=run_id),
            reason=reason,
            workflow_task_finish_event_id=event_id,
            request_id=str(uuid.uuid4()),
            # Updates too (a cancel after the point must survive the reset), not only signals.
            reset_reapply_type=ResetReapplyType.RESET_REAPPLY_TYPE_ALL_ELIGIBLE,
            identity=IDENTITY,
        )
    )
    return ResetDone(workflow_id, run_id, response.run_id, event_id)


async def matching(client: Client, query: str, limit: int = 1000) -> list[WorkflowExecution]:
    """The workflows a batch reset would touch (the dry-run listing)."""
    return [e async for e in client.list_workflows(query, limit=limit)]


@dataclass(frozen=True)
class BatchItem:
    workflow_id: str
    done: ResetDone | None
    error: str | None


async def reset_many(
    client: Client, executions: list[WorkflowExecution], to: ResetTo, reason: str
) -> AsyncIterator[BatchItem]:
    """Reset each execution in turn, yielding each outcome as it lands (for a progress display)."""
    for execution in executions:
        try:
            done = await reset(client, execution.id, to, execution.run_id, reason)
            yield BatchItem(execution.id, done, None)
        except Exception as failed:  # one workflow's refusal must not stop the batch
            yield BatchItem(execution.id, None, str(failed) or type(failed).__name__)

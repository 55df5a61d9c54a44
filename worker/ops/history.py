"""Reading a workflow's history: its last error, when an activity was first scheduled, reset points."""

from datetime import UTC, datetime

from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory

E = EventType


def innermost(failure: Failure) -> Failure:
    """The root cause of a failure chain (an activity's own exception rather than "Activity task failed")."""
    while failure.HasField("cause"):
        failure = failure.cause
    return failure


def describe_failure(failure: Failure) -> str:
    """One line: the root cause's message, naming its type when it has one."""
    root = innermost(failure)
    kind = root.application_failure_info.type if root.HasField("application_failure_info") else ""
    return f"{kind}: {root.message}" if kind and kind not in root.message else root.message


def closing_error(history: WorkflowHistory) -> str:
    """Why a closed workflow ended badly, from its last event."""
    last = history.events[-1]
    match last.event_type:
        case E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            return describe_failure(last.workflow_execution_failed_event_attributes.failure)
        case E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
            return "workflow execution timed out"
        case E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
            attrs = last.workflow_execution_terminated_event_attributes
            return f"terminated: {attrs.reason or 'no reason given'}" + (
                f" by {attrs.identity}" if attrs.identity else ""
            )
    return ""


def last_attempt(history: WorkflowHistory) -> int:
    """The attempt number of the last activity started (1 when none was retried)."""
    attempts = [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    return attempts[-1] if attempts else 1


def activity_scheduled(history: WorkflowHistory, activity_id: str) -> HistoryEvent | None:
    """The ActivityTaskScheduled event of ``activity_id`` (retries write no new one)."""
    for event in history.events:
        if (
            event.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and event.activity_task_scheduled_event_attributes.activity_id == activity_id
        ):
            return event
    return None


def event_time(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime().replace(tzinfo=UTC)


def last_workflow_task_failure(history: WorkflowHistory) -> str | None:
    """The error of the newest failed workflow task (a bug or non-determinism in workflow code)."""
    for event in reversed(history.events):
        if event.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            return describe_failure(event.workflow_task_failed_event_attributes.failure)
    return None


# -- reset points -----------------------------------------------------------------------------------

_FAILURES = {
    E.EVENT_TYPE_ACTIVITY_TASK_FAILED: "activity_task_failed_event_attributes",
    E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: "activity_task_timed_out_event_attributes",
}


class NoResetPoint(LookupError):
    """The history has no point to reset to for the asked mode; the message says why."""


def completed_tasks(history: WorkflowHistory) -> list[int]:
    return [e.event_id for e in history.events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]


def first_workflow_task(history: WorkflowHistory) -> int:
    """Re-run everything after the workflow's start."""
    tasks = completed_tasks(history)
    if not tasks:
        raise NoResetPoint("no workflow task has completed yet; there is nothing to reset")
    return tasks[0]


def last_workflow_task(history: WorkflowHistory) -> int:
    """Re-run the newest decision."""
    tasks = completed_tasks(history)
    if not tasks:
        raise NoResetPoint("no workflow task has completed yet; there is nothing to reset")
    return tasks[-1]


def first_failure(history: WorkflowHistory, pending_activity_ids: list[str]) -> int:
    """The workflow task that scheduled the first failed activity (or a still-retrying one).

    Activity retries write no events, so an activity that is still retrying counts as failed: its
    scheduling task is the point to go back to.
    """
    by_id = {e.event_id: e for e in history.events}
    for event in history.events:
        if (field := _FAILURES.get(event.event_type)) is not None:
            scheduled = by_id[getattr(event, field).scheduled_event_id]
            return scheduled.activity_task_scheduled_event_attributes.workflow_task_completed_event_id
        if event.event_type == E.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            before = [t for t in completed_tasks(history) if t < event.event_id]
            if before:
                return before[-1]
            raise NoResetPoint("the first workflow task failed; fix the code and the task retries by itself")
        if event.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            return event.workflow_execution_failed_event_attributes.workflow_task_completed_event_id
    for activity_id in pending_activity_ids:
        if (scheduled := activity_scheduled(history, activity_id)) is not None:
            return scheduled.activity_task_scheduled_event_attributes.workflow_task_completed_event_id
    raise NoResetPoint("the history shows no failure and no activity is retrying")

"""Redelivery without duplicates: what a redelivery would do, and stopping the series it replaces.

A delivery still retrying has a running DeliveryWorkflow. Before a new series starts, that workflow's
``stop`` update makes it send nothing more and answers once no attempt is in flight; if the attempt
that was in flight delivered the event, the redelivery sends nothing.
"""

import asyncio

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from domain.base import CamelModel
from domain.webhooks import DeliveryStatus, Outcome


class StopAnswer(CamelModel):
    """The `stop` update's answer: the stopped series' last outcome (None: it had not attempted yet)."""

    outcome: Outcome | None = None


class SubscriptionInactive(Exception):
    """Redelivery refused: the delivery's subscription is switched off or deleted."""

    def __init__(self, delivery_id: str, subscription_id: str, deleted: bool) -> None:
        self.delivery_id, self.subscription_id, self.deleted = delivery_id, subscription_id, deleted
        if deleted:
            fix = "it was deleted; subscribe the receiver again (bookflow webhooks add)"
        else:
            fix = f"enable it first: bookflow webhooks enable {subscription_id}"
        super().__init__(f"delivery {delivery_id}: subscription {subscription_id} is inactive; {fix}")


class SeriesStillRunning(Exception):
    """The series being replaced did not stop (no worker answered, or it refused); nothing was started."""

    def __init__(self, workflow_id: str, why: str) -> None:
        self.workflow_id = workflow_id
        super().__init__(
            f"the running series {workflow_id} did not stop ({why}); nothing was sent; "
            "run the redelivery again once a worker with this version runs"
        )


class RedeliveryPlan(CamelModel):
    """What redelivering one delivery does (the dry run prints it; the redelivery carries it out)."""

    delivery_id: str
    subscription_id: str
    status: DeliveryStatus
    series: int
    new_workflow_id: str
    # The workflow of the series still retrying, stopped before the new one starts (None: none runs).
    stops: str | None = None


class Redelivered(CamelModel):
    """What a redelivery did: the new series' workflow, or why none was started."""

    delivery_id: str
    workflow_id: str | None
    stopped: str | None = None
    note: str = ""


async def is_running(client: Client, workflow_id: str) -> bool:
    """Whether ``workflow_id``'s latest run is still running (False when it never existed)."""
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return description.status is WorkflowExecutionStatus.RUNNING


async def stop_series(client: Client, workflow_id: str, timeout: float) -> StopAnswer | None:
    """Stop a running series; its answer, or None when it had already closed."""
    if not await is_running(client, workflow_id):
        return None
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await asyncio.wait_for(handle.execute_update("stop", result_type=StopAnswer), timeout)
    except TimeoutError:
        raise SeriesStillRunning(workflow_id, f"no answer within {timeout:.0f} s: is a worker running?") from None
    except (WorkflowUpdateFailedError, RPCError) as refused:
        if await is_running(client, workflow_id):
            raise SeriesStillRunning(workflow_id, f"it refused: {refused}") from None
        return None  # it closed on its own meanwhile

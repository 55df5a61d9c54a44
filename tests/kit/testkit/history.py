"""Questions tests ask of a workflow's history instead of sleeping: is its timer set, has it run out?

The server records a timer's firing when it is due, whether or not a worker is running, so a test that
stops its worker (once the timer is set) can wait for exactly the moment it cares about, on any machine.
"""

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode


async def _count(client: Client, workflow_id: str, kind: EventType.ValueType) -> int:
    try:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return 0  # not started yet (a delivery's retry workflow starts after its first attempt fails)
        raise
    return sum(1 for event in history.events if event.event_type == kind)


async def timers_started(client: Client, workflow_id: str) -> int:
    """How many timers the workflow has set (its durable sleeps and timed waits)."""
    return await _count(client, workflow_id, EventType.EVENT_TYPE_TIMER_STARTED)


async def timers_fired(client: Client, workflow_id: str) -> int:
    """How many of the workflow's timers have run out."""
    return await _count(client, workflow_id, EventType.EVENT_TYPE_TIMER_FIRED)

"""Starting a booking's workflow: the one way the API and the orphan reconciler both do it."""

from datetime import timedelta

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.booking_commands import BOOKING_WORKFLOW
from domain import search_attributes as search
from domain.booking import Booking, BookingInput, PreviousSlot

# A start that Temporal has not answered by then is given up (the reconciler finishes it if it landed).
START_TIMEOUT = timedelta(seconds=10)
# A workflow task held by a worker that died is handed to another after this long (Temporal's default is
# 10 s). Workers take only the tasks they can finish at once (worker/temporal.py: WORKFLOW_TASK_SLOTS), so
# no live worker's task comes near it; shorter still, a burst on an overloaded machine would time tasks out
# and redo them. A run that continues as new keeps it.
TASK_TIMEOUT = timedelta(seconds=5)


async def start_booking(
    client: Client,
    booking: Booking,
    task_queue: str,
    keep_open_minutes: float,
    instant_token: str | None = None,
    previous: PreviousSlot | None = None,
) -> bool:
    """Start ``booking``'s workflow (id = its uid); False when it had been started already.

    ``instant_token``: an instant meeting's connect-and-join token, which its INSTANT_MEETING carries.
    ``previous``: the booking a seat moved from to open ``booking`` (its first event is then the seat's
    BOOKING_RESCHEDULED).

    A workflow of that id that ran and ended is never started a second time (REJECT_DUPLICATE), so a
    late retry cannot bring a finished booking back to life.
    """
    try:
        await client.start_workflow(
            BOOKING_WORKFLOW,
            BookingInput(
                booking=booking, keep_open_minutes=keep_open_minutes, instant_token=instant_token, previous=previous
            ),
            id=booking.uid,
            task_queue=task_queue,
            search_attributes=search.for_booking(booking),
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            rpc_timeout=START_TIMEOUT,
            task_timeout=TASK_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True

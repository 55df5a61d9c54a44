"""The BookingWorkflow's reminder sends: each due step runs in the background of the workflow.

A send never holds the booking's lock, so a provider outage (retried with backoff) cannot delay a
cancel or a reschedule; and because the send activity re-reads the booking's status from the store,
a cancel that lands first stops a reminder that has not reached its provider yet.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.bookings import PendingEvent
    from activities.messaging import MessagingActivities, StepFiring
    from activities.outgoing import OutgoingMessage
    from domain.booking import Booking

PREPARE_TIMEOUT = timedelta(seconds=30)
PREPARE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# Provider outages are retried until they end (nothing lost); the activity itself gives up on a
# beforeEvent reminder once the meeting has started.
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=5)
)
# ...for at most a day, so a booking's workflow ends within a day of its close (see workflows.booking);
# a send that gives up is logged with its cause. Recorded histories scheduled sends without it.
STEP_DEADLINE = timedelta(days=1)
DEADLINE_PATCH = "reminder-step-deadline"


class ReminderSends:
    """Background sends of one workflow; ``finish`` waits for all of them before the workflow ends."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, booking: Booking, key: str) -> None:
        """Send the step ``key`` of ``booking`` as it is now (its rendering sees this state)."""
        self._tasks.append(
            asyncio.create_task(self._send(StepFiring(booking=booking, key=key, fired_at=workflow.now())))
        )

    def start_seat(self, booking: Booking, event: PendingEvent) -> None:
        """Send what a seat's own event (committed with ``booking``) fires: the steps of the rules its trigger
        starts, to the seat's holder and the organizer only. The booking's trigger counts do not follow a
        seat's event, so these sends are not items of the agenda; the booking's own rules never see them."""
        firing = StepFiring(booking=booking, key="", fired_at=workflow.now(), seat_event=event)
        self._tasks.append(asyncio.create_task(self._send(firing)))

    async def finish(self) -> None:
        await asyncio.gather(*self._tasks)

    def idle(self) -> bool:
        """No send is running."""
        return all(task.done() for task in self._tasks)

    async def _send(self, firing: StepFiring) -> None:
        try:
            messages = await workflow.execute_activity_method(
                MessagingActivities.prepare_step,
                firing,
                start_to_close_timeout=PREPARE_TIMEOUT,
                schedule_to_close_timeout=_deadline(),
                retry_policy=PREPARE_RETRY,
            )
            await asyncio.gather(*(self._deliver(m) for m in messages))
        except ActivityError as failed:
            # A bug, or a send that outlasted STEP_DEADLINE (other failures are recorded); keep the booking alive.
            what = firing.seat_event.event_id if firing.seat_event else firing.key
            workflow.logger.error("reminder %s of booking %s failed: %s", what, firing.booking.uid, failed.cause)

    async def _deliver(self, message: OutgoingMessage) -> None:
        await workflow.execute_activity_method(
            MessagingActivities.send_message,
            message,
            task_queue=message.queue,
            start_to_close_timeout=timedelta(seconds=message.attempt_timeout_seconds),
            schedule_to_close_timeout=_deadline(),
            retry_policy=SEND_RETRY,
        )


def _deadline() -> timedelta | None:
    return STEP_DEADLINE if workflow.patched(DEADLINE_PATCH) else None

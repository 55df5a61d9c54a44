"""The BookingWorkflow's CRM sync: each change of a CRM-synced booking runs in the background.

A change's triggers say what the CRM must hear (created, moved, cancelled, no-show). Steps of one
provider run in order (a cancel waits for the create that made the meeting), providers run side by
side, and none holds the booking's lock, so a CRM outage (retried with backoff until it ends) never
delays a cancel or a reschedule. Bookings whose event type syncs with no CRM schedule nothing.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.bookings import PendingEvent
    from activities.crm import CrmAction, CrmActivities, CrmSyncRequest, crm_queue
    from domain.booking import Attendee, Booking
    from domain.reminder_plan import seat_change
    from domain.triggers import Trigger

# Added after the first release: histories recorded before it have no CRM steps.
CRM_SYNC_PATCH = "crm-sync"
SYNC_TIMEOUT = timedelta(minutes=2)
# Creates wait at least 5 s before a retry: CRM search indexes lag, and the adapters' "find the meeting
# I already made" relies on search.
CREATE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=10)
)
UPDATE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=10)
)
# Retries stop after a day, so a booking's workflow ends within a day of its close (see
# workflows.booking); a step that gives up is logged with its cause. Recorded histories lack it.
STEP_DEADLINE = timedelta(days=1)
DEADLINE_PATCH = "crm-step-deadline"
# An accepted instant meeting is synced as a created booking, and its host sent the confirmations (recorded
# histories accepted it with the event alone).
INSTANT_ACCEPT_PATCH = "instant-accept-as-created"

ACTIONS: dict[Trigger, CrmAction] = {
    Trigger.BOOKING_CREATED: CrmAction.CREATED,
    Trigger.BOOKING_RESCHEDULED: CrmAction.RESCHEDULED,
    Trigger.BOOKING_CANCELLED: CrmAction.CANCELLED,
    Trigger.BOOKING_NO_SHOW_UPDATED: CrmAction.NO_SHOW,
    Trigger.AFTER_HOSTS_CAL_VIDEO_NO_SHOW: CrmAction.NO_SHOW,
    Trigger.AFTER_GUESTS_CAL_VIDEO_NO_SHOW: CrmAction.NO_SHOW,
    Trigger.INSTANT_MEETING_ACCEPTED: CrmAction.CREATED,
}


def _synced(trigger: Trigger) -> bool:
    """Whether an event of ``trigger`` calls for a CRM step (an instant meeting's acceptance only past its patch)."""
    if trigger is Trigger.INSTANT_MEETING_ACCEPTED:
        return workflow.patched(INSTANT_ACCEPT_PATCH)
    return trigger in ACTIONS


def _step(booking: Booking, event: PendingEvent) -> tuple[PendingEvent, CrmAction, Attendee | None, str | None]:
    """The step an event calls for: its action, and for a seat's event the seat's attendee and the booking
    it moved from."""
    change = seat_change(booking, event.trigger, event.event_id, event.extra)
    if change is None:
        return event, ACTIONS[event.trigger], None, None
    action = CrmAction.SEAT_CANCELLED if change.change == "cancelled" else CrmAction.SEAT_ADDED
    moved_from = event.extra.get("rescheduleUid") if change.change == "rescheduled" else None
    return event, action, change.attendee, moved_from


class CrmSyncs:
    """Background CRM steps of one workflow; the workflow ends only when ``idle``."""

    def __init__(self) -> None:
        self._last: dict[str, asyncio.Task[None]] = {}

    def follow(self, booking: Booking, events: list[PendingEvent]) -> None:
        """Start the CRM steps ``events`` call for (nothing unless the event type syncs with a CRM).

        A seat's own event (seated event types) changes who attends the booking's one meeting: its attendee
        is added to it (a seat taken or moved in, which also leaves the meeting it moved from) or removed.
        """
        steps = [_step(booking, e) for e in events if _synced(e.trigger)]
        if not steps or not booking.event_type.crm_sync or not workflow.patched(CRM_SYNC_PATCH):
            return
        queue = workflow.info().task_queue
        for provider in booking.event_type.crm_sync:
            for event, action, seat, moved_from in steps:
                request = CrmSyncRequest(
                    step_id=f"{event.event_id}:{provider}",
                    provider=provider,
                    action=action,
                    booking=booking,
                    seat=seat,
                    moved_from=moved_from,
                )
                after = self._last.get(provider)
                self._last[provider] = asyncio.create_task(self._run(after, request, crm_queue(queue, provider)))

    def idle(self) -> bool:
        """No step is running or waiting (each provider's last step is done, so are those before it)."""
        return all(task.done() for task in self._last.values())

    async def _run(self, after: asyncio.Task[None] | None, request: CrmSyncRequest, queue: str) -> None:
        if after is not None:
            await after
        creates = request.action in (CrmAction.CREATED, CrmAction.RESCHEDULED, CrmAction.SEAT_ADDED)
        try:
            await workflow.execute_activity_method(
                CrmActivities.sync_booking,
                request,
                task_queue=queue,
                start_to_close_timeout=SYNC_TIMEOUT,
                schedule_to_close_timeout=STEP_DEADLINE if workflow.patched(DEADLINE_PATCH) else None,
                retry_policy=CREATE_RETRY if creates else UPDATE_RETRY,
            )
        except ActivityError as failed:
            # A bug, or an outage that outlasted STEP_DEADLINE (refusals are stored); keep the booking alive.
            workflow.logger.error("%s step %s failed: %s", request.provider, request.step_id, failed.cause)

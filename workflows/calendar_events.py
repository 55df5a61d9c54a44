"""DestinationEventWorkflow: one meeting's event in its host's destination calendar, written in order.

Named after the meeting's first booking (calendar-event:<uid>); each ``changed`` signal names a booking
of the meeting whose state the event must follow (created, confirmed, moved, cancelled). Writes run one
at a time and retry with backoff for up to a day, so a provider outage delays a write and loses nothing;
each write is idempotent (the event's UID is fixed), so a retry after a crash never makes a second event.
The workflow ends after a quiet spell; the next change starts it again.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.calendars import CalendarActivities, EventWrite

WRITE_TIMEOUT = timedelta(minutes=1)
WRITE_DEADLINE = timedelta(days=1)
WRITE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=5)
)
QUIET = timedelta(minutes=2)


@workflow.defn
class DestinationEventWorkflow:
    def __init__(self) -> None:
        self._pending: list[str] = []
        self._written: list[EventWrite] = []

    @workflow.run
    async def run(self, meeting_uid: str) -> list[EventWrite]:
        while True:
            try:
                await workflow.wait_condition(lambda: bool(self._pending), timeout=QUIET)
            except TimeoutError:
                return self._written
            booking_uid = self._pending.pop(0)
            if booking_uid in self._pending:
                continue  # a later change of the same booking follows; it writes the newest state
            try:
                written = await workflow.execute_activity_method(
                    CalendarActivities.write_booking_event,
                    booking_uid,
                    start_to_close_timeout=WRITE_TIMEOUT,
                    schedule_to_close_timeout=WRITE_DEADLINE,
                    retry_policy=WRITE_RETRY,
                )
                self._written.append(written)
            except ActivityError as failed:
                # Recorded on the connection by the activity (refused credential, URL refused, a day of outage).
                workflow.logger.warning("calendar write for %s of %s gave up: %s", booking_uid, meeting_uid, failed)

    @workflow.signal
    def changed(self, booking_uid: str) -> None:
        """A booking of this meeting changed: make the event match it."""
        self._pending.append(booking_uid)

    @workflow.query
    def written(self) -> list[EventWrite]:
        return self._written

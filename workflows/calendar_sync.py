"""CalendarSyncWorkflow: one per calendar connection, keeping the stored copy of its selected calendars current.

It syncs every ``interval`` (default 5 minutes) and whenever asked (the ``sync_now`` update, which answers
with the sync's report: the API's connect and check, the CLI's sync). A refused credential stops the
periodic sync until someone asks again (after reconnecting); a connection that is gone ends the workflow.
"""

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.calendars import CalendarActivities, SyncReport, SyncRequest
    from domain.calendars import SyncStart

SYNC_TIMEOUT = timedelta(minutes=2)
# A few quick retries; a longer outage waits for the next round (the failure is on the connection).
SYNC_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10), maximum_attempts=3
)
ROUNDS_PER_RUN = 500


@workflow.defn
class CalendarSyncWorkflow:
    def __init__(self) -> None:
        self._asked = 0
        self._served = 0
        self._listing = False
        self._stopped = False
        self._last: SyncReport | None = None

    @workflow.run
    async def run(self, start: SyncStart) -> None:
        listing = True
        for _ in range(ROUNDS_PER_RUN):
            asked = self._asked
            report = await self._sync(start.connection_id, listing or self._listing)
            self._last, self._served, self._listing = report, asked, False
            if report.gone or self._stopped:
                return
            periodic = None if report.status == "token_expired" else start.interval_seconds
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._asked > self._served or self._stopped, timeout=periodic)
            if self._stopped:
                return
            listing = False
        await workflow.wait_condition(lambda: self._asked == self._served and workflow.all_handlers_finished())
        workflow.continue_as_new(start)

    async def _sync(self, connection_id: int, listing: bool) -> SyncReport:
        try:
            return await workflow.execute_activity_method(
                CalendarActivities.sync_connection,
                SyncRequest(connection_id=connection_id, list_calendars=listing),
                start_to_close_timeout=SYNC_TIMEOUT,
                retry_policy=SYNC_RETRY,
            )
        except ActivityError as failed:
            cause = failed.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(failed)
            expired = isinstance(cause, ApplicationError) and cause.type == "CredentialRejected"
            return SyncReport(
                connection_id=connection_id, ok=False, status="token_expired" if expired else "error", error=message
            )

    @workflow.update
    async def sync_now(self, list_calendars: bool = False) -> SyncReport:
        """Sync now (listing the calendars too when asked) and answer with that sync's report."""
        self._asked += 1
        mine = self._asked
        self._listing = self._listing or list_calendars
        await workflow.wait_condition(lambda: self._served >= mine)
        assert self._last is not None
        return self._last

    @workflow.signal
    def stop(self) -> None:
        """The connection was removed: end after the current round."""
        self._stopped = True

"""The bench's reference workflow: a booking's shape with activities that do nothing."""

import asyncio
from datetime import datetime, timedelta

from temporalio import activity, workflow

LENGTH = timedelta(milliseconds=250)


@activity.defn
async def nothing(_: str) -> None:
    """The bare workflow's activity: no I/O at all."""


@workflow.defn
class BareBookingWorkflow:
    """create → confirm → start → end with activities that do nothing: Temporal's cost alone."""

    def __init__(self) -> None:
        self._confirmed = False

    @workflow.run
    async def run(self, start_iso: str) -> None:
        start = datetime.fromisoformat(start_iso)
        run = workflow.execute_activity
        await run(nothing, "create", start_to_close_timeout=timedelta(seconds=30))
        await workflow.wait_condition(lambda: self._confirmed)
        for moment in (start, start + LENGTH):
            await asyncio.sleep(max(0.0, (moment - workflow.now()).total_seconds()))
            await run(nothing, "event", start_to_close_timeout=timedelta(seconds=30))

    @workflow.update
    async def confirm(self) -> None:
        await workflow.execute_activity(nothing, "confirm", start_to_close_timeout=timedelta(seconds=30))
        self._confirmed = True

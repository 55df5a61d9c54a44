"""A careless change to BookingWorkflow, for the determinism guard's test (its own module: the sandbox
re-imports a workflow's module, so it must not pull in the test's HTTP helpers)."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.booking import Booking, BookingInput
    from worker.temporal import WORKFLOWS
    from workflows.booking import BookingWorkflow


@workflow.defn(name="BookingWorkflow")
class BookingWorkflowThatWaitsFirst(BookingWorkflow):
    """A timer before the first commit, which running bookings never scheduled."""

    @workflow.run
    async def run(self, start: BookingInput) -> Booking:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(start)


CHANGED = [w for w in WORKFLOWS if w is not BookingWorkflow] + [BookingWorkflowThatWaitsFirst]

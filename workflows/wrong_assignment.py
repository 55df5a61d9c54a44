"""WrongAssignmentWorkflow: fire one WRONG_ASSIGNMENT_REPORT (workflow id = the report id, so once)."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.routing import RoutingActivities
    from domain.booking import BookingEvent
    from domain.routing_responses import WrongAssignmentInput


@workflow.defn
class WrongAssignmentWorkflow:
    @workflow.run
    async def run(self, report: WrongAssignmentInput) -> BookingEvent:
        return await workflow.execute_activity_method(
            RoutingActivities.report_wrong_assignment,
            report,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)),
        )

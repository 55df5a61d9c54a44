"""RoutingResponseWorkflow: one routing-form response, from its decision to FORM_SUBMITTED_NO_EVENT.

Decide (with the CRM owner where the routed event type asks for it) and store the decision and its
trace; fire FORM_SUBMITTED; then wait for a booking made from this response (the BookingWorkflow
signals ``booked``) and, if none comes in time, fire FORM_SUBMITTED_NO_EVENT unless the same email
booked through the form within the last hour (the activity checks that at fire time).
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.routing import DecidedResponse, FormEventRequest, RoutingActivities
    from domain.base import CamelModel
    from domain.routing_forms import RoutingDecision
    from domain.routing_responses import BookedFromResponse, RoutingResponseInput
    from domain.triggers import Trigger

ACTIVITY_TIMEOUT = timedelta(seconds=60)
# Storage, CRM and dispatch failures are retried until they succeed: no submission is lost.
ACTIVITY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


class RoutingOutcome(CamelModel):
    booking_uid: str | None = None
    no_event_fired: bool = False


@workflow.defn
class RoutingResponseWorkflow:
    @workflow.init
    def __init__(self, start: RoutingResponseInput) -> None:
        self._decided: DecidedResponse | None = None
        self._booked: BookedFromResponse | None = None

    @workflow.run
    async def run(self, start: RoutingResponseInput) -> RoutingOutcome:
        self._decided = await workflow.execute_activity_method(
            RoutingActivities.decide_response,
            start,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        await self._fire(start.response_id, Trigger.FORM_SUBMITTED)
        outcome = RoutingOutcome()
        try:
            await workflow.wait_condition(lambda: self._booked is not None, timeout=self._decided.no_event_minutes * 60)
        except TimeoutError:
            outcome.no_event_fired = await self._fire(start.response_id, Trigger.FORM_SUBMITTED_NO_EVENT)
        if self._booked is not None:
            outcome.booking_uid = self._booked.booking_uid
        await workflow.wait_condition(workflow.all_handlers_finished)
        return outcome

    async def _fire(self, response_id: int, trigger: Trigger) -> bool:
        return await workflow.execute_activity_method(
            RoutingActivities.fire_form_event,
            FormEventRequest(response_id=response_id, trigger=trigger, at=workflow.now()),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )

    @workflow.update
    async def decision(self) -> RoutingDecision:
        """The decision, once made (the API answers the submitter with it)."""
        await workflow.wait_condition(lambda: self._decided is not None)
        assert self._decided is not None
        return self._decided.decision

    @workflow.signal
    def booked(self, booking: BookedFromResponse) -> None:
        """A booking was made from this response; the first one counts."""
        if self._booked is None:
            self._booked = booking

    @workflow.query
    def state(self) -> RoutingOutcome:
        return RoutingOutcome(booking_uid=self._booked.booking_uid if self._booked else None)

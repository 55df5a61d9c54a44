"""DeliveryWorkflow: one event to one subscriber, retried on Svix's schedule until it lands.

One workflow per (event, subscriber), its id derived from both, so a dispatcher retried after a crash
cannot deliver twice. Each attempt is an activity that sends, logs and classifies; the workflow only
decides whether and when to try again, with deterministic jitter from ``workflow.random()``.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import AttemptRequest, FinishRequest, WebhookActivities
    from domain.webhooks import DeliveryInput, DeliveryStatus, Outcome, final_status, retry_delay

# An attempt that could not even be logged (the store is down) is retried by Temporal; the HTTP
# outcome itself is never a Temporal failure.
INFRA_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# Since this patch each attempt records the delivery's final status; earlier runs finish separately.
SETTLED_BY_ATTEMPT = "attempt-records-final-status"


@workflow.defn
class DeliveryWorkflow:
    @workflow.run
    async def run(self, start: DeliveryInput) -> DeliveryStatus:
        outcome = Outcome.RETRY
        attempt_timeout = timedelta(seconds=start.timeout_seconds + 10)
        settled_by_attempt = workflow.patched(SETTLED_BY_ATTEMPT)
        last = len(start.schedule) + 1
        for number in range(1, last + 1):
            request = AttemptRequest(delivery_id=start.delivery_id, series=start.series, number=number)
            if settled_by_attempt:
                request.last = number == last
            result = await workflow.execute_activity_method(
                WebhookActivities.attempt_delivery,
                request,
                start_to_close_timeout=attempt_timeout,
                retry_policy=INFRA_RETRY,
            )
            outcome = result.outcome
            if outcome is not Outcome.RETRY or number > len(start.schedule):
                break
            base = start.schedule[number - 1]
            await workflow.sleep(retry_delay(base, workflow.random().random(), start.jitter, result.retry_after))
        status = final_status(outcome)
        if settled_by_attempt:
            return status
        await workflow.execute_activity_method(
            WebhookActivities.finish_delivery,
            FinishRequest(delivery_id=start.delivery_id, status=status),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=INFRA_RETRY,
        )
        return status

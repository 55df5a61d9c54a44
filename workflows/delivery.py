"""DeliveryWorkflow: one event to one subscriber, retried on Svix's schedule until it lands.

One workflow per (event, subscriber), its id derived from both, so a dispatcher retried after a crash
cannot deliver twice. Each attempt is an activity that sends, logs and classifies; the workflow only
decides whether and when to try again, with deterministic jitter from ``workflow.random()``.

The dispatcher sends a delivery's first attempt itself and starts this workflow only when it must be
retried, saying how many attempts it made (``attempted``): the workflow then begins with the wait
that follows that attempt (see activities/webhooks.py for why).

A redelivery replaces a series still retrying: the ``stop`` update makes this series send nothing more
and returns once no attempt is in flight, so the new series never overlaps it.
"""

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.redelivery import StopAnswer
    from activities.webhooks import AttemptRequest, FinishRequest, WebhookActivities
    from domain.webhooks import DeliveryInput, DeliveryStatus, Outcome, final_status, retry_delay

# An attempt that could not even be logged (the store is down) is retried by Temporal; the HTTP
# outcome itself is never a Temporal failure.
INFRA_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# Since this patch each attempt records the delivery's final status; earlier runs finish separately.
SETTLED_BY_ATTEMPT = "attempt-records-final-status"
# Since this patch the wait between attempts ends early when a redelivery stops the series.
STOP_WAKES_THE_WAIT = "redelivery-stops-the-wait"
# Since this patch the dispatcher may have sent the first attempts; the series goes on after them.
RESUMES_AFTER_DISPATCH = "first-attempt-sent-by-dispatcher"


@workflow.defn
class DeliveryWorkflow:
    def __init__(self) -> None:
        self._stopped = False
        self._attempting = False
        self._outcome: Outcome | None = None

    @workflow.update
    async def stop(self) -> StopAnswer:
        """Send nothing more; answers once no attempt is in flight, with the last attempt's outcome."""
        self._stopped = True
        await workflow.wait_condition(lambda: not self._attempting)
        return StopAnswer(outcome=self._outcome)

    @workflow.run
    async def run(self, start: DeliveryInput) -> DeliveryStatus:
        outcome = Outcome.RETRY
        attempt_timeout = timedelta(seconds=start.timeout_seconds + 10)
        settled_by_attempt = workflow.patched(SETTLED_BY_ATTEMPT)
        last = len(start.schedule) + 1
        first = 1
        if start.attempted and workflow.patched(RESUMES_AFTER_DISPATCH):
            first = start.attempted + 1
            base = start.schedule[first - 2]
            await self._wait(retry_delay(base, workflow.random().random(), start.jitter, start.retry_after))
        for number in range(first, last + 1):
            if self._stopped:  # only ever true after a `stop` update (none in older histories)
                return DeliveryStatus.RETRYING
            request = AttemptRequest(delivery_id=start.delivery_id, series=start.series, number=number)
            if settled_by_attempt:
                request.last = number == last
            self._attempting = True
            try:
                result = await workflow.execute_activity_method(
                    WebhookActivities.attempt_delivery,
                    request,
                    start_to_close_timeout=attempt_timeout,
                    retry_policy=INFRA_RETRY,
                )
            finally:
                self._attempting = False
            outcome = self._outcome = result.outcome
            if outcome is not Outcome.RETRY or number > len(start.schedule):
                break
            base = start.schedule[number - 1]
            await self._wait(retry_delay(base, workflow.random().random(), start.jitter, result.retry_after))
        status = final_status(outcome)
        if settled_by_attempt or self._stopped:
            return status
        await workflow.execute_activity_method(
            WebhookActivities.finish_delivery,
            FinishRequest(delivery_id=start.delivery_id, status=status),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=INFRA_RETRY,
        )
        return status

    async def _wait(self, delay: float) -> None:
        """Sleep ``delay`` seconds; since the patch a `stop` update ends the wait at once."""
        if delay > 0 and workflow.patched(STOP_WAKES_THE_WAIT):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._stopped, timeout=delay)
            return
        await workflow.sleep(delay)

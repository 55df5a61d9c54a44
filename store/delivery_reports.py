"""Webhook deliveries as the on-call engineer reads them: which booking, how often tried, the last
answer, since when failing and when the next attempt is due (`webhooks deliveries`, `ops failed`, and
the console's deliveries screen; moved here from worker/ops so the API may read it too)."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.base import CamelModel
from domain.webhooks import Attempt, Delivery, DeliveryStatus, workflow_id
from store import events
from store import webhooks as store

# Deliveries that ended without reaching the receiver: redelivery candidates.
ENDED_UNDELIVERED = (DeliveryStatus.FAILED, DeliveryStatus.ABANDONED)
# Retrying, failed or abandoned: what the console lists first and marks as failed.
FAILING = (DeliveryStatus.RETRYING, *ENDED_UNDELIVERED)
ERROR_TEXT = 160


class DeliveryReport(CamelModel):
    """One delivery with its latest attempt, for listings (stable JSON field names)."""

    id: str  # the webhook-id the receiver sees
    booking_uid: str | None
    event_type_id: int | None
    subscription_id: str
    trigger: str
    status: DeliveryStatus
    attempts: int
    series: int
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    # While retrying: the current series' first (failed) attempt.
    failing_since: datetime | None
    # While retrying: when the schedule puts the next attempt (jitter and Retry-After move it a little).
    next_attempt_at: datetime | None
    created_at: datetime
    workflow_id: str


def _error(attempt: Attempt) -> str | None:
    if attempt.error:
        return attempt.error[:ERROR_TEXT]
    if attempt.status_code is not None and not 200 <= attempt.status_code < 300:
        body = (attempt.response_body or "").strip().replace("\n", " ")
        return f"HTTP {attempt.status_code}" + (f": {body}"[: ERROR_TEXT - 10] if body else "")
    return None


def _next_attempt(status: DeliveryStatus, last: Attempt | None, schedule: Sequence[float]) -> datetime | None:
    if status is not DeliveryStatus.RETRYING or last is None or last.number > len(schedule):
        return None
    return last.at + timedelta(seconds=schedule[last.number - 1])


async def report(session: AsyncSession, delivery: Delivery, schedule: Sequence[float]) -> DeliveryReport:
    """``delivery`` with its attempts and booking read from the store."""
    attempts = await store.attempts_of(session, delivery.id)
    current = [a for a in attempts if a.series == delivery.series]
    last = attempts[-1] if attempts else None
    event = None if delivery.body is not None else await events.get(session, delivery.event_id)
    retrying = delivery.status is DeliveryStatus.RETRYING
    return DeliveryReport(
        id=delivery.id,
        booking_uid=event.booking_uid if event else None,
        event_type_id=event.event_type_id if event else None,
        subscription_id=delivery.subscription_id,
        trigger=delivery.trigger,
        status=delivery.status,
        attempts=delivery.attempts,
        series=delivery.series,
        last_status_code=last.status_code if last else None,
        last_error=_error(last) if last else None,
        last_attempt_at=last.at if last else None,
        failing_since=current[0].at if retrying and current else None,
        next_attempt_at=_next_attempt(delivery.status, last, schedule),
        created_at=delivery.created_at,
        workflow_id=workflow_id(delivery.event_id, delivery.subscription_id, delivery.series),
    )


async def reports(session: AsyncSession, found: Sequence[Delivery], schedule: Sequence[float]) -> list[DeliveryReport]:
    """Reports of several deliveries, in the given order."""
    return [await report(session, delivery, schedule) for delivery in found]

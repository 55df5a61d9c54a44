"""Webhook dispatch: the first attempt from the dispatching activity, retries as a DeliveryWorkflow.

``WebhookDispatcher`` is the BookingActivities' EventDispatcher. For every recorded event it finds the
active subscriptions (instance, user and event-type scope, one per subscriber URL), sends each one's
first attempt itself, concurrently (``AttemptSender``: pooled connections, bounded concurrency, the
SSRF check at send), then records the deliveries and logs the attempts in one transaction. Only a
delivery whose first attempt must be retried becomes a DeliveryWorkflow, under the same workflow id
as ever, told that attempt 1 is done; redeliveries and pings run as workflows from attempt 1.

Why: a workflow per delivery costs a client start, two workflow tasks, an activity and three store
transactions before the first byte goes out; at 20 bookings/s with two subscribers that saturated one
worker (p50 16 s). Nearly every first attempt succeeds, so sending it from the activity that already
holds the event costs one read, one HTTP round trip and one write, and the retry machinery (Svix's
schedule, ``stop`` for redelivery, durable timers) stays as it was for the few that fail.

Why nothing is lost: the event is in the event log before dispatch, and the booking workflow retries
its commit activity (which calls dispatch) until it returns, so the unfinished activity is the
durable intent. A repeated dispatch, after a crash anywhere in here, sends again every delivery not
stored yet or stored without an attempt (at least once, same ``webhook-id``), and starts the workflow
of one logged as retrying (workflow-id dedupe makes that idempotent). A delivery row is written only
with its first attempt, so nothing waits on the SQLite writer before the send.

The cost: the commit activity waits one receiver round trip. With a receiver timeout above
``INLINE_TIMEOUT_LIMIT`` (the commit activity has 30 s) every attempt runs in the workflow instead.

Measured (`python -m bench webhooks`, 2-core machine shared with other jobs): at 10 bookings/s and a
load average of 6-10, p50 65-124 ms and p99 0.5-0.8 s (PostgreSQL, SQLite), against 9-36 s before
(at a load of 13-20 it was 1-4 s). At the default 20/s the one process is CPU-bound: on 2026-12-01
(load average 5-8) p50 6.1-11.4 s, p99 28-30 s, 28 deliveries/s, i.e. about 14 bookings/s is all the
process gets through. A py-spy profile of that run: dispatch and both first attempts are ~5% of the
process's samples; the rest is the booking itself (its workflow's sandbox, ~9% creating one per
booking, and the store's SQLite threads), the bench's own reservations (~7%, in the same process) and
the receivers. A commit with nothing to dispatch now costs no dispatcher query at all (see
activities.bookings.ScreenedDispatcher), and a first attempt is stored with its delivery in one insert.
Under such overload a commit retried after its 30 s timeout can send a first attempt again (same
webhook-id: at least once).
"""

import asyncio
import contextlib
import logging
import uuid

from sqlalchemy import ColumnElement, exists
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from activities.net import Resolver, system_resolver
from activities.redelivery import (
    Redelivered,
    RedeliveryPlan,
    SubscriptionInactive,
    is_running,
    stop_series,
)
from activities.webhook_send import (
    USER_AGENT,
    AttemptSender,
    SentAttempt,
    count_attempt,
    log_attempt,
    now,
    subscriber_policy,
)
from activities.webhook_send import content_of as _content
from domain.base import CamelModel
from domain.booking import Booking, BookingEvent
from domain.triggers import Trigger
from domain.webhooks import (
    Delivery,
    DeliveryInput,
    DeliveryStatus,
    Outcome,
    Subscription,
    WebhookSettings,
    delivery_id,
    workflow_id,
)
from store import bookings, events
from store import webhooks as store
from store.bookings import BookingRow
from store.db import Database
from templates.payloads.non_booking import ping_body

__all__ = ["USER_AGENT", "AttemptRequest", "WebhookActivities", "WebhookDispatcher", "_content", "subscriber_policy"]

log = logging.getLogger("bookflow.webhooks")
DELIVERY_WORKFLOW = "DeliveryWorkflow"
# Beyond one attempt's timeout, how long a redelivery waits for the series it replaces to stop.
STOP_GRACE_SECONDS = 30.0
# Above this receiver timeout the first attempt is not sent inline: it could outlast the commit activity.
INLINE_TIMEOUT_LIMIT = 15.0


class AttemptRequest(CamelModel):
    delivery_id: str
    series: int
    number: int
    # The schedule's last attempt records the final status itself (no separate finishing activity).
    last: bool = False


class AttemptResult(CamelModel):
    outcome: Outcome
    status_code: int | None = None
    retry_after: float | None = None


class FinishRequest(CamelModel):
    delivery_id: str
    status: DeliveryStatus


# Built once: the statement's SQL is cached by SQLAlchemy, but building the expression costs every commit.
_ANY_SUBSCRIBER = exists().where(store.covering(BookingRow.organizer_id, BookingRow.event_type_id))


class WebhookDispatcher:
    """Delivers each event once per subscriber (first attempt inline); safe to call again for the same event."""

    def __init__(
        self,
        db: Database,
        client: Client,
        task_queue: str,
        settings: WebhookSettings,
        sender: AttemptSender | None = None,
    ) -> None:
        self._db, self._client, self._task_queue, self._settings = db, client, task_queue, settings
        self._sender = sender or AttemptSender(settings)

    def screen(self) -> ColumnElement[bool]:
        """Any active subscription covering the booking's organizer or event type (ScreenedDispatcher)."""
        return _ANY_SUBSCRIBER

    def wanted(self, booking: Booking, events: list[BookingEvent], screened: bool) -> list[BookingEvent]:
        """All the events when some subscription is in scope (``dispatch`` matches triggers), else none but
        INSTANT_MEETING, which rings every host's own subscriptions (the screen sees only the organizer's)."""
        return events if screened else [e for e in events if e.trigger == Trigger.INSTANT_MEETING.value]

    async def dispatch(self, event: BookingEvent) -> None:
        """Deliver ``event`` to every subscriber (EventDispatcher); INSTANT_MEETING to every host's too."""
        async with self._db.sessions() as session:
            organizer, event_type, hosts = event.organizer_id, event.event_type_id, []
            ringing = event.trigger == Trigger.INSTANT_MEETING.value
            if organizer is None or ringing:
                booking = await bookings.get(session, event.booking_uid)
                if booking is not None:
                    organizer, event_type = booking.organizer.id, booking.event_type.id
                    hosts = [h.user_id for h in booking.event_type.hosts] if ringing else []
            subscribers = await store.subscribers_for(session, event.trigger, organizer, event_type, hosts)
            ids = [delivery_id(event.event_id, sub.id) for sub in subscribers]
            known = await store.deliveries_by_id(session, ids) if ids else {}
        drafts = [
            Delivery(
                id=id_,
                event_id=event.event_id,
                subscription_id=sub.id,
                trigger=event.trigger,
                created_at=event.created_at,
                updated_at=event.created_at,
            )
            for id_, sub in zip(ids, subscribers, strict=True)
        ]
        # A repeated dispatch (the commit retried after a crash) sends again only what has no attempt yet;
        # redelivered ones (series > 1) belong to their own workflow, settled ones are done.
        fresh = [d for d in drafts if d.id not in known or _unattempted(known[d.id])]
        # Logged as retrying but perhaps without its workflow (a crash in between): start it now.
        retry = [(d, None) for d in known.values() if d.series == 1 and d.status is DeliveryStatus.RETRYING]
        if self._settings.timeout_seconds > INLINE_TIMEOUT_LIMIT:
            async with self._db.transaction() as session:
                store.add_deliveries(session, [d for d in fresh if d.id not in known])
            retry += [(d, None) for d in fresh]
        elif fresh:
            retry += await self._first_attempts(fresh, known, {sub.id: sub for sub in subscribers}, event.body)
        await asyncio.gather(*(self._start(d, 1, d.attempts, retry_after) for d, retry_after in retry))

    async def _first_attempts(
        self, fresh: list[Delivery], known: dict[str, Delivery], subscribers: dict[str, Subscription], body: dict
    ) -> list[tuple[Delivery, float | None]]:
        """Send each delivery's first attempt, then record the deliveries and log the attempts in one
        transaction; return those to retry, with their Retry-After."""
        sent: list[SentAttempt] = await asyncio.gather(
            *(self._sender.attempt(d, subscribers[d.subscription_id], body, series=1, number=1) for d in fresh)
        )
        last = not self._settings.schedule
        async with self._db.transaction() as session:
            for delivery, one in zip(fresh, sent, strict=True):
                await log_attempt(session, delivery, one.attempt, last, new=delivery.id not in known)
        for delivery, one in zip(fresh, sent, strict=True):
            count_attempt(delivery, one.attempt)
        return [
            (d.model_copy(update={"attempts": 1}), one.retry_after)
            for d, one in zip(fresh, sent, strict=True)
            if one.attempt.outcome is Outcome.RETRY and not last
        ]

    async def _start(
        self, delivery: Delivery, series: int, attempted: int = 0, retry_after: float | None = None
    ) -> str:
        """Start the workflow of ``series`` (``attempted`` of its attempts already sent and logged)."""
        wf_id = workflow_id(delivery.event_id, delivery.subscription_id, series)
        start = DeliveryInput(
            delivery_id=delivery.id,
            series=series,
            schedule=self._settings.schedule,
            jitter=self._settings.jitter,
            timeout_seconds=self._settings.timeout_seconds,
            attempted=attempted,
            retry_after=retry_after,
        )
        # Already started (a retried dispatch or a second redelivery click): nothing to do.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self._client.start_workflow(
                DELIVERY_WORKFLOW,
                start,
                id=wf_id,
                task_queue=self._task_queue,
                # A finished delivery must not run again under the same id: that would deliver twice.
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                request_eager_start=True,
            )
        return wf_id

    async def plan_redelivery(self, delivery_id_: str) -> RedeliveryPlan:
        """What redelivering does, changing nothing; KeyError for an unknown delivery,
        SubscriptionInactive when its subscription is off (it would be abandoned)."""
        async with self._db.sessions() as session:
            delivery = await store.get_delivery(session, delivery_id_)
            if delivery is None:
                raise KeyError(delivery_id_)
            sub = await store.get_subscription(session, delivery.subscription_id)
        if sub is None or not sub.active:
            raise SubscriptionInactive(delivery.id, delivery.subscription_id, deleted=sub is None)
        current = workflow_id(delivery.event_id, delivery.subscription_id, delivery.series)
        return RedeliveryPlan(
            delivery_id=delivery.id,
            subscription_id=delivery.subscription_id,
            status=delivery.status,
            series=delivery.series,
            new_workflow_id=workflow_id(delivery.event_id, delivery.subscription_id, delivery.series + 1),
            stops=current if await is_running(self._client, current) else None,
        )

    async def redeliver(self, delivery_id_: str) -> Redelivered:
        """Start a new attempt series for a delivery (same webhook-id), first stopping the series still
        retrying, so the event never arrives twice; nothing is sent if that series delivered meanwhile."""
        plan = await self.plan_redelivery(delivery_id_)
        stopped = None
        if plan.stops is not None:
            stop_timeout = self._settings.timeout_seconds + STOP_GRACE_SECONDS
            stopped = await stop_series(self._client, plan.stops, stop_timeout)
        async with self._db.transaction() as session:
            delivery = await store.get_delivery(session, delivery_id_)
            assert delivery is not None
            if plan.status is not DeliveryStatus.DELIVERED and delivery.status is DeliveryStatus.DELIVERED:
                note = "its running series delivered it meanwhile; not sent again"
                return Redelivered(delivery_id=delivery.id, workflow_id=None, stopped=plan.stops, note=note)
            series = await store.start_series(session, delivery_id_, now())
        started = await self._start(delivery, series)
        return Redelivered(delivery_id=delivery.id, workflow_id=started, stopped=plan.stops if stopped else None)

    async def ping(self, subscription_id: str) -> str:
        """Send a test event to one subscription; returns the delivery id."""
        async with self._db.transaction() as session:
            sub = await store.get_subscription(session, subscription_id)
            if sub is None:
                raise KeyError(subscription_id)
            at = now()
            event_id = f"ping:{uuid.uuid4().hex}"
            delivery = Delivery(
                id=delivery_id(event_id, sub.id),
                event_id=event_id,
                subscription_id=sub.id,
                trigger="PING",
                created_at=at,
                updated_at=at,
                body=ping_body(at),
            )
            await store.add_delivery(session, delivery)
        await self._start(delivery, series=1)
        return delivery.id


def _unattempted(delivery: Delivery) -> bool:
    return delivery.series == 1 and delivery.status is DeliveryStatus.PENDING and delivery.attempts == 0


class WebhookActivities:
    """DeliveryWorkflow's activities: one attempt of a series, and (for older runs) the final status."""

    def __init__(self, db: Database, settings: WebhookSettings, resolver: Resolver = system_resolver) -> None:
        self._db = db
        self._sender = AttemptSender(settings, resolver)

    @activity.defn
    async def attempt_delivery(self, request: AttemptRequest) -> AttemptResult:
        """Send one attempt of a delivery, log it, and say what it means (never raises for HTTP)."""
        async with self._db.sessions() as session:
            delivery = await store.get_delivery(session, request.delivery_id)
            if delivery is None:
                raise ApplicationError(f"delivery {request.delivery_id} does not exist", non_retryable=True)
            sub = await store.get_subscription(session, delivery.subscription_id)
            event = None if delivery.body is not None else await events.get(session, delivery.event_id)
        if delivery.series > request.series:
            # A redelivery replaced this series (it started before this one's workflow): send nothing.
            return AttemptResult(outcome=Outcome.ABANDONED)
        body = delivery.body if delivery.body is not None else event.body if event else None
        if body is None and sub is not None and sub.active:
            raise ApplicationError(f"event {delivery.event_id} is not in the event log", non_retryable=True)
        sent = await self._sender.attempt(delivery, sub, body, request.series, request.number)
        async with self._db.transaction() as session:
            await log_attempt(session, delivery, sent.attempt, request.last)
        count_attempt(delivery, sent.attempt)
        attempt = sent.attempt
        return AttemptResult(outcome=attempt.outcome, status_code=attempt.status_code, retry_after=sent.retry_after)

    @activity.defn
    async def finish_delivery(self, request: FinishRequest) -> None:
        """Record a delivery's final status."""
        async with self._db.transaction() as session:
            await store.set_status(session, request.delivery_id, request.status, now())

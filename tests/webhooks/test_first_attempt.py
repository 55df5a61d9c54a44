"""The first attempt goes out from the dispatcher; only a delivery to retry becomes a DeliveryWorkflow,
and a dispatch repeated after a crash at any point still delivers (at least once, one webhook-id)."""

from datetime import UTC, datetime

from temporalio.service import RPCError, RPCStatusCode

from activities.webhooks import AttemptRequest, WebhookActivities, WebhookDispatcher
from domain.booking import BookingEvent
from domain.triggers import Trigger
from domain.webhooks import Attempt, Delivery, DeliveryStatus, Outcome, Subscription, delivery_id, workflow_id
from store import events
from store import webhooks as store
from testkit.receiver import receiving
from testkit.stack import running_worker
from worker.settings import load_settings

SUBSCRIPTION = "sub-first"


def _event(uid: str) -> BookingEvent:
    now = datetime.now(UTC)
    body = {"triggerEvent": "BOOKING_CREATED", "createdAt": now.isoformat(), "payload": {"uid": uid}}
    return BookingEvent(
        event_id=f"{uid}:BOOKING_CREATED:0", booking_uid=uid, trigger="BOOKING_CREATED", created_at=now, body=body
    )


async def _subscribed(db, url: str, event: BookingEvent) -> Delivery:
    """A subscription to ``url``, ``event`` in the event log, and the delivery a dispatch would record."""
    now = datetime.now(UTC)
    sub = Subscription(
        id=SUBSCRIPTION, subscriber_url=url, triggers=[Trigger.BOOKING_CREATED], created_at=now, updated_at=now
    )
    async with db.transaction() as session:
        await store.save_subscription(session, sub)
        await events.record(session, event)
    return Delivery(
        id=delivery_id(event.event_id, sub.id),
        event_id=event.event_id,
        subscription_id=sub.id,
        trigger=event.trigger,
        created_at=event.created_at,
        updated_at=event.created_at,
    )


async def _exists(client, workflow: str) -> bool:
    try:
        await client.get_workflow_handle(workflow).describe()
    except RPCError as error:
        assert error.status is RPCStatusCode.NOT_FOUND
        return False
    return True


async def _stored(db, delivery: str) -> tuple[Delivery, list[Attempt]]:
    async with db.sessions() as session:
        return await store.get_delivery(session, delivery), await store.attempts_of(session, delivery)


def _dispatcher(temporal_env, db, task_queue) -> WebhookDispatcher:
    return WebhookDispatcher(db, temporal_env.client, task_queue, load_settings().webhooks)


async def test_a_first_attempt_that_lands_is_sent_logged_and_settled_without_a_workflow(
    temporal_env, sqlite_db, task_queue
):
    event = _event("first-ok")
    async with receiving() as rx:
        delivery = await _subscribed(sqlite_db, rx.url, event)
        # No worker runs: the dispatcher alone sends, logs and settles it.
        await _dispatcher(temporal_env, sqlite_db, task_queue).dispatch(event)
        (request,) = rx.requests
    stored, attempts = await _stored(sqlite_db, delivery.id)
    assert request.headers["webhook-id"] == delivery.id
    assert (stored.status, stored.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert [(a.number, a.status_code, a.outcome) for a in attempts] == [(1, 200, Outcome.DELIVERED)]
    assert not await _exists(temporal_env.client, workflow_id(event.event_id, SUBSCRIPTION))


async def test_a_failed_first_attempt_becomes_a_workflow_that_goes_on_at_attempt_two(
    temporal_env, sqlite_db, task_queue
):
    event = _event("first-fails")
    async with receiving((503, {}), (200, {})) as rx:
        delivery = await _subscribed(sqlite_db, rx.url, event)
        async with running_worker(temporal_env.client, sqlite_db, task_queue):
            await _dispatcher(temporal_env, sqlite_db, task_queue).dispatch(event)
            assert len(rx.requests) == 1  # sent by the dispatcher before it returned
            handle = temporal_env.client.get_workflow_handle(workflow_id(event.event_id, SUBSCRIPTION))
            assert await handle.result() == DeliveryStatus.DELIVERED
    stored, attempts = await _stored(sqlite_db, delivery.id)
    assert [r.headers["webhook-id"] for r in rx.requests] == [delivery.id, delivery.id]
    assert [(a.number, a.status_code) for a in attempts] == [(1, 503), (2, 200)]
    assert (stored.status, stored.attempts) == (DeliveryStatus.DELIVERED, 2)


async def test_a_dispatch_repeated_after_a_crash_before_the_send_sends_it(temporal_env, sqlite_db, task_queue):
    event = _event("crash-before-send")
    async with receiving() as rx:
        delivery = await _subscribed(sqlite_db, rx.url, event)
        async with sqlite_db.transaction() as session:  # the intent was recorded, then the worker died
            await store.add_delivery(session, delivery)
        await _dispatcher(temporal_env, sqlite_db, task_queue).dispatch(event)  # the commit's retry
        (request,) = rx.requests
    stored, attempts = await _stored(sqlite_db, delivery.id)
    assert request.headers["webhook-id"] == delivery.id
    assert (stored.status, [a.number for a in attempts]) == (DeliveryStatus.DELIVERED, [1])


async def test_a_dispatch_repeated_after_a_crash_before_the_workflow_started_starts_it(
    temporal_env, sqlite_db, task_queue
):
    event = _event("crash-before-workflow")
    async with receiving((200, {})) as rx:
        delivery = await _subscribed(sqlite_db, rx.url, event)
        failed = Attempt(
            delivery_id=delivery.id, series=1, number=1, at=datetime.now(UTC), status_code=500, latency_ms=1,
            outcome=Outcome.RETRY,
        )  # fmt: skip
        async with sqlite_db.transaction() as session:  # attempt 1 failed and was logged, then the worker died
            await store.add_delivery(session, delivery)
            await store.record_attempt(session, failed, DeliveryStatus.RETRYING)
        async with running_worker(temporal_env.client, sqlite_db, task_queue):
            dispatcher = _dispatcher(temporal_env, sqlite_db, task_queue)
            await dispatcher.dispatch(event)
            await dispatcher.dispatch(event)  # and once more: still one series
            handle = temporal_env.client.get_workflow_handle(workflow_id(event.event_id, SUBSCRIPTION))
            assert await handle.result() == DeliveryStatus.DELIVERED
    stored, attempts = await _stored(sqlite_db, delivery.id)
    assert [r.headers["webhook-id"] for r in rx.requests] == [delivery.id]
    assert [(a.number, a.status_code) for a in attempts] == [(1, 500), (2, 200)]
    assert stored.status is DeliveryStatus.DELIVERED


async def test_an_attempt_of_a_replaced_series_sends_nothing(temporal_env, sqlite_db, task_queue):
    event = _event("replaced")
    async with receiving() as rx:
        delivery = await _subscribed(sqlite_db, rx.url, event)
        async with sqlite_db.transaction() as session:
            await store.add_delivery(session, delivery)
            await store.start_series(session, delivery.id, datetime.now(UTC))  # a redelivery began series 2
        activities = WebhookActivities(sqlite_db, load_settings().webhooks)
        result = await activities.attempt_delivery(AttemptRequest(delivery_id=delivery.id, series=1, number=2))
        assert rx.requests == []
    stored, attempts = await _stored(sqlite_db, delivery.id)
    assert result.outcome is Outcome.ABANDONED
    assert (stored.series, stored.status, attempts) == (2, DeliveryStatus.PENDING, [])


async def test_a_subscription_answering_410_on_the_first_attempt_is_deactivated(temporal_env, sqlite_db, task_queue):
    event = _event("gone")
    async with receiving((410, {})) as rx:
        delivery = await _subscribed(sqlite_db, rx.url, event)
        await _dispatcher(temporal_env, sqlite_db, task_queue).dispatch(event)
        assert len(rx.requests) == 1
    stored, _ = await _stored(sqlite_db, delivery.id)
    async with sqlite_db.sessions() as session:
        sub = await store.get_subscription(session, SUBSCRIPTION)
    assert stored.status is DeliveryStatus.FAILED and sub.active is False
    assert not await _exists(temporal_env.client, workflow_id(event.event_id, SUBSCRIPTION))

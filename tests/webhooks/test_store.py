"""The webhook store on SQLite and PostgreSQL: scopes, dedupe by URL, the delivery log."""

from datetime import UTC, datetime, timedelta

from domain.triggers import Trigger
from domain.webhooks import Attempt, Delivery, DeliveryStatus, Outcome, Subscription
from store import webhooks as store


def _sub(id: str, url: str, **scope) -> Subscription:
    now = datetime.now(UTC)
    return Subscription(id=id, subscriber_url=url, triggers=[Trigger.BOOKING_CREATED], secret="s",
                        created_at=now, updated_at=now, **scope)  # fmt: skip


async def test_subscribers_are_found_by_scope_and_deduped_by_url(any_db):
    async with any_db.transaction() as session:
        await store.save_subscription(session, _sub("all", "http://a/"))
        await store.save_subscription(session, _sub("user", "http://a/", user_id=1))
        await store.save_subscription(session, _sub("type", "http://a/", event_type_id=5))
        await store.save_subscription(session, _sub("other-user", "http://b/", user_id=2))
        await store.save_subscription(session, _sub("other-type", "http://c/", event_type_id=6))
    async with any_db.sessions() as session:
        found = await store.subscribers_for(session, "BOOKING_CREATED", organizer_id=1, event_type_id=5)
        none = await store.subscribers_for(session, "MEETING_ENDED", organizer_id=1, event_type_id=5)
        loaded = await store.get_subscription(session, "all")
    assert [s.id for s in found] == ["type"]
    assert none == []
    assert loaded.secret.get_secret_value() == "s"


async def test_deliveries_and_attempts_are_logged_newest_first(any_db):
    now = datetime.now(UTC)
    async with any_db.transaction() as session:
        for i in range(2):
            at = now + timedelta(seconds=i)
            delivery = Delivery(id=f"msg_{i}", event_id=f"e{i}", subscription_id="s", trigger="BOOKING_CREATED",
                                created_at=at, updated_at=at)  # fmt: skip
            assert await store.add_delivery(session, delivery)
        assert not await store.add_delivery(session, delivery)
    attempt = Attempt(delivery_id="msg_1", series=1, number=1, at=now, status_code=500, latency_ms=3.5,
                      response_body="x" * 10, outcome=Outcome.RETRY)  # fmt: skip
    async with any_db.transaction() as session:
        await store.record_attempt(session, attempt, DeliveryStatus.FAILED)
    async with any_db.sessions() as session:
        listed = await store.list_deliveries(session, "s")
        failed = await store.list_deliveries(session, failed=True)
        (logged,) = await store.attempts_of(session, "msg_1")
    assert [d.id for d in listed] == ["msg_1", "msg_0"]
    assert [d.id for d in failed] == ["msg_1"] and failed[0].attempts == 1
    assert logged.status_code == 500 and logged.latency_ms == 3.5

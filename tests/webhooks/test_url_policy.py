"""The outbound URL policy at create (API) and at send (the attempt activity), with receivers on loopback."""

from datetime import UTC, datetime

import pytest

from activities.net import checked_target
from activities.webhooks import AttemptRequest, WebhookActivities, subscriber_policy
from domain.booking import BookingEvent
from domain.triggers import Trigger
from domain.url_policy import UnresolvedHost, UrlRefused, allowed_addresses, parse_target
from domain.webhooks import Delivery, DeliveryStatus, Outcome, Subscription, WebhookSettings, delivery_id
from store import events
from store import webhooks as store
from testkit.receiver import receiving

REFUSED_ALWAYS = [
    "ftp://example.com/hook",
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data",
    "http://[fd00:ec2::254]/",
    "http://0.0.0.0:8080/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://[::ffff:169.254.169.254]/",
]
REFUSED_UNLESS_PRIVATE = ["http://127.0.0.1:9/", "http://10.1.2.3/", "http://192.168.0.10/", "http://[::1]/"]


def _judge(url: str, resolved: list[str], allow_private: bool) -> list[str]:
    """The pure policy: the addresses allowed for ``url`` given what its host resolved to."""
    return [str(a) for a in allowed_addresses(parse_target(url), resolved, subscriber_policy(allow_private))]


@pytest.mark.parametrize("url", REFUSED_ALWAYS)
def test_metadata_link_local_unspecified_multicast_and_other_schemes_are_always_refused(url):
    with pytest.raises(UrlRefused):
        _judge(url, [], allow_private=True)


@pytest.mark.parametrize("url", REFUSED_UNLESS_PRIVATE)
def test_loopback_and_private_addresses_need_self_hosted_mode(url):
    with pytest.raises(UrlRefused, match="BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE"):
        _judge(url, [], allow_private=False)
    assert _judge(url, [], allow_private=True) == [str(parse_target(url).literal)]


def test_every_resolved_address_is_checked():
    with pytest.raises(UrlRefused, match=r"hooks\.example\.test resolves to 10\.0\.0\.5 is a private address"):
        _judge("https://hooks.example.test/", ["93.184.216.34", "10.0.0.5"], allow_private=False)
    assert _judge("https://hooks.example.test/", ["93.184.216.34"], allow_private=False) == ["93.184.216.34"]


def test_a_name_that_resolved_to_nothing_is_unresolved_and_credentials_are_refused():
    with pytest.raises(UnresolvedHost, match=r"hooks\.example\.test does not resolve"):
        _judge("https://hooks.example.test/", [], allow_private=True)
    with pytest.raises(UrlRefused, match="credentials"):
        _judge("https://user:pw@93.184.216.34/", [], allow_private=True)


async def test_a_name_that_resolves_to_loopback_is_refused_by_the_system_resolver():
    with pytest.raises(UrlRefused, match=r"localhost resolves to .* loopback"):
        await checked_target("http://localhost:8080/hook", subscriber_policy(allow_private=False))
    target, addresses = await checked_target("http://localhost:8080/hook", subscriber_policy(allow_private=True))
    assert target.port == 8080 and all(a.is_loopback for a in addresses)


async def test_a_resolver_failure_is_an_unresolved_host():
    async def failing(host, port):
        raise OSError("Name or service not known")

    with pytest.raises(UnresolvedHost, match="Name or service not known"):
        await checked_target("https://hooks.example.test/", subscriber_policy(allow_private=True), failing)


@pytest.fixture
def private_urls_refused(monkeypatch):
    """The stack's settings refuse private URLs (this suite's conftest allows them); before ``stack``."""
    monkeypatch.setenv("BOOKFLOW_ALLOW_PRIVATE_URLS", "false")
    monkeypatch.delenv("BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE", raising=False)


async def test_the_api_refuses_bad_urls_and_unknown_triggers_naming_the_field(private_urls_refused, stack):
    for url in ("http://169.254.169.254/", "ftp://example.com/", "http://localhost:1/hook", "http://127.0.0.1:1/"):
        response = await stack.http.post("/v2/webhooks", json={"subscriberUrl": url, "triggers": ["BOOKING_CREATED"]})
        assert response.status_code == 400
        assert response.json()["error"]["message"].startswith("subscriberUrl: ")
    response = await stack.http.post(
        "/v2/webhooks", json={"subscriberUrl": "http://93.184.216.34/", "triggers": ["BOOKING_EXPLODED"]}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("triggers.0: ")
    async with stack.db.sessions() as session:
        assert await store.list_subscriptions(session, all_scopes=True) == []


async def _pending_delivery(db, url: str) -> str:
    """A subscription to ``url`` (saved directly: the create-time check is not under test) and one event."""
    now = datetime.now(UTC)
    sub = Subscription(
        id="sub-1", subscriber_url=url, triggers=[Trigger.BOOKING_CREATED], created_at=now, updated_at=now
    )
    event = BookingEvent(
        event_id="bk-1:BOOKING_CREATED:0", booking_uid="bk-1", trigger="BOOKING_CREATED", created_at=now,
        body={"triggerEvent": "BOOKING_CREATED", "createdAt": "x", "payload": {}},
    )  # fmt: skip
    delivery = Delivery(
        id=delivery_id(event.event_id, sub.id),
        event_id=event.event_id,
        subscription_id=sub.id,
        trigger=event.trigger,
        created_at=now,
        updated_at=now,
    )
    async with db.transaction() as session:
        await store.save_subscription(session, sub)
        await events.record(session, event)
        await store.add_delivery(session, delivery)
    return delivery.id


async def _attempt(db, delivery: str, allow_private: bool, resolver=None):
    settings = WebhookSettings(allow_private=allow_private)
    activities = WebhookActivities(db, settings, resolver) if resolver else WebhookActivities(db, settings)
    result = await activities.attempt_delivery(AttemptRequest(delivery_id=delivery, series=1, number=1))
    async with db.sessions() as session:
        (attempt,) = await store.attempts_of(session, delivery)
    return result, attempt


async def test_at_send_time_a_loopback_target_is_refused_without_a_request(sqlite_db):
    async with receiving() as receiver:
        delivery = await _pending_delivery(sqlite_db, receiver.url_for("localhost"))
        result, attempt = await _attempt(sqlite_db, delivery, allow_private=False)
        assert receiver.requests == []
    assert result.outcome is Outcome.FAILED
    assert "refused by the URL policy" in attempt.error


async def test_at_send_time_the_host_is_resolved_again_dns_rebinding(sqlite_db):
    async def rebound(host, port):  # the name pointed elsewhere at create time; now it points inside
        return ["127.0.0.1"]

    async with receiving() as receiver:
        delivery = await _pending_delivery(sqlite_db, receiver.url_for("hooks.example.test"))
        result, attempt = await _attempt(sqlite_db, delivery, allow_private=False, resolver=rebound)
        assert receiver.requests == []
    assert result.outcome is Outcome.FAILED and "127.0.0.1" in attempt.error


async def test_the_checked_address_is_the_one_connected_to(sqlite_db):
    async def pinned(host, port):
        return ["127.0.0.1"]

    async with receiving() as receiver:
        delivery = await _pending_delivery(sqlite_db, receiver.url_for("hooks.example.test"))
        result, _ = await _attempt(sqlite_db, delivery, allow_private=True, resolver=pinned)
        (request,) = receiver.requests
        assert request.headers["Host"] == f"hooks.example.test:{receiver.port}"
    assert result.outcome is Outcome.DELIVERED


async def test_a_redirect_is_not_followed(sqlite_db):
    async with receiving((302, {"Location": "/elsewhere"})) as receiver:
        delivery = await _pending_delivery(sqlite_db, receiver.url)
        result, attempt = await _attempt(sqlite_db, delivery, allow_private=True)
        assert [r.path for r in receiver.requests] == ["/hook"]
    assert result.outcome is Outcome.FAILED and attempt.status_code == 302
    async with sqlite_db.sessions() as session:
        assert (await store.get_delivery(session, delivery)).status is DeliveryStatus.FAILED

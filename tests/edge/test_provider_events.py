"""Provider events count only when signed by the provider: Stripe payments and Daily joins.

Payloads are signed as the providers sign them: Stripe's with the stripe library's own helper, Daily's
with the algorithm Daily documents (base64 HMAC-SHA256 of "{timestamp}.{body}", keyed with the base64
``hmac`` secret).
"""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import stripe

from store import bookings
from testkit.stack import event_type, eventually, running_worker, seed, soon
from tests.edge.support import booking_body, edge_api

STRIPE_SECRET = "whsec_test_5f1c0ffee"
DAILY_SECRET = base64.b64encode(b"daily-hmac-secret-for-tests").decode()


@asynccontextmanager
async def paid_stack(temporal_env, db, task_queue) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db, event_type(1, price=2500))
    secrets = {"stripe_webhook_secret": STRIPE_SECRET, "daily_webhook_secret": DAILY_SECRET}
    async with (
        running_worker(temporal_env.client, db, task_queue),
        edge_api(temporal_env.client, db, task_queue, **secrets) as http,
    ):
        yield http


async def _book(http: httpx.AsyncClient) -> str:
    response = await http.post("/v2/bookings", json=booking_body(soon(3600)))
    assert response.status_code == 201, response.text
    assert response.json()["data"]["status"] == "pending"
    return response.json()["data"]["uid"]


async def _stored(db, uid: str):
    async with db.sessions() as session:
        return await bookings.get(session, uid)


def stripe_event(uid: str, event_id: str = "evt_1Q", kind: str = "checkout.session.completed") -> bytes:
    session = {"id": "cs_test_1", "object": "checkout.session", "payment_intent": "pi_test_1"}
    session |= {"payment_status": "paid", "metadata": {"bookingUid": uid}}
    event = {"id": event_id, "object": "event", "type": kind, "data": {"object": session}}
    return json.dumps(event).encode()


def stripe_headers(body: bytes, secret: str = STRIPE_SECRET, at: int | None = None) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=at)
    return {"Stripe-Signature": header, "Content-Type": "application/json"}


def daily_event(uid: str, email: str = "bo@example.com", event_id: str = "ptcpt-join-1") -> bytes:
    payload = {"room": uid, "user_id": email, "user_name": "Bo", "joined_at": time.time(), "owner": False}
    return json.dumps({"version": "1.0.0", "type": "participant.joined", "id": event_id, "payload": payload}).encode()


def daily_headers(body: bytes, secret: str = DAILY_SECRET, at: int | None = None) -> dict[str, str]:
    stamp = str(at if at is not None else int(time.time()))
    digest = hmac.new(base64.b64decode(secret), stamp.encode() + b"." + body, hashlib.sha256).digest()
    return {
        "X-Webhook-Timestamp": stamp,
        "X-Webhook-Signature": base64.b64encode(digest).decode(),
        "Content-Type": "application/json",
    }


async def _paid_events(db, uid: str) -> list[Any]:
    from store import events

    async with db.sessions() as session:
        return [e for e in await events.for_booking(session, uid) if e.trigger == "BOOKING_PAID"]


async def test_a_signed_stripe_event_pays_the_booking_once(temporal_env, sqlite_db, task_queue):
    async with paid_stack(temporal_env, sqlite_db, task_queue) as http:
        uid = await _book(http)
        body = stripe_event(uid)
        headers = stripe_headers(body)
        first = await http.post("/v2/payments/stripe/webhook", content=body, headers=headers)
        assert first.status_code == 200, first.text
        assert first.json()["data"]["applied"] is True
        paid = await eventually(lambda: _stored(sqlite_db, uid), lambda b: b.paid)
        assert paid.status.value == "ACCEPTED"
        # The same delivery again (Stripe retries, or someone replays it): acknowledged, not applied.
        again = await http.post("/v2/payments/stripe/webhook", content=body, headers=headers)
        assert again.status_code == 200 and again.json()["data"]["duplicate"] is True, again.text
        # Stripe's second event for the same payment is applied as an event but pays nothing twice.
        other = stripe_event(uid, "evt_2Q", "payment_intent.succeeded")
        later = await http.post("/v2/payments/stripe/webhook", content=other, headers=stripe_headers(other))
        assert later.status_code == 200, later.text
        await eventually(lambda: _stored(sqlite_db, uid), lambda b: "evt_2Q" in b.payment_event_ids)
        assert len(await _paid_events(sqlite_db, uid)) == 1


@pytest.mark.parametrize("forgery", ["wrong secret", "stale timestamp", "tampered body", "no signature"])
async def test_a_forged_stripe_event_is_400_and_changes_nothing(temporal_env, sqlite_db, task_queue, forgery):
    async with paid_stack(temporal_env, sqlite_db, task_queue) as http:
        uid = await _book(http)
        body = stripe_event(uid)
        match forgery:
            case "wrong secret":
                headers = stripe_headers(body, secret="whsec_someone_else")
            case "stale timestamp":
                headers = stripe_headers(body, at=int(time.time()) - 301)
            case "tampered body":
                headers = stripe_headers(stripe_event("another-booking"))
            case _:
                headers = {"Content-Type": "application/json"}
        response = await http.post("/v2/payments/stripe/webhook", content=body, headers=headers)
        assert response.status_code == 400, response.text
        assert "Stripe-Signature" in response.json()["error"]["message"]
        booking = await _stored(sqlite_db, uid)
        assert not booking.paid and booking.status.value == "PENDING" and booking.payment_event_ids == []


async def test_a_signed_daily_join_is_recorded_once(temporal_env, sqlite_db, task_queue):
    async with paid_stack(temporal_env, sqlite_db, task_queue) as http:
        uid = await _book(http)
        body = daily_event(uid)
        headers = daily_headers(body)
        first = await http.post("/v2/video/daily/webhook", content=body, headers=headers)
        assert first.status_code == 200 and first.json()["data"]["applied"] is True, first.text
        joined = await eventually(lambda: _stored(sqlite_db, uid), lambda b: len(b.joins) == 1)
        assert str(joined.joins[0].email) == "bo@example.com"
        again = await http.post("/v2/video/daily/webhook", content=body, headers=headers)
        assert again.status_code == 200 and again.json()["data"]["duplicate"] is True, again.text
        # A later, different event is applied; the replay never was.
        other = daily_event(uid, email="host@example.com", event_id="ptcpt-join-2")
        later = await http.post("/v2/video/daily/webhook", content=other, headers=daily_headers(other))
        assert later.status_code == 200 and later.json()["data"]["applied"] is True, later.text
        await eventually(lambda: _stored(sqlite_db, uid), lambda b: len(b.joins) == 2)


@pytest.mark.parametrize("forgery", ["wrong secret", "stale timestamp", "tampered body", "no signature"])
async def test_a_forged_daily_event_is_401_and_changes_nothing(temporal_env, sqlite_db, task_queue, forgery):
    async with paid_stack(temporal_env, sqlite_db, task_queue) as http:
        uid = await _book(http)
        body = daily_event(uid)
        match forgery:
            case "wrong secret":
                headers = daily_headers(body, secret=base64.b64encode(b"not-the-secret").decode())
            case "stale timestamp":
                headers = daily_headers(body, at=int(time.time()) - 301)
            case "tampered body":
                headers = daily_headers(daily_event(uid, email="mallory@example.com"))
            case _:
                headers = {"Content-Type": "application/json"}
        response = await http.post("/v2/video/daily/webhook", content=body, headers=headers)
        assert response.status_code == 401, response.text
        assert (await _stored(sqlite_db, uid)).joins == []


async def test_provider_webhooks_are_off_without_their_secret(temporal_env, sqlite_db, task_queue):
    await seed(sqlite_db, event_type(1, price=2500))
    async with edge_api(temporal_env.client, sqlite_db, task_queue) as http:
        body = stripe_event("x")
        response = await http.post("/v2/payments/stripe/webhook", content=body, headers=stripe_headers(body))
        assert response.status_code == 404, response.text
        body = daily_event("x")
        response = await http.post("/v2/video/daily/webhook", content=body, headers=daily_headers(body))
        assert response.status_code == 404, response.text


async def test_a_manual_payment_needs_an_admin_key_and_records_who_made_it(temporal_env, sqlite_db, task_queue):
    from store import provider_events
    from testkit.access import bearer, issue_keys

    async with paid_stack(temporal_env, sqlite_db, task_queue) as http:
        keys = await issue_keys(sqlite_db)
        uid = await _book(http)
        manual = {"paymentEventId": "evt_manual_1"}
        assert (await http.post(f"/v2/bookings/{uid}/payments", json=manual)).status_code == 401
        owner = await http.post(f"/v2/bookings/{uid}/payments", json=manual, headers=bearer(keys.owner))
        assert owner.status_code == 403, owner.text
        assert not (await _stored(sqlite_db, uid)).paid
        admin = await http.post(f"/v2/bookings/{uid}/payments", json=manual, headers=bearer(keys.admin))
        assert admin.status_code == 202 and admin.json()["data"]["recordedBy"] == "admin", admin.text
        await eventually(lambda: _stored(sqlite_db, uid), lambda b: b.paid)
        async with sqlite_db.sessions() as session:
            [recorded] = await provider_events.for_booking(session, uid)
        assert (recorded.provider, recorded.event_id) == ("manual", "evt_manual_1")
        assert "reported by admin admin" in recorded.outcome


async def test_dailys_endpoint_check_is_answered_without_effect(temporal_env, sqlite_db, task_queue):
    async with paid_stack(temporal_env, sqlite_db, task_queue) as http:
        uid = await _book(http)
        response = await http.post("/v2/video/daily/webhook", json={"test": "test"})
        assert response.status_code == 200 and response.json()["data"]["applied"] is False, response.text
        assert (await _stored(sqlite_db, uid)).joins == []

"""Deliveries end to end: a booking made through the API reaches real receivers on loopback."""

import base64
import hashlib
import hmac
import json

from standardwebhooks import Webhook
from temporalio.service import RPCError, RPCStatusCode

from store import webhooks as store
from testkit.receiver import receiving
from testkit.stack import event_type, eventually, seed, soon
from tests.webhooks.structure import missing_or_mistyped
from tests.webhooks.test_golden_payloads import goldens

SECRET = "a shared secret"


def independent_cal_signature(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def standard_verifier() -> Webhook:
    return Webhook("whsec_" + base64.b64encode(SECRET.encode()).decode())


async def subscribe(stack, url: str, triggers=("BOOKING_CREATED",), path="/v2/webhooks", **fields) -> dict:
    body = {"subscriberUrl": url, "triggers": list(triggers), "secret": SECRET} | fields
    response = await stack.http.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def stored_id(stack, webhook: dict) -> str:
    """The string id deliveries and their workflows use for a webhook the API shows with a numeric id."""
    async with stack.db.sessions() as session:
        return (await store.get_subscription(session, str(webhook["id"]))).id


async def deliveries(stack, subscription_id: str) -> list[dict]:
    response = await stack.http.get(f"/v2/webhooks/{subscription_id}/deliveries")
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def workflow_exists(client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        assert error.status is RPCStatusCode.NOT_FOUND
        return False
    return True


async def test_a_booking_arrives_signed_both_ways_in_calcoms_shape(stack):
    await seed(stack.db, event_type(1))
    async with receiving() as receiver:
        sub = await subscribe(stack, receiver.url)
        booking = await stack.book(1, soon(3600), guests=["guest@example.com"])
        (request,) = await receiver.wait_for(1)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Cal-Signature-256"] == independent_cal_signature(request.body)
    assert request.headers["X-Cal-Webhook-Version"] == "2021-10-20"
    assert request.headers["User-Agent"].startswith("Bookflow/")
    sent = standard_verifier().verify(request.body, request.headers)
    assert sent["triggerEvent"] == "BOOKING_CREATED"
    assert sent["payload"]["uid"] == booking["uid"]
    assert missing_or_mistyped(goldens("BOOKING_CREATED")[0], sent) == []
    (delivery,) = await eventually(lambda: deliveries(stack, sub["id"]), lambda d: d and d[0]["status"] == "delivered")
    assert delivery["id"] == request.headers["webhook-id"]
    assert [a["statusCode"] for a in delivery["log"]] == [200]


async def test_a_receiver_failing_three_times_gets_the_event_on_the_fourth_attempt(stack):
    await seed(stack.db, event_type(1))
    async with receiving((500, {}), (500, {}), (500, {}), (200, {})) as receiver:
        sub = await subscribe(stack, receiver.url)
        await stack.book(1, soon(3600))
        requests = await receiver.wait_for(4)
        done = await eventually(lambda: deliveries(stack, sub["id"]), lambda d: d and d[0]["status"] == "delivered")
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    assert len({r.body for r in requests}) == 1
    for request in requests:
        standard_verifier().verify(request.body, request.headers)
    log = done[0]["log"]
    assert [a["statusCode"] for a in log] == [500, 500, 500, 200]
    assert [a["number"] for a in log] == [1, 2, 3, 4]
    assert all(a["latencyMs"] >= 0 and a["responseBody"].startswith("answer") for a in log)
    assert done[0]["attempts"] == 4


async def test_a_400_is_not_retried_and_the_delivery_fails(stack):
    await seed(stack.db, event_type(1))
    async with receiving((400, {})) as receiver:
        sub = await subscribe(stack, receiver.url)
        await stack.book(1, soon(3600))
        await receiver.wait_for(1)
        done = await eventually(lambda: deliveries(stack, sub["id"]), lambda d: d and d[0]["status"] == "failed")
        # Settled by its first attempt: no retry series was started, so nothing can send it again.
        # Deliveries and their workflows name the subscription by its string id, not Cal.com's number.
        retry_series = f"delivery:{done[0]['eventId']}:{done[0]['subscriptionId']}"
        assert not await workflow_exists(stack.client, retry_series)
        assert len(receiver.requests) == 1
    assert [a["statusCode"] for a in done[0]["log"]] == [400]


async def test_a_410_fails_the_delivery_and_deactivates_the_subscription(stack):
    await seed(stack.db, event_type(1))
    async with receiving((410, {})) as receiver:
        sub = await subscribe(stack, receiver.url)
        await stack.book(1, soon(3600))
        await receiver.wait_for(1)
        await eventually(lambda: deliveries(stack, sub["id"]), lambda d: d and d[0]["status"] == "failed")
    current = (await stack.http.get(f"/v2/webhooks/{sub['id']}")).json()["data"]
    assert current["active"] is False


async def test_a_subscriber_at_two_scopes_gets_one_delivery_per_event(stack):
    await seed(stack.db, event_type(1))
    async with receiving() as receiver:
        wide = await subscribe(stack, receiver.url)
        scoped = await subscribe(stack, receiver.url, path="/v2/event-types/1/webhooks")
        booking = await stack.book(1, soon(3600))
        await receiver.wait_for(1)
        # The most specific scope delivered; the instance-wide one has no delivery at all.
        done = await eventually(lambda: deliveries(stack, scoped["id"]), lambda d: d and d[0]["status"] == "delivered")
        assert [d["eventId"] for d in done] == [f"{booking['uid']}:BOOKING_CREATED:0"]
        assert await deliveries(stack, wide["id"]) == []
        assert len(receiver.requests) == 1


async def test_exhausted_retries_fail_and_a_redelivery_reuses_the_webhook_id(stack):
    await seed(stack.db, event_type(1))
    async with receiving((503, {"Retry-After": "0"}), (503, {}), (503, {}), (503, {}), (503, {}), (200, {})) as rx:
        sub = await subscribe(stack, rx.url)
        await stack.book(1, soon(3600))
        failed = await eventually(lambda: deliveries(stack, sub["id"]), lambda d: d and d[0]["status"] == "failed")
        assert len(rx.requests) == 5  # the first attempt and four retries
        from activities.webhooks import WebhookDispatcher
        from worker.settings import load_settings

        dispatcher = WebhookDispatcher(stack.db, stack.client, stack.task_queue, load_settings().webhooks)
        await dispatcher.redeliver(failed[0]["id"])
        await rx.wait_for(6)
        done = await eventually(lambda: deliveries(stack, sub["id"]), lambda d: d[0]["status"] == "delivered")
    assert {r.headers["webhook-id"] for r in rx.requests} == {failed[0]["id"]}
    assert [(a["series"], a["statusCode"]) for a in done[0]["log"]][-2:] == [(1, 503), (2, 200)]


async def test_a_template_shapes_the_body_and_the_signature_covers_it(stack):
    await seed(stack.db, event_type(1))
    template = json.dumps({"content": "New", "type": "{{type}}", "booker": "{{attendees.0.name}}"})
    async with receiving() as json_rx, receiving() as form_rx:
        await subscribe(stack, json_rx.url, payloadTemplate=template)
        await subscribe(stack, form_rx.url, payloadTemplate="event={{triggerEvent}}&uid={{uid}}")
        booking = await stack.book(1, soon(3600))
        (as_json,) = await json_rx.wait_for(1)
        (as_form,) = await form_rx.wait_for(1)
    assert json.loads(as_json.body) == {"content": "New", "type": "event-1", "booker": "Bo Booker"}
    assert as_json.headers["X-Cal-Signature-256"] == independent_cal_signature(as_json.body)
    assert as_form.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert as_form.body.decode() == f"event=BOOKING_CREATED&uid={booking['uid']}"
    standard_verifier().verify(as_form.body, as_form.headers, json_parse=False)


async def test_deliveries_are_logged_in_the_store(stack):
    await seed(stack.db, event_type(1))
    async with receiving() as receiver:
        sub = await subscribe(stack, receiver.url)
        await stack.book(1, soon(3600))
        await receiver.wait_for(1)
        await eventually(lambda: deliveries(stack, sub["id"]), lambda d: d and d[0]["status"] == "delivered")
    async with stack.db.sessions() as session:
        (delivery,) = await store.list_deliveries(session, await stored_id(stack, sub))
        (attempt,) = await store.attempts_of(session, delivery.id)
    assert attempt.status_code == 200 and attempt.error is None

"""Console webhooks screen over HTTP against the real stack: scoping (own only, another's is a 404), CSRF,
enable/disable through the API's update, ping, failing deliveries first, and redelivery with the CLI's
rules (previewed first; a series still retrying is stopped, so the receiver sees exactly one arrival)."""

import json

import pytest

from activities.redelivery import is_running
from domain.webhooks import DeliveryStatus, workflow_id
from store import webhooks as store
from testkit.browser import launched_chromium, open_page, served_stack
from testkit.receiver import receiving
from testkit.stack import eventually, running_stack, soon
from tests.console.helpers import csrf, signed_in
from tests.console.seeds import seed_owners


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """One retry 0.3 s after the first attempt, then the delivery has failed; receivers on loopback."""
    monkeypatch.setenv("BOOKFLOW_WEBHOOK_RETRY_SCHEDULE", "0.3")
    monkeypatch.setenv("BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE", "true")


async def subscribe(http, url: str, triggers: tuple[str, ...] = ("BOOKING_CREATED",)) -> str:
    """Subscribe through the API with ``http``'s key; the subscription's string id."""
    response = await http.post("/v2/webhooks", json={"subscriberUrl": url, "triggers": list(triggers)})
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def string_id(stack, number: str) -> str:
    async with stack.db.sessions() as session:
        return (await store.get_subscription(session, number)).id


async def deliveries(stack, subscription_id: str):
    async with stack.db.sessions() as session:
        return await store.list_deliveries(session, subscription_id)


async def one_delivery(stack, subscription_id: str, status: DeliveryStatus):
    found = await eventually(
        lambda: deliveries(stack, subscription_id), lambda ds: len(ds) == 1 and ds[0].status is status
    )
    return found[0]


async def one_delivery_status(stack, delivery_id: str, status: DeliveryStatus):
    async def read():
        async with stack.db.sessions() as session:
            return await store.get_delivery(session, delivery_id)

    return await eventually(read, lambda d: d.status is status)


async def booked_delivery(stack, owner_api, url: str, event_type_id: int, status: DeliveryStatus):
    """Subscribe the owner to ``url``, book ``event_type_id`` and wait until its one delivery is ``status``:
    (the subscription's string id, the delivery)."""
    sub = await string_id(stack, await subscribe(owner_api, url))
    await stack.book(event_type_id, soon(3600))
    return sub, await one_delivery(stack, sub, status)


async def test_an_owner_sees_only_their_own_subscriptions_and_another_owners_is_a_404(stack):
    await seed_owners(stack.db)
    async with stack.as_(stack.keys.owner) as owner_api, stack.as_(stack.keys.other) as other_api:
        mine = await string_id(stack, await subscribe(owner_api, "http://127.0.0.1:9/mine"))
        theirs = await string_id(stack, await subscribe(other_api, "http://127.0.0.1:9/theirs"))
    async with signed_in(stack, stack.keys.owner) as http:
        page = await http.get("/console/webhooks")
        assert page.status_code == 200
        assert "http://127.0.0.1:9/mine" in page.text and "http://127.0.0.1:9/theirs" not in page.text
        assert (await http.get(f"/console/webhooks/{mine}")).status_code == 200
        assert (await http.get(f"/console/webhooks/{theirs}")).status_code == 404
        token = await csrf(http, "/console/webhooks")
        refused = await http.post(f"/console/webhooks/{theirs}/disable", data={"csrf_token": token})
        assert refused.status_code == 404
        assert (await http.post(f"/console/webhooks/{theirs}/ping", data={"csrf_token": token})).status_code == 404
    async with signed_in(stack, stack.keys.admin) as http:
        page = await http.get("/console/webhooks")
        assert "http://127.0.0.1:9/mine" in page.text and "http://127.0.0.1:9/theirs" in page.text
        # Failures and CRM are admin links; an owner's nav does not show them (test_failures/test_crm refuse them).
        assert 'href="/console/failures"' in page.text
    async with signed_in(stack, stack.keys.owner) as http:
        assert 'href="/console/failures"' not in (await http.get("/console/webhooks")).text
    async with stack.as_(stack.keys.other) as other_api:
        assert (await other_api.get(f"/v2/webhooks/{theirs}")).json()["data"]["active"] is True


async def test_disable_and_enable_need_the_csrf_token_and_go_through_the_api_update(stack):
    await seed_owners(stack.db)
    async with stack.as_(stack.keys.owner) as owner_api:
        number = await subscribe(owner_api, "http://127.0.0.1:9/hook")
        sub = await string_id(stack, number)
        async with signed_in(stack, stack.keys.owner) as http:
            forged = await http.post(f"/console/webhooks/{sub}/disable", data={"csrf_token": "forged"})
            assert forged.status_code == 403
            assert (await http.post(f"/console/webhooks/{sub}/disable")).status_code == 403
            assert (await owner_api.get(f"/v2/webhooks/{number}")).json()["data"]["active"] is True

            token = await csrf(http, "/console/webhooks")
            done = await http.post(f"/console/webhooks/{sub}/disable", data={"csrf_token": token})
            assert done.status_code == 303
            assert (await owner_api.get(f"/v2/webhooks/{number}")).json()["data"]["active"] is False
            assert "disabled" in (await http.get(done.headers["location"])).text
            await http.post(f"/console/webhooks/{sub}/enable", data={"csrf_token": token})
            assert (await owner_api.get(f"/v2/webhooks/{number}")).json()["data"]["active"] is True


async def test_a_ping_reaches_the_receiver_once(stack):
    await seed_owners(stack.db)
    async with receiving((200, {})) as rx, stack.as_(stack.keys.owner) as owner_api:
        sub = await string_id(stack, await subscribe(owner_api, rx.url))
        async with signed_in(stack, stack.keys.owner) as http:
            token = await csrf(http, "/console/webhooks")
            sent = await http.post(f"/console/webhooks/{sub}/ping", data={"csrf_token": token})
            assert sent.status_code == 303
            (arrival,) = await rx.wait_for(1)
            assert json.loads(arrival.body)["triggerEvent"] == "PING"
            listed = await http.get(f"/console/webhooks/{sub}")
            assert "PING" in listed.text and "delivered" in listed.text


async def test_failing_deliveries_come_first_and_a_redelivery_arrives_once(stack):
    await seed_owners(stack.db, 171)
    async with receiving((500, {})) as rx, stack.as_(stack.keys.owner) as owner_api:
        sub, failed = await booked_delivery(stack, owner_api, rx.url, 171, DeliveryStatus.FAILED)
        assert len(rx.requests) == 2  # the first attempt and the one retry
        rx.script = [(200, {})]  # the receiver recovers
        await stack.book(171, soon(7200))
        delivered = await eventually(
            lambda: deliveries(stack, sub), lambda ds: any(d.status is DeliveryStatus.DELIVERED for d in ds)
        )
        assert delivered[0].id != failed.id  # the newer one is the delivered one
        assert len(rx.requests) == 3

        async with signed_in(stack, stack.keys.owner) as http:
            listed = (await http.get(f"/console/webhooks/{sub}")).text
            assert listed.index(failed.id) < listed.index(delivered[0].id)  # failing first, though older
            assert "HTTP 500" in listed

            preview = await http.get(f"/console/webhooks/deliveries/{failed.id}/redeliver")
            assert preview.status_code == 200
            assert workflow_id(failed.event_id, sub, 2) in preview.text  # the new series, nothing sent yet
            assert len(rx.requests) == 3

            token = await csrf(http, f"/console/webhooks/deliveries/{failed.id}/redeliver")
            unconfirmed = await http.post(
                f"/console/webhooks/deliveries/{failed.id}/redeliver", data={"csrf_token": token}
            )
            assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.text
            done = await http.post(
                f"/console/webhooks/deliveries/{failed.id}/redeliver", data={"csrf_token": token, "confirm": "yes"}
            )
            assert done.status_code == 200, done.text
            assert "Redelivery started" in done.text
            await rx.wait_for(4)
            redelivered = rx.requests[3]
            assert redelivered.headers["webhook-id"] == failed.id  # same webhook-id: the receiver can dedupe
            await one_delivery_status(stack, failed.id, DeliveryStatus.DELIVERED)
            assert len(rx.requests) == 4


async def test_redelivering_a_retrying_delivery_stops_its_series_first(
    temporal_env, sqlite_db, task_queue, monkeypatch
):
    # The series' retry is 30 s away: the delivery is still retrying when the console redelivers it.
    monkeypatch.setenv("BOOKFLOW_WEBHOOK_RETRY_SCHEDULE", "30,0.3")
    await seed_owners(sqlite_db, 172)
    async with (
        running_stack(temporal_env.client, sqlite_db, task_queue) as stack,
        receiving((500, {}), (200, {})) as rx,
        stack.as_(stack.keys.owner) as owner_api,
    ):
        sub, retrying = await booked_delivery(stack, owner_api, rx.url, 172, DeliveryStatus.RETRYING)
        first_series = workflow_id(retrying.event_id, sub, 1)
        async with signed_in(stack, stack.keys.owner) as http:
            preview = await http.get(f"/console/webhooks/deliveries/{retrying.id}/redeliver")
            assert preview.status_code == 200
            assert first_series in preview.text  # the dry run says which running series it stops
            assert len(rx.requests) == 1
            token = await csrf(http, f"/console/webhooks/deliveries/{retrying.id}/redeliver")
            done = await http.post(
                f"/console/webhooks/deliveries/{retrying.id}/redeliver", data={"csrf_token": token, "confirm": "yes"}
            )
            assert done.status_code == 200, done.text
            assert "was stopped first" in done.text
        await one_delivery_status(stack, retrying.id, DeliveryStatus.DELIVERED)
        assert not await is_running(stack.client, first_series)  # stopped: its 30 s retry will never be sent
        assert [r.headers["webhook-id"] for r in rx.requests] == [retrying.id, retrying.id]


async def test_another_owner_cannot_preview_or_redeliver_a_delivery(stack):
    await seed_owners(stack.db, 73)
    async with receiving((500, {})) as rx, stack.as_(stack.keys.owner) as owner_api:
        sub, failed = await booked_delivery(stack, owner_api, rx.url, 73, DeliveryStatus.FAILED)
        async with signed_in(stack, stack.keys.other) as http:
            assert (await http.get(f"/console/webhooks/deliveries/{failed.id}/redeliver")).status_code == 404
            token = await csrf(http, "/console/webhooks")
            refused = await http.post(
                f"/console/webhooks/deliveries/{failed.id}/redeliver", data={"csrf_token": token, "confirm": "yes"}
            )
            assert refused.status_code == 404
        assert len(rx.requests) == 2
        (still,) = await deliveries(stack, sub)
        assert (still.status, still.series) == (DeliveryStatus.FAILED, 1)


async def test_a_disabled_subscriptions_delivery_is_refused_with_the_fix(stack):
    await seed_owners(stack.db, 74)
    async with receiving((500, {})) as rx, stack.as_(stack.keys.owner) as owner_api:
        number = await subscribe(owner_api, rx.url)
        sub = await string_id(stack, number)
        await stack.book(74, soon(3600))
        failed = await one_delivery(stack, sub, DeliveryStatus.FAILED)
        await owner_api.patch(f"/v2/webhooks/{number}", json={"active": False})
        async with signed_in(stack, stack.keys.owner) as http:
            preview = await http.get(f"/console/webhooks/deliveries/{failed.id}/redeliver")
            assert preview.status_code == 409
            assert "inactive" in preview.text and "enable it first" in preview.text
            assert "Redeliver now" not in preview.text
        assert len(rx.requests) == 2


@pytest.fixture
async def chromium():
    """Debian's headless Chromium for the journey (testkit.browser)."""
    async with launched_chromium() as running:
        yield running


async def test_journey_an_admin_redelivers_a_failed_delivery_and_the_receiver_sees_one_arrival(
    stack, chromium, request
):
    """In Chromium: the receiver answered 500 until the delivery failed, then recovered; the admin signs in,
    finds the failing delivery, previews the redelivery, redelivers it, and the receiver gets it once."""
    await seed_owners(stack.db, 75)
    async with receiving((500, {})) as rx, stack.as_(stack.keys.owner) as owner_api:
        _, failed = await booked_delivery(stack, owner_api, rx.url, 75, DeliveryStatus.FAILED)
        rx.script = [(200, {})]  # the receiver is fixed
        before = len(rx.requests)
        assert before == 2

        async with served_stack(stack) as base_url, open_page(chromium, request) as tab:
            page = tab.page
            await page.goto(f"{base_url}/console/login")
            await page.get_by_label("API key").fill(stack.keys.admin)
            await page.get_by_role("button", name="Sign in with key").click()
            await page.get_by_role("navigation", name="Console").get_by_role("link", name="Webhooks").click()
            await page.get_by_role("link", name=rx.url).click()

            first = page.locator("table.deliveries tbody tr").first  # failing ones come first
            assert await first.get_attribute("data-delivery") == failed.id
            assert await first.get_attribute("data-status") == "failed"
            await first.get_by_role("link", name="Redeliver…").click()
            await page.get_by_role("heading", name="Dry run").wait_for()
            assert len(rx.requests) == before  # the preview sends nothing

            await page.get_by_role("button", name="Redeliver now").click()
            await page.get_by_role("status").filter(has_text="Redelivery started").wait_for()
            tab.assert_no_console_errors()

        await rx.wait_for(before + 1)
        await one_delivery_status(stack, failed.id, DeliveryStatus.DELIVERED)
        assert len(rx.requests) == before + 1  # exactly one more arrival
        assert rx.requests[-1].headers["webhook-id"] == failed.id

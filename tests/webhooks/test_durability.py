"""A delivery survives its worker: killed mid-retry and restarted, the event still arrives."""

import httpx

from api.app import create_app
from store import webhooks
from testkit.access import client_as, issue_keys
from testkit.history import timers_fired, timers_started
from testkit.receiver import receiving
from testkit.stack import api_context, event_type, eventually, running_worker, seed, soon
from worker.settings import load_settings


async def test_the_worker_stopped_mid_retry_and_restarted_still_delivers(
    temporal_env, sqlite_db, task_queue, monkeypatch
):
    monkeypatch.setenv("BOOKFLOW_WEBHOOK_RETRY_SCHEDULE", "2,0.2")
    await seed(sqlite_db, event_type(1))
    ctx = api_context(temporal_env.client, sqlite_db, task_queue, 1)
    transport = httpx.ASGITransport(app=create_app(ctx))
    keys = await issue_keys(sqlite_db)
    async with (
        receiving((500, {}), (200, {})) as receiver,
        client_as(transport, keys.admin) as http,
    ):
        created = await http.post("/v2/webhooks", json={"subscriberUrl": receiver.url, "triggers": ["BOOKING_CREATED"]})
        assert created.status_code == 201, created.text
        async with running_worker(temporal_env.client, sqlite_db, task_queue):
            response = await http.post(
                "/v2/bookings",
                json={"start": soon(3600).isoformat(), "eventTypeId": 1,
                      "attendee": {"name": "Bo", "email": "bo@example.com", "timeZone": "UTC"}},
            )  # fmt: skip
            assert response.status_code == 201, response.text
            await receiver.wait_for(1)
            # The worker stops once the delivery has set the timer of its retry.
            async with sqlite_db.sessions() as session:  # workflows name the subscription by its string id
                sub = await webhooks.get_subscription(session, str(created.json()["data"]["id"]))
            delivery = f"delivery:{response.json()['data']['uid']}:BOOKING_CREATED:0:{sub.id}"
            await eventually(lambda: timers_started(temporal_env.client, delivery), lambda started: started == 1)
        # The worker is gone while the retry timer runs out; nothing arrives meanwhile.
        await eventually(lambda: timers_fired(temporal_env.client, delivery), lambda fired: fired == 1)
        assert len(receiver.requests) == 1
        async with running_worker(temporal_env.client, sqlite_db, task_queue):
            requests = await receiver.wait_for(2)
            data = await http.get(f"/v2/webhooks/{created.json()['data']['id']}/deliveries")
    assert requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"]
    assert load_settings().webhooks.schedule == [2.0, 0.2]
    assert len(requests) == 2
    assert data.status_code == 200

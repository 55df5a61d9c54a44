"""Record DeliveryWorkflow histories for tests/test_replay.py (`python -m tests.webhooks.record_history [NAME]`,
NAME a part of a scenario's name, e.g. `stopped`; the recorded files guard code paths of their time, so
re-record one only on purpose).

``delivery_retried_then_delivered``: fails once with 503 (Retry-After), waits, lands on the second attempt.
``delivery_stopped_by_redelivery``: fails with 500; during the 30 s wait a redelivery's `stop` update
ends the series (the new series delivers).
"""

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.client import Client

from activities.webhooks import WebhookDispatcher
from domain.webhooks import DeliveryStatus, workflow_id
from store import webhooks as store
from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.devserver import start_dev_server
from testkit.receiver import Receiver, receiving
from testkit.stack import Stack, event_type, eventually, running_stack, seed, soon
from tests.support.histories import save_history
from worker.settings import load_settings


@asynccontextmanager
async def _subscribed(
    client: Client, schedule: str, *script: tuple[int, dict[str, str]]
) -> AsyncIterator[tuple[Stack, Receiver, str]]:
    """A fresh store and stack retrying on ``schedule``, and a receiver subscribed to BOOKING_CREATED."""
    os.environ |= {"BOOKFLOW_WEBHOOK_RETRY_SCHEDULE": schedule, "BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE": "true"}
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'record.db'}", TEST_SECRET_KEYS)
        try:
            await db.migrate()
            await seed(db, event_type(1))
            async with receiving(*script) as rx, running_stack(client, db, f"record-{schedule}") as stack:
                created = await stack.http.post(
                    "/v2/webhooks", json={"subscriberUrl": rx.url, "triggers": ["BOOKING_CREATED"], "secret": "s"}
                )
                async with db.sessions() as session:  # workflows name the subscription by its string id
                    sub = await store.get_subscription(session, str(created.json()["data"]["id"]))
                yield stack, rx, sub.id
        finally:
            await db.dispose()


async def _retried_then_delivered(client: Client) -> None:
    async with _subscribed(client, "0.5,0.5", (503, {"Retry-After": "1"}), (200, {})) as (stack, rx, sub):
        booking = await stack.book(1, soon(3600))
        await rx.wait_for(2)
        delivery = f"delivery:{booking['uid']}:BOOKING_CREATED:0:{sub}"
        await stack.client.get_workflow_handle(delivery).result()
        print(await save_history(stack.client, delivery, "delivery_retried_then_delivered"))


async def _stopped_by_redelivery(client: Client) -> None:
    async with _subscribed(client, "30,0.3", (500, {}), (200, {})) as (stack, rx, sub):
        await stack.book(1, soon(3600))
        await rx.wait_for(1)

        async def deliveries():
            async with stack.db.sessions() as session:
                return await store.list_deliveries(session)

        (delivery,) = await eventually(deliveries, lambda found: found and found[0].status is DeliveryStatus.RETRYING)
        await WebhookDispatcher(stack.db, client, stack.task_queue, load_settings().webhooks).redeliver(delivery.id)
        await rx.wait_for(2)
        old = workflow_id(delivery.event_id, sub)
        await client.get_workflow_handle(old).result()
        print(await save_history(client, old, "delivery_stopped_by_redelivery"))


async def main(which: str | None = None) -> None:
    env = await start_dev_server()
    try:
        for scenario in (_retried_then_delivered, _stopped_by_redelivery):
            if which is None or which in scenario.__name__:
                await scenario(env.client)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    import sys

    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))

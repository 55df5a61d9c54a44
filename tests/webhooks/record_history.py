"""Record a DeliveryWorkflow history for tests/test_replay.py (`python -m tests.webhooks.record_history`).

One delivery that fails once with 503 (Retry-After), waits, and lands on the second attempt.
"""

import asyncio
import os
import tempfile
from pathlib import Path

from store.db import Database
from tests.support.devserver import start_dev_server
from tests.support.histories import save_history
from tests.support.stack import event_type, running_stack, seed, soon
from tests.webhooks.receiver import receiving


async def main() -> None:
    os.environ |= {"BOOKFLOW_WEBHOOK_RETRY_SCHEDULE": "0.5,0.5", "BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE": "true"}
    env = await start_dev_server()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'record.db'}")
        try:
            await db.migrate()
            await seed(db, event_type(1))
            async with (
                receiving((503, {"Retry-After": "1"}), (200, {})) as rx,
                running_stack(env.client, db, "record-delivery") as stack,
            ):
                created = await stack.http.post(
                    "/v2/webhooks", json={"subscriberUrl": rx.url, "triggers": ["BOOKING_CREATED"], "secret": "s"}
                )
                sub = created.json()["data"]["id"]
                booking = await stack.book(1, soon(3600))
                await rx.wait_for(2)
                workflow_id = f"delivery:{booking['uid']}:BOOKING_CREATED:0:{sub}"
                await stack.client.get_workflow_handle(workflow_id).result()
                print(await save_history(stack.client, workflow_id, "delivery_retried_then_delivered"))
        finally:
            await db.dispose()
            await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())

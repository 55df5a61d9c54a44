"""Recording instant meetings' histories for the replay tests (`python -m tests.instant.record_histories`).

Two bookings on a real dev server, saved into tests/histories/ beside the others (tests/support/histories.py):
one accepted by a host then cancelled, one nobody accepted (cancelled by its expiry timer).
"""

import asyncio

from domain.config import Host, User
from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.devserver import start_dev_server
from testkit.stack import ORGANIZER, Stack, event_type, running_stack, seed, soon
from tests.support.histories import HISTORIES, save_history

BEA = User(id=2, name="Bea Host", email="bea@example.com", username="bea", time_zone="UTC")


async def _ring(stack: Stack, event_type_id: int) -> str:
    body = {"instant": True, "attendee": {"name": "John Doe", "email": "john@example.com", "timeZone": "UTC"}}
    booked = await stack.book(event_type_id, soon(120).replace(microsecond=0), **body)
    return booked["uid"]


async def _scenarios(stack: Stack) -> None:
    team = {"hosts": [Host(user_id=1), Host(user_id=2)], "is_instant_event": True}
    await seed(
        stack.db,
        event_type(1, instant_meeting_expiry_time_offset_in_seconds=600, **team),
        event_type(2, instant_meeting_expiry_time_offset_in_seconds=1, **team),
        users=[ORGANIZER, BEA],
    )
    accepted = await _ring(stack, 1)
    async with stack.as_(stack.keys.other) as bea:
        assert (await bea.post(f"/v2/bookings/{accepted}/instant/accept")).status_code == 200
    await stack.http.post(f"/v2/bookings/{accepted}/cancel", json={"cancellationReason": "solved by phone"})
    await stack.client.get_workflow_handle(accepted).result()
    await save_history(stack.client, accepted, "booking_instant_accepted_then_cancelled")

    expired = await _ring(stack, 2)
    await stack.client.get_workflow_handle(expired).result()
    await save_history(stack.client, expired, "booking_instant_expired")


async def main() -> None:
    env = await start_dev_server()
    db = Database(f"sqlite:///{HISTORIES / 'recording-instant.db'}", TEST_SECRET_KEYS)
    try:
        await db.migrate()
        async with running_stack(env.client, db, "record-instant-histories") as stack:
            await _scenarios(stack)
    finally:
        await db.dispose()
        (HISTORIES / "recording-instant.db").unlink(missing_ok=True)
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())

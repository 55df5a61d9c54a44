"""Recording instant meetings' histories for the replay tests (`python -m tests.instant.record_histories [name]`).

Bookings on a real dev server, saved into tests/histories/ beside the others (tests/support/histories.py):
one accepted by a host then cancelled, one nobody accepted (cancelled by its expiry timer), one accepted since
an acceptance sends the new-event confirmations (``accepted_confirmed``), and a seated booking opened by a seat
moved to an empty slot (``seat_opened``). Names given: only those are recorded, so histories recorded before
a change (which replay its unpatched path) stay as they were.
"""

import asyncio
import sys
from collections.abc import Awaitable, Callable

from domain.config import Host, User
from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.devserver import start_dev_server
from testkit.stack import ORGANIZER, Stack, event_type, running_stack, seed, soon
from tests.bookings_calcom.test_seat_moves import SEATS
from tests.reminders.support import rule
from tests.support.histories import HISTORIES, save_history

BEA = User(id=2, name="Bea Host", email="bea@example.com", username="bea", time_zone="UTC")


async def _ring(stack: Stack, event_type_id: int) -> str:
    body = {"instant": True, "attendee": {"name": "John Doe", "email": "john@example.com", "timeZone": "UTC"}}
    booked = await stack.book(event_type_id, soon(120).replace(microsecond=0), **body)
    return booked["uid"]


async def _accepted_then_cancelled(stack: Stack, event_type_id: int, name: str) -> None:
    accepted = await _ring(stack, event_type_id)
    async with stack.as_(stack.keys.other) as bea:
        assert (await bea.post(f"/v2/bookings/{accepted}/instant/accept")).status_code == 200
    await stack.http.post(f"/v2/bookings/{accepted}/cancel", json={"cancellationReason": "solved by phone"})
    await stack.client.get_workflow_handle(accepted).result()
    await save_history(stack.client, accepted, name)


async def _expired(stack: Stack) -> None:
    expired = await _ring(stack, 2)
    await stack.client.get_workflow_handle(expired).result()
    await save_history(stack.client, expired, "booking_instant_expired")


async def _seat_opened(stack: Stack) -> None:
    here, there = (soon(m * 60).replace(second=0, microsecond=0) for m in (60, 180))
    seats = [await stack.book(4, here, email=f"{who}@example.com") for who in ("ann", "ben")]
    moved = await stack.http.post(
        f"/v2/bookings/{seats[0]['uid']}/reschedule", json={"start": there.isoformat(), "seatUid": seats[0]["seatUid"]}
    )
    opened = moved.json()["data"]["uid"]
    await stack.http.post(f"/v2/bookings/{opened}/cancel", json={"cancellationReason": "cannot come after all"})
    await stack.client.get_workflow_handle(opened).result()
    await save_history(stack.client, opened, "booking_seat_moved_to_an_empty_slot")


SCENARIOS: dict[str, Callable[[Stack], Awaitable[None]]] = {
    "accepted": lambda stack: _accepted_then_cancelled(stack, 1, "booking_instant_accepted_then_cancelled"),
    "expired": _expired,
    "accepted_confirmed": lambda stack: _accepted_then_cancelled(stack, 3, "booking_instant_accepted_confirmed"),
    "seat_opened": _seat_opened,
}


async def _scenarios(stack: Stack, names: list[str]) -> None:
    team = {"hosts": [Host(user_id=1), Host(user_id=2)], "is_instant_event": True}
    await seed(
        stack.db,
        event_type(1, instant_meeting_expiry_time_offset_in_seconds=600, **team),
        event_type(2, instant_meeting_expiry_time_offset_in_seconds=1, **team),
        event_type(3, instant_meeting_expiry_time_offset_in_seconds=600, workflows=[rule("newEvent", None)], **team),
        event_type(4, seats=SEATS),
        users=[ORGANIZER, BEA],
    )
    for name in names or list(SCENARIOS):
        await SCENARIOS[name](stack)


async def main(names: list[str]) -> None:
    env = await start_dev_server()
    db = Database(f"sqlite:///{HISTORIES / 'recording-instant.db'}", TEST_SECRET_KEYS)
    try:
        await db.migrate()
        async with running_stack(env.client, db, "record-instant-histories") as stack:
            await _scenarios(stack, names)
    finally:
        await db.dispose()
        (HISTORIES / "recording-instant.db").unlink(missing_ok=True)
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))

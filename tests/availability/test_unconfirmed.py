"""requiresConfirmationWillBlockSlot: a booking awaiting confirmation holds its slot only when the event type
says so (Cal.com); otherwise the time stays offered, and confirming re-checks it instead of double-booking."""

from datetime import UTC, datetime

import pytest

from domain.booking import BookingStatus
from store import availability as holds
from store import bookings
from testkit.stack import event_type, seed
from tests.availability.test_holds import draft
from tests.availability.test_hosts import at_hour


async def offered(stack, event_type_id: int, moment: datetime) -> bool:
    day = moment.date().isoformat()
    async with stack.as_(None) as http:
        found = await http.get("/v2/slots", params={"eventTypeId": event_type_id, "start": day, "end": day})
    assert found.status_code == 200, found.text
    return moment.strftime("%Y-%m-%dT%H:%M") in {s["start"][:16] for s in found.json()["data"].get(day, [])}


async def request(stack, event_type_id: int, start: datetime, email: str):
    body = {
        "start": start.isoformat(),
        "eventTypeId": event_type_id,
        "attendee": {"name": "Bo", "email": email, "timeZone": "UTC"},
    }
    return await stack.http.post("/v2/bookings", json=body)


async def test_an_unconfirmed_booking_leaves_its_slot_offered_until_confirmed(stack):
    await seed(stack.db, event_type(1, length_in_minutes=60, requires_confirmation=True))
    slot = at_hour(1)
    first = await stack.book(1, slot, email="first@example.com")
    assert first["status"] == "pending"
    assert await offered(stack, 1, slot)  # not blocked: the event type does not say so
    second = await stack.book(1, slot, email="second@example.com")
    assert second["status"] == "pending"
    confirmed = await stack.http.post(f"/v2/bookings/{first['uid']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["data"]["status"] == "accepted"
    assert not await offered(stack, 1, slot)  # accepted: now it holds the time
    late = await stack.http.post(f"/v2/bookings/{second['uid']}/confirm")
    assert late.status_code == 409, late.text
    assert late.json()["error"]["code"] == "SLOT_TAKEN"
    assert first["uid"] in late.json()["error"]["message"]
    still = await stack.http.get(f"/v2/bookings/{second['uid']}")
    assert still.json()["data"]["status"] == "pending"  # nothing changed: the host may decline or reschedule it
    assert (await request(stack, 1, slot, "third@example.com")).status_code == 400


async def test_an_unconfirmed_booking_blocks_when_the_event_type_says_so(stack):
    await seed(
        stack.db,
        # API 2024-06-14's spelling: confirmationPolicy.blockUnconfirmedBookingsInBooker.
        event_type(
            2, length_in_minutes=60, confirmationPolicy={"type": "always", "blockUnconfirmedBookingsInBooker": True}
        ),
        event_type(3, length_in_minutes=60),  # the same host's other event type
    )
    slot = at_hour(4)
    pending = await stack.book(2, slot, email="first@example.com")
    assert pending["status"] == "pending"
    assert not await offered(stack, 2, slot) and not await offered(stack, 3, slot)
    refused = await request(stack, 3, slot, "second@example.com")
    assert refused.status_code == 400, refused.text
    confirmed = await stack.http.post(f"/v2/bookings/{pending['uid']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["data"]["status"] == "accepted"


async def test_the_store_keeps_an_unconfirmed_hold_inactive_until_claimed(any_db):
    """On both databases: the unconfirmed booking's hold neither blocks nor trips PostgreSQL's exclusion
    constraint; claiming it for confirmation fails while another booking holds the time, then succeeds."""
    await seed(any_db, event_type(1, requires_confirmation=True))
    waiting = draft("a", requires_confirmation=True).model_copy(update={"status": BookingStatus.PENDING})
    async with any_db.transaction() as session:
        await bookings.reserve(session, waiting)
        await bookings.reserve(session, draft("b"))  # the same time: the unconfirmed one does not hold it
    with pytest.raises(holds.HoldConflict, match="overlaps booking b"):
        async with any_db.transaction() as session:
            await holds.claim(session, "a", datetime.now(UTC))
    async with any_db.transaction() as session:
        await holds.set_status(session, "b", "CANCELLED")
    async with any_db.transaction() as session:
        await holds.claim(session, "a", datetime.now(UTC))
    with pytest.raises(bookings.SlotTaken, match="overlaps booking a"):
        async with any_db.transaction() as session:  # claimed: now it holds the time
            await bookings.reserve(session, draft("c"))

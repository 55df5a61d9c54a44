"""A seat moved into the booking already at its new time: that booking fires BOOKING_RESCHEDULED for the seat
(as Cal.com does for a moved seat), naming where it was, not BOOKING_CREATED."""

from domain.event_type_calcom import Seats
from testkit.stack import event_type, eventually, seed, soon
from tests.contract.calcom import check

BOOKINGS = {"cal-api-version": "2024-08-13"}
SEATS = Seats(seats_per_time_slot=3, show_attendee_info=False, show_availability_count=True)


def _stamp(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def _seat(stack, start, email: str) -> dict:
    body = {
        "start": start.isoformat(),
        "eventTypeId": 1,
        "attendee": {"name": email.split("@")[0].title(), "email": email, "timeZone": "UTC"},
    }
    return check(await stack.http.post("/v2/bookings", json=body, headers=BOOKINGS))["data"]


async def _move(stack, seat: dict, start) -> dict:
    """``seat`` moves to ``start`` (a reschedule naming its seatUid); the moved seat's answer."""
    body = {"start": start.isoformat(), "seatUid": seat["seatUid"]}
    return check(await stack.http.post(f"/v2/bookings/{seat['uid']}/reschedule", json=body, headers=BOOKINGS))["data"]


async def test_a_seat_moved_into_an_existing_booking_fires_booking_rescheduled_there(stack):
    await seed(stack.db, event_type(1, seats=SEATS))
    here, there = (soon(m * 60).replace(second=0, microsecond=0) for m in (60, 120))
    ann = await _seat(stack, here, "ann@example.com")
    await _seat(stack, here, "ada2@example.com")  # ann's old booking keeps a seat, so it stays
    ben = await _seat(stack, there, "ben@example.com")

    moved = await _move(stack, ann, there)
    assert moved["uid"] == ben["uid"] and moved["seatUid"] == ann["seatUid"]

    async def bodies() -> list[tuple[str, dict]]:
        return [(e.trigger, e.body["payload"]) for e in await stack.events(ben["uid"])]

    fired = await eventually(bodies, lambda found: any(t == "BOOKING_RESCHEDULED" for t, _ in found))
    # ben's own creation, then ann's move: no BOOKING_CREATED for the moved seat.
    assert [(t, [a["email"] for a in p["attendees"]]) for t, p in fired] == [
        ("BOOKING_CREATED", ["ben@example.com"]),
        ("BOOKING_RESCHEDULED", ["ann@example.com"]),
    ]
    rescheduled = fired[1][1]
    assert rescheduled["rescheduleUid"] == ann["uid"] and rescheduled["rescheduleId"] == ann["id"]
    assert rescheduled["rescheduleStartTime"] == _stamp(here)
    assert rescheduled["rescheduleEndTime"] == ann["end"]
    assert rescheduled["startTime"] == _stamp(there) and rescheduled["uid"] == ben["uid"]
    # The booking it left fires nothing for the seat (it was moved, not cancelled).
    assert await stack.triggers(ann["uid"]) == ["BOOKING_CREATED", "BOOKING_CREATED"]


async def test_a_seat_moved_to_an_empty_slot_opens_a_booking_that_fires_booking_rescheduled(stack):
    await seed(stack.db, event_type(1, seats=SEATS))
    here, there = (soon(m * 60).replace(second=0, microsecond=0) for m in (60, 180))
    ann = await _seat(stack, here, "ann@example.com")
    await _seat(stack, here, "ada2@example.com")  # ann's old booking keeps a seat, so it stays

    moved = await _move(stack, ann, there)
    assert moved["uid"] != ann["uid"] and moved["seatUid"] == ann["seatUid"]

    async def fired() -> list:
        return await stack.events(moved["uid"])

    (event,) = await eventually(fired, lambda found: len(found) >= 1)
    assert event.trigger == "BOOKING_RESCHEDULED" and event.event_id.endswith(f":from:{ann['uid']}")
    payload = event.body["payload"]
    assert payload["rescheduleUid"] == ann["uid"] and payload["rescheduleId"] == ann["id"]
    assert payload["rescheduleStartTime"] == _stamp(here) and payload["rescheduleEndTime"] == ann["end"]
    assert payload["startTime"] == _stamp(there) and payload["uid"] == moved["uid"]
    assert [a["email"] for a in payload["attendees"]] == ["ann@example.com"]
    opened = check(await stack.http.get(f"/v2/bookings/{moved['uid']}", headers=BOOKINGS))["data"]
    assert opened["status"] == "accepted"
    assert await stack.triggers(moved["uid"]) == ["BOOKING_RESCHEDULED"]  # no BOOKING_CREATED for the seat
    assert await stack.triggers(ann["uid"]) == ["BOOKING_CREATED", "BOOKING_CREATED"]

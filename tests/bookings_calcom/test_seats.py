"""Seated event types: one booking per slot with a seat (`seatUid`) per booker, refused when full; a seat
cancelled or moved alone; webhooks per seat; seat counts in slots; attendees hidden from other seats."""

import asyncio
import json
from datetime import timedelta

import pytest

from domain import reminder_plan
from domain.event_type_calcom import Seats
from store import bookings
from testkit.receiver import receiving
from testkit.stack import ORGANIZER, event_type, eventually, running_stack, seed, soon
from tests.bookings_calcom.test_own_openapi import _problems as _own_problems
from tests.contract.calcom import check, document, problems
from tests.reminders.support import rule

BOOKINGS = {"cal-api-version": "2024-08-13"}
HIDDEN = Seats(seats_per_time_slot=3, show_attendee_info=False, show_availability_count=True)


@pytest.fixture
async def pg_stack(temporal_env, pg_db, task_queue):
    """The stack over PostgreSQL, where the holds' exclusion constraint guards the slot."""
    async with running_stack(temporal_env.client, pg_db, task_queue) as running:
        yield running


def _schema(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _conforms(name: str, data: dict) -> None:
    """``data`` is Cal.com's seated shape ``name`` (not just any of the answer's variants)."""
    assert document()["components"]["schemas"][name]
    assert problems(_schema(name), data) == []


def _start(minutes: int = 60):
    return soon(minutes * 60).replace(second=0, microsecond=0)


async def _take(http, start, email: str, **fields):
    body = {
        "start": start.isoformat(),
        "eventTypeId": 1,
        "attendee": {"name": email.split("@")[0].title(), "email": email, "timeZone": "Europe/Rome"},
    } | fields
    return await http.post("/v2/bookings", json=body, headers=BOOKINGS)


async def _seat(http, start, email: str, **fields) -> dict:
    response = await _take(http, start, email, **fields)
    return check(response)["data"]


async def test_seats_on_an_event_type_are_typed_validated_and_returned(stack):
    await seed(stack.db, users=[ORGANIZER])
    body = {"title": "Class", "slug": "class", "lengthInMinutes": 30}
    seats = {"seatsPerTimeSlot": 4, "showAttendeeInfo": False, "showAvailabilityCount": True}
    async with stack.as_(stack.keys.owner) as http:
        created = check(await http.post("/v2/event-types", json=body | {"seats": seats}))["data"]
        assert created["seats"] == seats
        for wrong in (0, 1001, "many"):
            refused = await http.post(
                "/v2/event-types", json=body | {"slug": "x", "seats": seats | {"seatsPerTimeSlot": wrong}}
            )
            assert refused.status_code == 400 and "seats" in refused.json()["error"]["message"], refused.text
        with_confirmation = body | {"slug": "y", "seats": seats, "confirmationPolicy": {"type": "always"}}
        recurring = body | {"slug": "z", "seats": seats, "recurrence": {"frequency": "weekly", "interval": 1,
                                                                          "occurrences": 4}}  # fmt: skip
        for combined in (with_confirmation, recurring):
            refused = await http.post("/v2/event-types", json=combined)
            assert refused.status_code == 400 and "seats" in refused.json()["error"]["message"], refused.text
        off = check(await http.patch(f"/v2/event-types/{created['id']}", json={"seats": {"disabled": True}}))["data"]
        assert "seats" not in off or off["seats"] is None


async def test_bookers_of_one_slot_share_one_booking_until_it_is_full(stack):
    await seed(stack.db, event_type(1, seats=HIDDEN))
    start = _start()
    first = await _seat(stack.http, start, "ann@example.com", bookingFieldsResponses={}, metadata={"n": "1"})
    second = await _seat(stack.http, start, "ben@example.com")
    third = await _seat(stack.http, start, "cat@example.com")
    for answer in (first, second, third):
        _conforms("CreateSeatedBookingOutput_2024_08_13", answer)
    assert first["uid"] == second["uid"] == third["uid"]  # one booking for the slot
    assert len({first["seatUid"], second["seatUid"], third["seatUid"]}) == 3
    # Attendees hidden: each booker's answer shows only their own seat.
    assert [(a["email"], a["seatUid"]) for a in second["attendees"]] == [("ben@example.com", second["seatUid"])]
    assert first["attendees"][0]["metadata"] == {"n": "1"}

    full = await _take(stack.http, start, "dan@example.com")
    assert full.status_code == 409, full.text
    message = full.json()["error"]["message"]
    assert first["uid"] in message and "no more seats" in message

    listed = check(await stack.http.get("/v2/bookings", headers=BOOKINGS))["data"]  # the admin key sees all
    assert [b["uid"] for b in listed] == [first["uid"]]
    assert sorted(a["email"] for a in listed[0]["attendees"]) == [
        "ann@example.com",
        "ben@example.com",
        "cat@example.com",
    ]


async def test_a_repeated_request_keeps_its_seat(stack):
    await seed(stack.db, event_type(1, seats=HIDDEN))
    start = _start()
    await _seat(stack.http, start, "ann@example.com")
    key = {"Idempotency-Key": "seat-ben-1"} | BOOKINGS
    body = {"start": start.isoformat(), "eventTypeId": 1,
            "attendee": {"name": "Ben", "email": "ben@example.com", "timeZone": "UTC"}}  # fmt: skip
    once = check(await stack.http.post("/v2/bookings", json=body, headers=key))["data"]
    again = check(await stack.http.post("/v2/bookings", json=body, headers=key))["data"]
    assert once["seatUid"] == again["seatUid"]
    booking = check(await stack.http.get(f"/v2/bookings/{once['uid']}"))["data"]
    assert len(booking["attendees"]) == 2


async def test_attendees_are_shown_to_other_seats_only_when_the_event_type_says_so(stack):
    shown = HIDDEN.model_copy(update={"show_attendee_info": True})
    await seed(stack.db, event_type(1, seats=HIDDEN), event_type(2, seats=shown))
    hidden = [await _seat(stack.http, _start(60), f"{n}@example.com") for n in ("ann", "ben")]
    visible = [await _seat(stack.http, _start(120), f"{n}@example.com", eventTypeId=2) for n in ("ann", "ben")]

    async with stack.as_(None) as anonymous:  # a booker reading by the booking's uid
        hidden_read = check(await anonymous.get(f"/v2/bookings/{hidden[0]['uid']}", headers=BOOKINGS))["data"]
        shown_read = check(await anonymous.get(f"/v2/bookings/{visible[0]['uid']}", headers=BOOKINGS))["data"]
    assert hidden_read["attendees"] == []
    assert len(shown_read["attendees"]) == 2 and visible[1]["attendees"][0]["email"] == "ann@example.com"
    async with stack.as_(stack.keys.owner) as owner:  # the event type's owner sees every seat
        owned = check(await owner.get(f"/v2/bookings/{hidden[0]['uid']}", headers=BOOKINGS))["data"]
    _conforms("GetSeatedBookingOutput_2024_08_13", owned)
    assert sorted(a["email"] for a in owned["attendees"]) == ["ann@example.com", "ben@example.com"]

    # A seat's attendee reads their booking by their seat (GET /v2/bookings/by-seat/{seatUid}): only themselves.
    async with stack.as_(None) as anonymous:
        by_seat = await anonymous.get(f"/v2/bookings/by-seat/{hidden[1]['seatUid']}", headers=BOOKINGS)
        unknown = await anonymous.get("/v2/bookings/by-seat/00000000-0000-4000-8000-000000000000")
    mine = by_seat.json()["data"]
    _conforms("GetSeatedBookingOutput_2024_08_13", mine)
    assert mine["uid"] == hidden[0]["uid"] and [a["email"] for a in mine["attendees"]] == ["ben@example.com"]
    assert unknown.status_code == 404


async def test_each_seat_fires_its_own_webhooks_naming_only_its_attendee(stack):
    await seed(stack.db, event_type(1, seats=HIDDEN))
    start = _start()
    async with receiving() as receiver:
        hook = {"subscriberUrl": receiver.url, "triggers": ["BOOKING_CREATED", "BOOKING_CANCELLED"], "active": True}
        assert (await stack.http.post("/v2/webhooks", json=hook)).status_code == 201
        ann = await _seat(stack.http, start, "ann@example.com")
        ben = await _seat(stack.http, start, "ben@example.com")
        await receiver.wait_for(2)
        cancelled = check(
            await stack.http.post(
                f"/v2/bookings/{ann['uid']}/cancel",
                json={"seatUid": ann["seatUid"], "cancellationReason": "cannot come"},
                headers=BOOKINGS,
            )
        )["data"]
        requests = await receiver.wait_for(3)
    sent = [json.loads(r.body) for r in requests]
    seen = sorted((s["triggerEvent"], tuple(a["email"] for a in s["payload"]["attendees"])) for s in sent)
    assert seen == [
        ("BOOKING_CANCELLED", ("ann@example.com",)),
        ("BOOKING_CREATED", ("ann@example.com",)),
        ("BOOKING_CREATED", ("ben@example.com",)),
    ]
    assert {s["payload"]["seatsPerTimeSlot"] for s in sent} == {3}
    # The seat is gone; the booking and the other seat stay.
    assert cancelled["status"] == "accepted" and [a["email"] for a in cancelled["attendees"]] == ["ben@example.com"]
    after = check(await stack.http.get(f"/v2/bookings/{ben['uid']}", headers=BOOKINGS))["data"]
    assert after["status"] == "accepted" and [a["seatUid"] for a in after["attendees"]] == [ben["seatUid"]]


async def test_cancelling_the_last_seat_cancels_the_booking_and_an_unknown_seat_is_named(stack):
    await seed(stack.db, event_type(1, seats=HIDDEN))
    only = await _seat(stack.http, _start(), "ann@example.com")
    unknown = await stack.http.post(f"/v2/bookings/{only['uid']}/cancel", json={"seatUid": "nope"})
    assert unknown.status_code == 404 and "seatUid" in unknown.json()["error"]["message"]
    gone = check(await stack.http.post(f"/v2/bookings/{only['uid']}/cancel", json={"seatUid": only["seatUid"]}))
    assert gone["data"]["status"] == "cancelled"
    await eventually(lambda: stack.triggers(only["uid"]), lambda t: "BOOKING_CANCELLED" in t)


async def test_a_seat_moves_alone_to_another_slots_booking(stack):
    await _seat_moves(stack)


async def test_a_seat_moves_alone_to_another_slots_booking_on_postgresql(pg_stack):
    await _seat_moves(pg_stack)


async def _seat_moves(stack) -> None:
    await seed(stack.db, event_type(1, seats=HIDDEN))
    here, there = _start(60), _start(120)
    ann = await _seat(stack.http, here, "ann@example.com")
    ben = await _seat(stack.http, here, "ben@example.com")

    moved = await stack.http.post(
        f"/v2/bookings/{ann['uid']}/reschedule",
        json={"start": there.isoformat(), "seatUid": ann["seatUid"]},
        headers=BOOKINGS,
    )
    new = check(moved)["data"]
    assert new["uid"] != ann["uid"] and new["seatUid"] == ann["seatUid"]
    assert new["start"] == there.isoformat().replace("+00:00", "Z")
    found = (await stack.http.get(f"/v2/bookings/by-seat/{ann['seatUid']}")).json()["data"]
    assert found["uid"] == new["uid"]  # the seat is found where it went (the JSON lookup on either store)
    left = check(await stack.http.get(f"/v2/bookings/{ann['uid']}", headers=BOOKINGS))["data"]
    assert left["status"] == "accepted" and [a["email"] for a in left["attendees"]] == ["ben@example.com"]

    # The second seat joins the booking already there; the emptied booking ends as rescheduled, not cancelled.
    joined = await stack.http.post(
        f"/v2/bookings/{ben['uid']}/reschedule", json={"start": there.isoformat(), "seatUid": ben["seatUid"]}
    )
    assert check(joined)["data"]["uid"] == new["uid"]
    together = check(await stack.http.get(f"/v2/bookings/{new['uid']}", headers=BOOKINGS))["data"]
    assert sorted(a["email"] for a in together["attendees"]) == ["ann@example.com", "ben@example.com"]
    emptied = check(await stack.http.get(f"/v2/bookings/{ann['uid']}", headers=BOOKINGS))["data"]
    assert emptied["status"] == "cancelled"
    assert "BOOKING_CANCELLED" not in await stack.triggers(ann["uid"])


async def test_slots_show_the_seats_booked_and_remaining_and_a_full_slot_is_gone(stack):
    await _slot_counts(stack)


async def test_slots_show_the_seats_on_postgresql(pg_stack):
    await _slot_counts(pg_stack)


async def _slot_counts(stack) -> None:
    counted = Seats(seats_per_time_slot=2, show_attendee_info=False, show_availability_count=True)
    await seed(stack.db, event_type(1, seats=counted, length_in_minutes=10, slot_interval=10))
    start = _start(120)
    start += timedelta(minutes=-start.minute % 10)  # on the 10-minute grid
    window = {"eventTypeId": 1, "start": start.isoformat(), "end": (start + timedelta(minutes=29)).isoformat()}

    async def slots() -> list[dict]:
        answer = check(await stack.http.get("/v2/slots", params=window, headers={"cal-api-version": "2024-09-04"}))
        return [s for day in answer["data"].values() for s in day]

    fresh = await slots()
    assert fresh[0]["start"].startswith(start.strftime("%Y-%m-%dT%H:%M"))
    assert (fresh[0]["seatsBooked"], fresh[0]["seatsRemaining"], fresh[0]["seatsTotal"]) == (0, 2, 2)
    ann = await _seat(stack.http, start, "ann@example.com")
    shared = await slots()
    assert shared[0]["start"] == fresh[0]["start"]  # still offered, with its count
    assert (shared[0]["seatsBooked"], shared[0]["seatsRemaining"], shared[0]["bookingUid"]) == (1, 1, ann["uid"])
    await _seat(stack.http, start, "ben@example.com")
    assert [s["start"] for s in await slots()] == [s["start"] for s in fresh[1:]]  # full: no longer offered


async def _race_for_seats(stack, seats: int, bookers: int) -> None:
    await seed(stack.db, event_type(1, seats=Seats(seats_per_time_slot=seats)))
    start = _start()
    answers = await asyncio.gather(*(_take(stack.http, start, f"b{n}@example.com") for n in range(bookers)))
    assert sorted({a.status_code for a in answers}) == [201, 409], [a.text for a in answers if a.status_code >= 500]
    taken = [a.json()["data"] for a in answers if a.status_code == 201]
    assert len(taken) == seats and len({t["uid"] for t in taken}) == 1
    booking = check(await stack.http.get(f"/v2/bookings/{taken[0]['uid']}", headers=BOOKINGS))["data"]
    assert sorted(a["seatUid"] for a in booking["attendees"]) == sorted(t["seatUid"] for t in taken)


async def test_concurrent_bookers_fill_the_seats_exactly_on_sqlite(stack):
    await _race_for_seats(stack, seats=3, bookers=8)


async def test_concurrent_bookers_fill_the_seats_exactly_on_postgresql(pg_stack):
    await _race_for_seats(pg_stack, seats=3, bookers=8)


async def test_bookflows_own_document_describes_the_seated_answers(stack):
    await seed(stack.db, event_type(1, seats=HIDDEN))
    spec = (await stack.http.get("/openapi.json")).json()
    assert "seatUid" in spec["components"]["schemas"]["Cancel"]["properties"]
    assert "seatUid" in spec["components"]["schemas"]["Reschedule"]["properties"]
    start = _start()
    ann = await _take(stack.http, start, "ann@example.com")
    ben = await _take(stack.http, start, "ben@example.com")
    uid, seat = ann.json()["data"]["uid"], ann.json()["data"]["seatUid"]
    read = await stack.http.get(f"/v2/bookings/{uid}")
    cancel = await stack.http.post(f"/v2/bookings/{uid}/cancel", json={"seatUid": seat})
    answers = [("/v2/bookings", "post", ann), ("/v2/bookings", "post", ben), ("/v2/bookings/{uid}", "get", read)]
    answers.append(("/v2/bookings/{uid}/cancel", "post", cancel))
    for path, method, response in answers:
        assert response.status_code in (200, 201), response.text
        assert _own_problems(spec, path, method, str(response.status_code), response.json()) == []
    assert "seatUid" in spec["components"]["schemas"]["BookingAttendeeOut"]["properties"]


async def test_a_seats_change_sends_the_other_seats_no_booking_or_cancellation_message(stack):
    """Reminder rules follow the booking's own creation and cancellation: another booker's seat, or its
    cancellation, must not tell the seats that stay that the meeting was booked again or cancelled."""
    rules = [rule("newEvent", None, id=1), rule("eventCancelled", None, id=2)]
    await seed(stack.db, event_type(1, seats=HIDDEN, workflows=rules))
    start = _start()
    ann = await _seat(stack.http, start, "ann@example.com")
    ben = await _seat(stack.http, start, "ben@example.com")
    await stack.http.post(f"/v2/bookings/{ann['uid']}/cancel", json={"seatUid": ben["seatUid"]})

    async def stored():
        async with stack.db.sessions() as session:
            return await bookings.get(session, ann["uid"])

    booking = await eventually(stored, lambda b: len(b.attendees) == 1)
    sends = [s.workflow.trigger.type.value for s in reminder_plan.planned(booking)]
    assert sends == ["newEvent"]  # the booking's own creation only
    assert [e.trigger for e in await stack.events(ann["uid"])].count("BOOKING_CANCELLED") == 1  # the seat's webhook

"""Every lifecycle transition of BookingWorkflow, and every refused one, through the HTTP API."""

import asyncio
from datetime import datetime

from testkit.stack import event_type, eventually, running_stack, seed, soon

HOUR = 3600


def booking_start(booking: dict) -> datetime:
    return datetime.fromisoformat(booking["start"].replace("Z", "+00:00"))


async def _status(stack, uid: str) -> str:
    response = await stack.http.get(f"/v2/bookings/{uid}")
    return response.json()["data"]["status"]


async def test_accepted_booking_cancelled_with_reason_and_canceller(stack):
    await seed(stack.db, event_type(1))
    booking = await stack.book(1, soon(HOUR))
    response = await stack.http.post(
        f"/v2/bookings/{booking['uid']}/cancel",
        json={"cancellationReason": "double booked", "cancelledBy": "bo@example.com"},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["status"], data["cancellationReason"], data["cancelledByEmail"]) == (
        "cancelled",
        "double booked",
        "bo@example.com",
    )
    assert await stack.triggers(booking["uid"]) == ["BOOKING_CREATED", "BOOKING_CANCELLED"]
    cancelled = (await stack.events(booking["uid"]))[-1].body["payload"]
    assert cancelled["cancellationReason"] == "double booked"

    again = await stack.http.post(f"/v2/bookings/{booking['uid']}/cancel", json={})
    assert again.status_code == 409
    assert "cancelled" in again.json()["error"]["message"]


async def test_confirmation_required_then_confirmed(stack):
    await seed(stack.db, event_type(1, requires_confirmation=True))
    booking = await stack.book(1, soon(HOUR))
    assert booking["status"] == "pending"
    response = await stack.http.post(f"/v2/bookings/{booking['uid']}/confirm")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "accepted"
    assert await stack.triggers(booking["uid"]) == ["BOOKING_REQUESTED", "BOOKING_CREATED"]

    again = await stack.http.post(f"/v2/bookings/{booking['uid']}/confirm")
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "only a pending booking can be confirmed; this one is accepted"


async def test_confirmation_required_then_declined(stack):
    await seed(stack.db, event_type(1, requires_confirmation=True))
    booking = await stack.book(1, soon(HOUR))
    response = await stack.http.post(f"/v2/bookings/{booking['uid']}/decline", json={"reason": "not a fit"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "rejected"
    assert response.json()["data"]["rejectionReason"] == "not a fit"
    assert await stack.triggers(booking["uid"]) == ["BOOKING_REQUESTED", "BOOKING_REJECTED"]
    refused = await stack.http.post(
        f"/v2/bookings/{booking['uid']}/reschedule", json={"start": soon(2 * HOUR).isoformat()}
    )
    assert refused.status_code == 409
    assert "rejected" in refused.json()["error"]["message"]


async def test_refusals_on_an_accepted_booking_say_why(stack):
    await seed(stack.db, event_type(1, disable_cancelling=True, disable_rescheduling=True))
    uid = (await stack.book(1, soon(HOUR)))["uid"]
    expectations = {
        "decline": "only a pending booking can be declined; this one is accepted",
        "confirm": "only a pending booking can be confirmed; this one is accepted",
        "cancel": "cancelling is disabled for this event type",
    }
    for action, message in expectations.items():
        response = await stack.http.post(f"/v2/bookings/{uid}/{action}", json={})
        assert response.status_code == 409, action
        assert response.json()["error"]["message"] == message
    response = await stack.http.post(f"/v2/bookings/{uid}/reschedule", json={"start": soon(2 * HOUR).isoformat()})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "rescheduling is disabled for this event type"
    payment = await stack.http.post(f"/v2/bookings/{uid}/payments", json={"paymentEventId": "evt_1"})
    assert payment.status_code == 409
    assert payment.json()["error"]["message"] == "this booking has no price to pay"
    # Nothing refused left a trace: the booking is as it was.
    assert await _status(stack, uid) == "accepted"
    assert await stack.triggers(uid) == ["BOOKING_CREATED"]


async def test_paid_booking_waits_for_payment_then_is_accepted_once(stack):
    await seed(stack.db, event_type(1, price=5000, currency="eur"))
    booking = await stack.book(1, soon(HOUR))
    assert (booking["status"], booking["paymentRequired"], booking["paid"]) == ("pending", True, False)
    for _ in range(2):  # the provider delivers the same event twice
        response = await stack.http.post(
            f"/v2/bookings/{booking['uid']}/payments", json={"paymentEventId": "evt_42", "externalId": "pi_123"}
        )
        assert response.status_code == 202
    triggers = await eventually(lambda: stack.triggers(booking["uid"]), lambda t: "BOOKING_PAID" in t)
    assert triggers == ["BOOKING_PAYMENT_INITIATED", "BOOKING_CREATED", "BOOKING_PAID"]
    assert await _status(stack, booking["uid"]) == "accepted"
    confirm = await stack.http.post(f"/v2/bookings/{booking['uid']}/confirm")
    assert confirm.status_code == 409


async def test_paid_booking_needing_confirmation_stays_pending_after_payment(stack):
    await seed(stack.db, event_type(1, price=1000, requires_confirmation=True))
    booking = await stack.book(1, soon(HOUR))
    refused = await stack.http.post(f"/v2/bookings/{booking['uid']}/confirm")
    assert refused.status_code == 409
    assert "awaiting payment" in refused.json()["error"]["message"]
    await stack.http.post(f"/v2/bookings/{booking['uid']}/payments", json={"paymentEventId": "evt_1"})
    await eventually(lambda: stack.triggers(booking["uid"]), lambda t: "BOOKING_PAID" in t)
    assert await _status(stack, booking["uid"]) == "pending"
    confirmed = await stack.http.post(f"/v2/bookings/{booking['uid']}/confirm")
    assert confirmed.json()["data"]["status"] == "accepted"
    assert await stack.triggers(booking["uid"]) == [
        "BOOKING_PAYMENT_INITIATED",
        "BOOKING_REQUESTED",
        "BOOKING_PAID",
        "BOOKING_CREATED",
    ]


async def test_unpaid_booking_is_cancelled_when_the_hold_expires(stack):
    await seed(stack.db, event_type(1, price=1000, payment_timeout_minutes=0.03))
    booking = await stack.book(1, soon(HOUR))
    triggers = await eventually(lambda: stack.triggers(booking["uid"]), lambda t: len(t) == 2)
    assert triggers == ["BOOKING_PAYMENT_INITIATED", "BOOKING_CANCELLED"]
    data = (await stack.http.get(f"/v2/bookings/{booking['uid']}")).json()["data"]
    assert data["status"] == "cancelled"
    assert data["cancellationReason"] == "Payment was not completed within 0.03 minutes"
    # The slot is free again.
    again = await stack.book(1, booking_start(booking), email="other@example.com")
    assert again["status"] == "pending"


async def test_reschedule_links_both_bookings_and_moves_the_slot(stack):
    await seed(stack.db, event_type(1))
    old = await stack.book(1, soon(HOUR))
    new_start = soon(3 * HOUR).replace(microsecond=0)
    response = await stack.http.post(
        f"/v2/bookings/{old['uid']}/reschedule",
        json={"start": new_start.isoformat(), "reschedulingReason": "conflict", "rescheduledBy": "bo@example.com"},
    )
    assert response.status_code == 201, response.text
    new = response.json()["data"]
    assert new["uid"] != old["uid"]
    assert (new["status"], new["rescheduledFromUid"], new["reschedulingReason"]) == ("accepted", old["uid"], "conflict")
    old_now = (await stack.http.get(f"/v2/bookings/{old['uid']}")).json()["data"]
    assert (old_now["status"], old_now["rescheduledToUid"]) == ("cancelled", new["uid"])
    events = await eventually(lambda: stack.events(new["uid"]), lambda e: len(e) == 1)
    payload = events[0].body["payload"]
    assert events[0].trigger == "BOOKING_RESCHEDULED"
    assert payload["rescheduleUid"] == old["uid"]
    assert payload["rescheduleId"] == old["id"]
    assert payload["rescheduleStartTime"] == old["start"].replace(".000", "")
    # The old slot is free: booking it again succeeds.
    await stack.book(1, booking_start(old), email="other@example.com")
    twice = await stack.http.post(f"/v2/bookings/{old['uid']}/reschedule", json={"start": soon(5 * HOUR).isoformat()})
    assert twice.status_code == 409
    assert new["uid"] in twice.json()["error"]["message"] or "cancelled" in twice.json()["error"]["message"]


async def test_rescheduled_pending_booking_stays_pending(stack):
    await seed(stack.db, event_type(1, requires_confirmation=True))
    old = await stack.book(1, soon(HOUR))
    response = await stack.http.post(
        f"/v2/bookings/{old['uid']}/reschedule", json={"start": soon(2 * HOUR).isoformat()}
    )
    assert response.json()["data"]["status"] == "pending"


async def test_reschedule_onto_a_taken_slot_is_refused_and_changes_nothing(stack):
    await seed(stack.db, event_type(1))
    first = await stack.book(1, soon(HOUR))
    second = await stack.book(1, soon(3 * HOUR), email="other@example.com")
    response = await stack.http.post(f"/v2/bookings/{first['uid']}/reschedule", json={"start": second["start"]})
    # Not available (not a lost race): Cal.com's 400 and message; a race lost under the lock stays 409.
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "User either already has booking at this time or is not available"
    assert await _status(stack, first["uid"]) == "accepted"


async def test_mark_absent_sets_flags_and_fires_no_show_updated(stack):
    await seed(stack.db, event_type(1))
    uid = (await stack.book(1, soon(HOUR)))["uid"]
    response = await stack.http.post(
        f"/v2/bookings/{uid}/mark-absent",
        json={"host": True, "attendees": [{"email": "bo@example.com", "absent": True}]},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["absentHost"] is True
    assert data["attendees"][0]["absent"] is True
    event = (await stack.events(uid))[-1]
    assert event.trigger == "BOOKING_NO_SHOW_UPDATED"
    assert event.body["payload"]["attendees"] == [{"email": "bo@example.com", "noShow": True}]
    stranger = await stack.http.post(
        f"/v2/bookings/{uid}/mark-absent", json={"attendees": [{"email": "eve@example.com", "absent": True}]}
    )
    assert stranger.status_code == 409
    assert "eve@example.com is not an attendee" in stranger.json()["error"]["message"]


async def test_slot_overlap_is_refused_and_concurrent_requests_give_one_booking(stack):
    await seed(stack.db, event_type(1))
    start = soon(HOUR)
    payload = {
        "start": start.isoformat(),
        "eventTypeId": 1,
        "attendee": {"name": "A", "email": "a@example.com", "timeZone": "UTC"},
    }
    responses = await asyncio.gather(*(stack.http.post("/v2/bookings", json=payload) for _ in range(4)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409, 409]
    conflict = next(r for r in responses if r.status_code == 409).json()["error"]
    assert conflict["code"] == "SLOT_TAKEN"


async def test_idempotency_key_returns_the_same_booking(stack):
    await seed(stack.db, event_type(1))
    payload = {
        "start": soon(HOUR).isoformat(),
        "eventTypeId": 1,
        "attendee": {"name": "A", "email": "a@example.com", "timeZone": "UTC"},
    }
    headers = {"Idempotency-Key": "req-123"}
    first = await stack.http.post("/v2/bookings", json=payload, headers=headers)
    second = await stack.http.post("/v2/bookings", json=payload, headers=headers)
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["data"]["uid"] == second.json()["data"]["uid"]
    listed = (await stack.http.get("/v2/bookings")).json()
    assert listed["pagination"]["totalItems"] == 1


async def test_booking_payloads_point_at_the_public_url(temporal_env, sqlite_db, task_queue, monkeypatch):
    monkeypatch.setenv("BOOKFLOW_PUBLIC_URL", "https://book.example.org")
    await seed(sqlite_db, event_type(1))
    async with running_stack(temporal_env.client, sqlite_db, task_queue) as stack:
        uid = (await stack.book(1, soon(HOUR)))["uid"]
        events = await eventually(lambda: stack.events(uid), lambda e: len(e) == 1)
    assert events[0].body["payload"]["bookerUrl"] == "https://book.example.org"

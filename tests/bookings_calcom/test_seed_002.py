"""Seed 002 (../shared/seeds/002_4a975bd57e7a5d86.txt): every record Nexla's Cal.com templates send, sent as
the seed describes (its headers, its bodies, a user's API key), each with its documented effect."""

from datetime import timedelta

import pytest

from domain.config import User
from testkit.stack import ORGANIZER, event_type, eventually, seed, soon
from tests.contract.calcom import check

BOOKINGS = {"cal-api-version": "2026-02-25"}  # "selects the latest v2 contract for the /v2/bookings endpoint"
EVENT_TYPES = {"cal-api-version": "2024-06-14"}
SCHEDULES = {"cal-api-version": "2024-06-11"}
TEAMMATE = User(id=2, name="Bea Teammate", email="bea@example.com", username="bea")


@pytest.fixture
async def http(stack):
    """User 1's API key, as Nexla's Cal.com credential sends it."""
    await seed(stack.db, event_type(1), event_type(2, requires_confirmation=True), users=[ORGANIZER, TEAMMATE])
    async with stack.as_(stack.keys.owner) as client:
        yield client


def _record(event_type_id: int, start) -> dict:
    """Create a Booking's record: start (ISO 8601), eventTypeId, attendee with name, email, timeZone."""
    attendee = {"name": "Lee Lead", "email": "lee@example.com", "timeZone": "America/New_York"}
    return {"start": start.isoformat().replace("+00:00", "Z"), "eventTypeId": event_type_id, "attendee": attendee}


async def test_create_cancel_reschedule_and_confirm_a_booking(stack, http):
    # Create a Booking: 201 with the booking, BOOKING_CREATED fired.
    response = await http.post("/v2/bookings", json=_record(1, soon(3600)), headers=BOOKINGS)
    assert response.headers["cal-api-version"] == "2024-08-13"
    created = check(response)["data"]
    assert created["status"] == "accepted" and created["attendees"][0]["email"] == "lee@example.com"
    await eventually(lambda: stack.triggers(created["uid"]), lambda t: "BOOKING_CREATED" in t)

    # Reschedule a Booking: start and reschedulingReason; the new booking holds the new time and the reason.
    new_start = soon(7200).replace(microsecond=0)
    body = {"start": new_start.isoformat(), "reschedulingReason": "Clash with a board meeting"}
    moved = check(await http.post(f"/v2/bookings/{created['uid']}/reschedule", json=body, headers=BOOKINGS))["data"]
    assert moved["start"] == new_start.isoformat().replace("+00:00", "Z")
    assert moved["reschedulingReason"] == "Clash with a board meeting"
    assert moved["rescheduledFromUid"] == created["uid"]
    await eventually(lambda: stack.triggers(moved["uid"]), lambda t: "BOOKING_RESCHEDULED" in t)

    # Cancel a Booking: cancellationReason surfaced, cancelSubsequentBookings accepted (a single booking).
    body = {"cancellationReason": "Lead went cold", "cancelSubsequentBookings": True}
    cancelled = check(await http.post(f"/v2/bookings/{moved['uid']}/cancel", json=body, headers=BOOKINGS))["data"]
    assert cancelled["status"] == "cancelled" and cancelled["cancellationReason"] == "Lead went cold"
    await eventually(lambda: stack.triggers(moved["uid"]), lambda t: "BOOKING_CANCELLED" in t)

    # Confirm a Booking: a pending booking of an event type requiring confirmation, with the optional reason.
    pending = check(await http.post("/v2/bookings", json=_record(2, soon(10800)), headers=BOOKINGS))["data"]
    assert pending["status"] == "pending"
    body = {"reason": "Approved by the sales lead"}
    confirmed = check(await http.post(f"/v2/bookings/{pending['uid']}/confirm", json=body, headers=BOOKINGS))
    assert confirmed["data"]["status"] == "accepted"
    empty = check(await http.post("/v2/bookings", json=_record(2, soon(14400)), headers=BOOKINGS))["data"]
    assert check(await http.post(f"/v2/bookings/{empty['uid']}/confirm", headers=BOOKINGS))["data"]["status"] == (
        "accepted"
    )


async def test_create_update_and_delete_an_event_type(stack, http):
    body = {
        "title": "Demo",
        "slug": "demo",
        "lengthInMinutes": 30,
        "description": "A product demo",
        "locations": [{"type": "link", "link": "https://meet.example.com/demo", "public": True}],
        "bookingFields": [
            {
                "type": "text",
                "slug": "company",
                "label": "Company",
                "required": True,
                "placeholder": "",
                "hidden": False,
            }
        ],
        "scheduleId": 1,
        "minimumBookingNotice": 0,
    }
    created = check(await http.post("/v2/event-types", json=body, headers=EVENT_TYPES))["data"]
    assert (created["title"], created["description"], created["scheduleId"]) == ("Demo", "A product demo", 1)
    assert created["locations"] == body["locations"]
    one = f"/v2/event-types/{created['id']}"

    # Update: only the fields sent change, omitted fields are left untouched.
    updated = check(await http.patch(one, json={"lengthInMinutes": 45}, headers=EVENT_TYPES))["data"]
    assert updated["lengthInMinutes"] == 45
    assert {k: v for k, v in updated.items() if k not in ("lengthInMinutes", "length")} == {
        k: v for k, v in created.items() if k not in ("lengthInMinutes", "length")
    }

    # A booking on it (its booking field answered), then Delete: the booking is preserved.
    record = _record(created["id"], soon(3600)) | {"bookingFieldsResponses": {"company": "Acme"}}
    booking = check(await http.post("/v2/bookings", json=record, headers=BOOKINGS))["data"]
    check(await http.delete(one, headers=EVENT_TYPES))
    assert (await http.get(one, headers=EVENT_TYPES)).status_code == 404
    kept = check(await http.get(f"/v2/bookings/{booking['uid']}", headers=BOOKINGS))["data"]
    assert kept["status"] == "accepted" and kept["eventTypeId"] == created["id"]
    assert kept["bookingFieldsResponses"] == {"company": "Acme"}


async def test_create_a_schedule(http):
    body = {
        "name": "Working hours",
        "timeZone": "America/New_York",
        "availability": [{"days": ["Monday", "Tuesday"], "startTime": "09:00", "endTime": "17:00"}],
        "isDefault": False,
    }
    created = check(await http.post("/v2/schedules", json=body, headers=SCHEDULES))["data"]
    assert (created["name"], created["timeZone"]) == ("Working hours", "America/New_York")
    assert created["availability"][0]["days"] == ["Monday", "Tuesday"]
    assert check(await http.get(f"/v2/schedules/{created['id']}", headers=SCHEDULES))["data"] == created


async def test_create_a_webhook_active_by_default(http):
    body = {
        "subscriberUrl": "https://localhost:8443/cal",
        "triggers": ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED"],
        "secret": "s3cret-for-hmac",
        "payloadTemplate": '{"uid": "{{uid}}"}',
    }
    created = check(await http.post("/v2/webhooks", json=body))["data"]
    assert created["active"] is True
    assert created["subscriberUrl"] == body["subscriberUrl"] and created["triggers"] == body["triggers"]
    assert created["payloadTemplate"] == body["payloadTemplate"]


async def test_create_an_out_of_office_entry(http):
    start = soon(86400).replace(hour=0, minute=0, second=0, microsecond=0)
    body = {
        "start": start.isoformat(),
        "end": (start + timedelta(days=3)).isoformat(),
        "reason": "vacation",
        "notes": "Back on Monday",
        "toUserId": 2,
    }
    response = await http.post("/v2/out-of-office", json=body)
    assert response.status_code == 201, response.text
    created = response.json()["data"]
    assert (created["reason"], created["notes"], created["toUserId"]) == ("vacation", "Back on Monday", 2)
    listed = (await http.get("/v2/out-of-office")).json()["data"]
    assert [e["id"] for e in listed] == [created["id"]]

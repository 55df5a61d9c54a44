"""The availability API end to end: schedules shape /v2/slots, bookings and reservations respect them."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.config import Configuration
from domain.schedules import DateOverride, OutOfOffice, always_available
from store import availability, config
from testkit.stack import ORGANIZER, event_type, seed

ROME = ZoneInfo("Europe/Rome")
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def next_monday(weeks: int = 1) -> date:
    today = datetime.now(UTC).date()
    return today + timedelta(days=7 * weeks - today.weekday())


def rome(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ROME)


async def _rome_hours(stack, day: date, schedule: dict) -> int:
    await seed(stack.db, event_type(1, length_in_minutes=60))
    async with stack.as_(stack.keys.owner) as http:
        created = await http.post("/v2/schedules", json=schedule)
    assert created.status_code == 201, created.text
    return created.json()["data"]["id"]


async def _slots(stack, start: date, end: date, **params) -> dict:
    query = {"eventTypeId": 1, "start": start.isoformat(), "end": end.isoformat(), "timeZone": "Europe/Rome"} | params
    async with stack.as_(None) as http:  # a booker has no key
        response = await http.get("/v2/slots", params=query)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "success"
    return response.json()["data"]


def _hours(day_slots: list[dict]) -> list[int]:
    return [datetime.fromisoformat(s["start"]).hour for s in day_slots]


async def test_a_schedule_shapes_slots_overrides_and_out_of_office(stack):
    monday = next_monday()
    schedule = {
        "name": "Working hours",
        "timeZone": "Europe/Rome",
        "isDefault": True,
        "availability": [{"days": WEEKDAYS, "startTime": "09:00", "endTime": "17:00"}],
        "overrides": [{"date": (monday + timedelta(days=1)).isoformat(), "startTime": "00:00", "endTime": "00:00"}],
    }
    schedule_id = await _rome_hours(stack, monday, schedule)
    async with stack.as_(stack.keys.owner) as http:
        default = (await http.get("/v2/schedules/default")).json()["data"]
        assert default["id"] == schedule_id and default["isDefault"] is True
        assert (await http.get("/v2/me")).json()["data"]["defaultScheduleId"] == schedule_id
        wednesday = monday + timedelta(days=2)
        away = {
            "start": rome(wednesday, 0).isoformat(),
            "end": rome(wednesday + timedelta(days=1), 0).isoformat(),
            "reason": "vacation",
        }
        assert (await http.post("/v2/out-of-office", json=away)).status_code == 201
        overlapping = await http.post("/v2/out-of-office", json=away)
        assert overlapping.status_code == 409
    data = await _slots(stack, monday, monday + timedelta(days=6))
    assert list(data) == [
        monday.isoformat(),
        (monday + timedelta(days=3)).isoformat(),
        (monday + timedelta(days=4)).isoformat(),
    ]
    assert _hours(data[monday.isoformat()]) == list(range(9, 17))
    first = data[monday.isoformat()][0]["start"]
    assert first.endswith(".000+01:00") or first.endswith(".000+02:00")
    utc = await _slots(stack, monday, monday, timeZone="UTC", format="range")
    assert utc[monday.isoformat()][0]["start"].endswith(":00:00.000Z") and "end" in utc[monday.isoformat()][0]


async def test_nine_oclock_on_both_sides_of_a_dst_change(stack):
    await seed(stack.db, event_type(1, length_in_minutes=60))
    schedule = {
        "name": "Every day",
        "timeZone": "Europe/Rome",
        "isDefault": True,
        "availability": [{"days": [*WEEKDAYS, "Saturday", "Sunday"], "startTime": "09:00", "endTime": "12:00"}],
    }
    await _rome_hours(stack, next_monday(), schedule)
    year = datetime.now(UTC).year + 1
    change = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)  # last Sunday of March
    data = await _slots(stack, change - timedelta(days=1), change + timedelta(days=1))
    for day in (change - timedelta(days=1), change, change + timedelta(days=1)):
        assert [s["start"][11:16] for s in data[day.isoformat()]] == ["09:00", "10:00", "11:00"]
    assert data[(change - timedelta(days=1)).isoformat()][0]["start"].endswith("+01:00")
    assert data[change.isoformat()][0]["start"].endswith("+02:00")


async def test_bookings_outside_the_schedule_are_refused_and_booked_slots_disappear(stack):
    monday = next_monday()
    await _rome_hours(stack, monday, {"name": "w", "timeZone": "Europe/Rome", "isDefault": True})  # Mon-Fri 09-17
    attendee = {"name": "Bo", "email": "bo@example.com", "timeZone": "Europe/Rome"}
    night = await stack.http.post(
        "/v2/bookings", json={"start": rome(monday, 3).isoformat(), "eventTypeId": 1, "attendee": attendee}
    )
    assert night.status_code == 400
    assert night.json()["error"]["message"] == "User either already has booking at this time or is not available"
    booked = await stack.book(1, rome(monday, 10))
    hours = _hours((await _slots(stack, monday, monday))[monday.isoformat()])
    assert 10 not in hours and 9 in hours and 11 in hours
    async with stack.as_(None) as http:
        moved = await http.post(
            f"/v2/bookings/{booked['uid']}/reschedule", json={"start": rome(monday + timedelta(days=5), 10).isoformat()}
        )  # Saturday
    assert moved.status_code == 400


async def test_minimum_notice_refuses_with_calcoms_message(stack):
    await seed(stack.db, event_type(1, minimum_booking_notice=120))
    soon = datetime.now(UTC) + timedelta(minutes=30)
    response = await stack.http.post(
        "/v2/bookings",
        json={
            "start": soon.isoformat(),
            "eventTypeId": 1,
            "attendee": {"name": "Bo", "email": "bo@example.com", "timeZone": "UTC"},
        },
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith('The event type can\'t be booked at the "start" time')


async def test_a_reserved_slot_is_neither_offered_nor_bookable_by_others(stack):
    monday = next_monday()
    await _rome_hours(stack, monday, {"name": "w", "timeZone": "Europe/Rome", "isDefault": True})
    slot = rome(monday, 11).astimezone(UTC)
    async with stack.as_(None) as http:
        reserved = await http.post("/v2/slots/reservations", json={"eventTypeId": 1, "slotStart": slot.isoformat()})
        assert reserved.status_code == 201, reserved.text
        data = reserved.json()["data"]
        assert data["reservationDuration"] == 5 and data["slotDuration"] == 60
        uid = data["reservationUid"]
        again = await http.post("/v2/slots/reservations", json={"eventTypeId": 1, "slotStart": slot.isoformat()})
        assert again.status_code == 409 and "already reserved" in again.json()["error"]["message"]
        custom = await http.post(
            "/v2/slots/reservations", json={"eventTypeId": 1, "slotStart": slot.isoformat(), "reservationDuration": 10}
        )
        assert custom.status_code == 401
        assert (await http.get(f"/v2/slots/reservations/{uid}")).json()["data"]["reservationUid"] == uid
    assert 11 not in _hours((await _slots(stack, monday, monday))[monday.isoformat()])
    attendee = {"name": "Cy", "email": "cy@example.com", "timeZone": "UTC"}
    taken = await stack.http.post(
        "/v2/bookings", json={"start": slot.isoformat(), "eventTypeId": 1, "attendee": attendee}
    )
    assert taken.status_code == 400
    mine = await stack.book(1, slot, reservedSlotUid=uid)  # the reserver books their own reservation
    assert mine["start"].startswith(slot.strftime("%Y-%m-%dT%H:%M"))
    async with stack.as_(None) as http:
        assert (await http.get(f"/v2/slots/reservations/{uid}")).json()["data"] is None
        assert (
            await http.patch(f"/v2/slots/reservations/{uid}", json={"eventTypeId": 1, "slotStart": slot.isoformat()})
        ).status_code == 404


async def test_concurrent_requests_for_one_slot_give_one_booking(stack):
    monday = next_monday()
    await _rome_hours(stack, monday, {"name": "w", "timeZone": "Europe/Rome", "isDefault": True})
    start = rome(monday, 14).isoformat()

    async def attempt(n: int) -> int:
        body = {
            "start": start,
            "eventTypeId": 1,
            "attendee": {"name": "B", "email": f"b{n}@example.com", "timeZone": "UTC"},
        }
        return (await stack.http.post("/v2/bookings", json=body)).status_code

    codes = await asyncio.gather(*(attempt(n) for n in range(20)))
    assert codes.count(201) == 1 and set(codes) <= {201, 400, 409}


async def test_bad_input_names_the_field(stack):
    await seed(stack.db, event_type(1))
    base = {"name": "x", "timeZone": "Europe/Rome"}
    cases = [
        ({**base, "timeZone": "Mars/Olympus"}, "timeZone"),
        (
            {**base, "availability": [{"days": ["Funday"], "startTime": "09:00", "endTime": "10:00"}]},
            "availability.0.days",
        ),
        ({**base, "availability": [{"days": ["Monday"], "startTime": "10:00", "endTime": "09:00"}]}, "endTime"),
        (
            {
                **base,
                "availability": [
                    {"days": ["Monday"], "startTime": "09:00", "endTime": "11:00"},
                    {"days": ["Monday"], "startTime": "10:00", "endTime": "12:00"},
                ],
            },
            "availability",
        ),
        ({**base, "overrides": [{"date": "2030-02-30", "startTime": "09:00", "endTime": "10:00"}]}, "overrides.0.date"),
    ]
    async with stack.as_(stack.keys.owner) as http:
        for body, field in cases:
            response = await http.post("/v2/schedules", json=body)
            assert response.status_code == 400, body
            assert field in response.json()["error"]["message"], response.json()
        full_day = await http.post(
            "/v2/schedules",
            json={**base, "availability": [{"days": ["Monday"], "startTime": "00:00", "endTime": "24:00"}]},
        )
        assert full_day.status_code == 201
        backwards = await http.post(
            "/v2/out-of-office", json={"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}
        )
        assert backwards.status_code == 400 and "end" in backwards.json()["error"]["message"]
    async with stack.as_(None) as http:
        for params, field in [
            ({"eventTypeId": 1, "start": "2030-01-05", "end": "2030-01-01"}, "end"),
            ({"eventTypeId": 1, "start": "2030-01-01", "end": "2031-06-01"}, "end"),
            ({"eventTypeId": 1, "start": "2030-01-01", "end": "2030-01-02", "timeZone": "Nowhere/Else"}, "timeZone"),
            ({"eventTypeId": 1, "start": "yesterday", "end": "2030-01-02"}, "start"),
            ({"eventTypeId": 1, "start": "2030-01-01", "end": "2030-01-02", "colour": "red"}, "colour"),
        ]:
            response = await http.get("/v2/slots", params=params)
            assert response.status_code == 400, params
            assert response.json()["error"]["message"].startswith(field), response.json()
        missing = await http.get("/v2/slots", params={"eventTypeId": 99, "start": "2030-01-01", "end": "2030-01-02"})
        assert missing.status_code == 404 and missing.json()["error"]["message"] == "Event Type not found"


async def test_the_older_slots_family(stack):
    monday = next_monday()
    await _rome_hours(stack, monday, {"name": "w", "timeZone": "Europe/Rome", "isDefault": True})
    params = {"eventTypeId": 1, "startTime": monday.isoformat(), "endTime": monday.isoformat()}
    async with stack.as_(None) as http:
        older = (await http.get("/v2/slots/available", params=params)).json()["data"]["slots"]
        nine = rome(monday, 9).astimezone(UTC).strftime("%H:%M")
        assert older[monday.isoformat()][0]["time"][11:16] == nine  # no timeZone: UTC
        ranged = (await http.get("/v2/slots/available", params={**params, "slotFormat": "range"})).json()
        assert set(ranged["data"]["slots"][monday.isoformat()][0]) == {"startTime", "endTime"}
        slot = rome(monday, 9).astimezone(UTC)
        body = {
            "eventTypeId": 1,
            "slotUtcStartDate": slot.isoformat(),
            "slotUtcEndDate": (slot + timedelta(hours=1)).isoformat(),
        }
        reserved = await http.post("/v2/slots/reserve", json=body)
        assert reserved.status_code == 201 and reserved.cookies.get("uid") == reserved.json()["data"]
        hidden = (await http.get("/v2/slots/available", params=params)).json()["data"]["slots"]
        assert nine not in [s["time"][11:16] for s in hidden[monday.isoformat()]]
        released = await http.delete("/v2/slots/selected-slot", params={"uid": reserved.json()["data"]})
        assert released.json() == {"status": "success"}
        back = (await http.get("/v2/slots/available", params=params)).json()["data"]["slots"]
        assert back == older


async def test_a_rolling_window_counts_the_days_before_the_asked_window(stack):
    """ROLLING_WINDOW: N days with slots from today, so /v2/slots reads busy time from today on, not only
    inside the asked window (a day off before it pushes the window's end out) — and the booking check agrees."""
    today = datetime.now(UTC).date()
    closed_today = DateOverride(date=today, start_time="00:00", end_time="00:00")
    schedule = always_available(1, ORGANIZER.id).model_copy(update={"overrides": [closed_today]})
    window = {"type": "calendarDays", "value": 3, "rolling": True}
    document = Configuration(
        users=[ORGANIZER], schedules=[schedule], event_types=[event_type(1, length_in_minutes=60, bookingWindow=window)]
    )
    async with stack.db.transaction() as session:
        await config.apply_configuration(session, document)
        away = OutOfOffice(id=1, user_id=1, start=_midnight(today, 1), end=_midnight(today, 2))
        await availability.save_out_of_office(session, None, 1, away)
    days = [today + timedelta(days=n) for n in range(6)]
    found = await _slots(stack, days[3], days[5], timeZone="UTC")
    # Today is closed and tomorrow away: the three days with slots are days 2, 3 and 4.
    assert sorted(found) == [days[3].isoformat(), days[4].isoformat()]
    body = {"eventTypeId": 1, "attendee": {"name": "Bo", "email": "bo@example.com", "timeZone": "UTC"}}
    late = await stack.http.post("/v2/bookings", json=body | {"start": _midnight(today, 5, hour=10).isoformat()})
    assert late.status_code == 400 and "scheduling window" in late.json()["error"]["message"]
    assert (await stack.book(1, _midnight(today, 4, hour=10)))["status"] == "accepted"


def _midnight(day: date, days: int, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) + timedelta(days=days)

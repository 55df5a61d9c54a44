"""Recurring bookings: an event type with `recurrence` books one booking per occurrence sharing a
`recurringBookingUid`, each checked for availability and each with its own workflow; read and cancel by series."""

from datetime import UTC, datetime, timedelta

from domain.booking import Attendee, Booking, BookingStatus
from domain.config import Host, User
from domain.recurrence import Recurrence, occurrence_starts
from domain.triggers import Trigger
from store import bookings
from templates.payloads.booking import build_body
from testkit.stack import ORGANIZER, event_type, eventually, seed, soon
from tests.contract.calcom import check

WEEKLY = {"frequency": "weekly", "interval": 1, "occurrences": 4}
BOOKINGS = {"cal-api-version": "2026-02-25"}


def _body(**fields) -> dict:
    attendee = {"name": "Bo Booker", "email": "bo@example.com", "timeZone": "Europe/Rome"}
    return {"start": soon(3600).replace(microsecond=0).isoformat(), "eventTypeId": 1, "attendee": attendee} | fields


async def _book_series(stack, **fields) -> list[dict]:
    response = await stack.http.post("/v2/bookings", json=_body(**fields), headers=BOOKINGS)
    return check(response)["data"]


async def test_a_create_books_every_occurrence_each_with_its_workflow(stack):
    await seed(stack.db, event_type(1, recurrence=WEEKLY))
    body = _body()
    series = check(await stack.http.post("/v2/bookings", json=body, headers=BOOKINGS))["data"]
    assert isinstance(series, list) and len(series) == 4
    series_uid = series[0]["recurringBookingUid"]
    assert {b["recurringBookingUid"] for b in series} == {series_uid}
    assert len({b["uid"] for b in series}) == 4
    expected = occurrence_starts(datetime.fromisoformat(body["start"]), Recurrence(**WEEKLY), 4, "Europe/Rome")
    assert [b["start"] for b in series] == [s.isoformat().replace("+00:00", "Z") for s in expected]
    for booking in series:  # each occurrence runs its own workflow, which fires its own BOOKING_CREATED
        await eventually(lambda uid=booking["uid"]: stack.triggers(uid), lambda t: "BOOKING_CREATED" in t)

    everything = check(await stack.http.get(f"/v2/bookings/{series_uid}", headers=BOOKINGS))["data"]
    assert [b["uid"] for b in everything] == [b["uid"] for b in series]
    one = check(await stack.http.get(f"/v2/bookings/{series[1]['uid']}", headers=BOOKINGS))["data"]
    assert one["recurringBookingUid"] == series_uid
    listed = (await stack.http.get("/v2/bookings", params={"status": "recurring"})).json()["data"]
    assert sorted(b["uid"] for b in listed) == sorted(b["uid"] for b in series)


async def test_recurrence_count_books_fewer_and_never_more(stack):
    await seed(stack.db, event_type(1, recurrence=WEEKLY))
    assert len(await _book_series(stack, recurrenceCount=2)) == 2
    response = await stack.http.post("/v2/bookings", json=_body(start=soon(7200).isoformat(), recurrenceCount=5))
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("recurrenceCount")


async def test_each_occurrence_is_checked_for_availability_and_none_is_booked_if_one_is_taken(stack):
    await seed(stack.db, event_type(1, recurrence=WEEKLY))
    body = _body()
    third = occurrence_starts(datetime.fromisoformat(body["start"]), Recurrence(**WEEKLY), 3, "Europe/Rome")[2]
    blocker = await stack.book(1, third, recurrenceCount=1)  # a one-occurrence series holds the third week
    response = await stack.http.post("/v2/bookings", json=body)
    assert response.status_code in (400, 409), response.text
    assert "occurrence 3 of 4" in response.json()["error"]["message"]
    listed = (await stack.http.get("/v2/bookings")).json()["data"]
    assert [b["uid"] for b in listed] == [blocker[0]["uid"]]  # all or nothing


async def test_cancel_one_one_and_later_or_all(stack):
    await seed(stack.db, event_type(1, recurrence=WEEKLY))
    series = await _book_series(stack)
    uids = [b["uid"] for b in series]
    series_uid = series[0]["recurringBookingUid"]

    one = check(await stack.http.post(f"/v2/bookings/{uids[0]}/cancel", json={"cancellationReason": "ill"}))
    assert one["data"]["uid"] == uids[0] and one["data"]["status"] == "cancelled"
    later = check(await stack.http.post(f"/v2/bookings/{uids[2]}/cancel", json={"cancelSubsequentBookings": True}))[
        "data"
    ]
    assert [b["uid"] for b in later] == uids
    assert [b["status"] for b in later] == ["cancelled", "accepted", "cancelled", "cancelled"]
    everything = check(await stack.http.post(f"/v2/bookings/{series_uid}/cancel", json={}))["data"]
    assert [b["status"] for b in everything] == ["cancelled"] * 4
    for uid in uids:
        await eventually(lambda uid=uid: stack.triggers(uid), lambda t: t.count("BOOKING_CANCELLED") == 1)


async def test_a_rescheduled_occurrence_stays_in_its_series(stack):
    await seed(stack.db, event_type(1, recurrence=WEEKLY | {"occurrences": 2}))
    series = await _book_series(stack)
    series_uid, moved_from = series[0]["recurringBookingUid"], series[1]["uid"]
    new_start = (datetime.fromisoformat(series[1]["start"]) + timedelta(hours=1)).isoformat()
    moved = check(await stack.http.post(f"/v2/bookings/{moved_from}/reschedule", json={"start": new_start}))["data"]
    assert moved["recurringBookingUid"] == series_uid and moved["rescheduledFromUid"] == moved_from
    listed = check(await stack.http.get(f"/v2/bookings/{series_uid}"))["data"]
    assert [(b["uid"], b["status"]) for b in listed] == [
        (series[0]["uid"], "accepted"), (moved_from, "cancelled"), (moved["uid"], "accepted"),
    ]  # fmt: skip
    everything = check(await stack.http.post(f"/v2/bookings/{series_uid}/cancel", json={}))["data"]
    assert [b["status"] for b in everything] == ["cancelled"] * 3


async def test_confirm_and_decline_apply_to_every_pending_occurrence_as_on_calcom(stack):
    await seed(stack.db, event_type(1, recurrence=WEEKLY | {"occurrences": 3}, requires_confirmation=True))
    series = await _book_series(stack)
    assert [b["status"] for b in series] == ["pending"] * 3
    confirmed = check(await stack.http.post(f"/v2/bookings/{series[1]['uid']}/confirm", json={"reason": "ok"}))
    assert confirmed["data"]["uid"] == series[1]["uid"] and confirmed["data"]["status"] == "accepted"
    listed = check(await stack.http.get(f"/v2/bookings/{series[0]['recurringBookingUid']}"))["data"]
    assert [b["status"] for b in listed] == ["accepted"] * 3
    for booking in series:
        await eventually(lambda uid=booking["uid"]: stack.triggers(uid), lambda t: "BOOKING_CREATED" in t)

    other = await _book_series(stack, start=soon(7200).replace(microsecond=0).isoformat())
    declined = check(await stack.http.post(f"/v2/bookings/{other[0]['uid']}/decline", json={"reason": "no"}))
    assert declined["data"]["status"] == "rejected"
    listed = check(await stack.http.get(f"/v2/bookings/{other[0]['recurringBookingUid']}"))["data"]
    assert [b["status"] for b in listed] == ["rejected"] * 3


async def test_the_bookers_own_reservation_of_the_first_occurrence_is_turned_into_it(stack):
    await seed(stack.db, event_type(1, recurrence=WEEKLY | {"occurrences": 2}))
    start = soon(3600).replace(second=0, microsecond=0).isoformat()
    async with stack.as_(None) as http:
        reserved = await http.post("/v2/slots/reservations", json={"eventTypeId": 1, "slotStart": start})
    assert reserved.status_code == 201, reserved.text
    held = reserved.json()["data"]["reservationUid"]
    refused = await stack.http.post("/v2/bookings", json=_body(start=start))
    assert refused.status_code == 400 and "occurrence 1 of 2" in refused.json()["error"]["message"]
    series = await _book_series(stack, start=start, reservedSlotUid=held)
    assert len(series) == 2


async def test_a_round_robin_series_keeps_the_host_of_its_first_occurrence(stack):
    teammate = User(id=2, name="Bea Teammate", email="bea@example.com", username="bea")
    hosts = [Host(user_id=1), Host(user_id=2)]
    recurring = event_type(1, recurrence=WEEKLY, scheduling_type="roundRobin", hosts=hosts)
    await seed(stack.db, recurring, users=[ORGANIZER, teammate])
    for n in range(2):  # two series: whoever hosts a series' first occurrence hosts all of it
        series = await _book_series(stack, start=soon(3600 + n * 7200).replace(microsecond=0).isoformat())
        assert len({b["hosts"][0]["id"] for b in series}) == 1, [b["hosts"] for b in series]


async def test_a_repeated_create_with_the_same_idempotency_key_answers_the_same_series(stack):
    await seed(stack.db, event_type(1, recurrence=WEEKLY))
    body, key = _body(), {"Idempotency-Key": "series-once"}
    first = check(await stack.http.post("/v2/bookings", json=body, headers=key))["data"]
    again = check(await stack.http.post("/v2/bookings", json=body, headers=key))["data"]
    assert [b["uid"] for b in again] == [b["uid"] for b in first]
    assert len((await stack.http.get("/v2/bookings")).json()["data"]) == 4


async def test_event_type_recurrence_is_validated_and_can_be_disabled(stack):
    await seed(stack.db)
    body = {"title": "Weekly", "slug": "weekly", "lengthInMinutes": 30, "recurrence": WEEKLY}
    async with stack.as_(stack.keys.owner) as http:
        created = check(await http.post("/v2/event-types", json=body))["data"]
        assert created["recurrence"] == WEEKLY
        off = check(await http.patch(f"/v2/event-types/{created['id']}", json={"recurrence": {"disabled": True}}))
        assert off["data"]["recurrence"] is None
        for bad in ({"frequency": "daily", "interval": 1, "occurrences": 2}, WEEKLY | {"occurrences": 33}):
            response = await http.post("/v2/event-types", json=body | {"slug": "bad", "recurrence": bad})
            assert response.status_code == 400, response.text
            assert response.json()["error"]["message"].startswith("recurrence"), response.text


async def test_the_series_is_stored_with_its_uid(stack):
    await seed(stack.db, event_type(1, recurrence=WEEKLY | {"occurrences": 2}))
    series = await _book_series(stack)
    async with stack.db.sessions() as session:
        stored = await bookings.series(session, series[0]["recurringBookingUid"])
    assert [b.uid for b in stored] == [b["uid"] for b in series]
    assert stored[1].start - stored[0].start == timedelta(weeks=1)


def test_the_flat_booking_row_names_its_series():
    """MEETING_STARTED/ENDED carry the booking row: Cal.com's recurringEventId is the series' uid."""
    start = datetime(2030, 1, 7, 9, tzinfo=UTC)
    booking = Booking(
        id=1, uid="occurrence-1", event_type=event_type(1, recurrence=WEEKLY), organizer=ORGANIZER,
        attendees=[Attendee(name="Bo", email="bo@example.com")], start=start, end=start + timedelta(minutes=30),
        status=BookingStatus.ACCEPTED, created_at=start, title="Weekly", recurring_booking_uid="series-1",
    )  # fmt: skip
    assert build_body(Trigger.MEETING_STARTED, booking, start, {})["recurringEventId"] == "series-1"
    single = booking.model_copy(update={"recurring_booking_uid": None})
    assert build_body(Trigger.MEETING_STARTED, single, start, {})["recurringEventId"] is None

"""Several hosts: round robin books a free host, collective needs all, out of office redirects to toUserId."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from domain.config import Host, User
from testkit.stack import ORGANIZER, event_type, seed

BOB = User(id=2, name="Bob Host", email="bob@example.com", username="bob", time_zone="Europe/Berlin")
CY = User(id=3, name="Cy Host", email="cy@example.com", username="cy", time_zone="Europe/Berlin")


def at_hour(hours: int) -> datetime:
    """``hours`` after noon UTC two days from now: the slot and its hour stay inside one UTC day whenever the
    test runs (tests ask for one day's slots)."""
    return (datetime.now(UTC) + timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(
        hours=hours
    )


async def _organizer(stack, uid: str) -> int:
    return (await stack.http.get(f"/v2/bookings/{uid}")).json()["data"]["hosts"][0]["id"]


async def test_round_robin_books_a_free_host_and_collective_needs_everyone(stack):
    hosts = [Host(user_id=1), Host(user_id=2)]
    await seed(
        stack.db,
        event_type(1, length_in_minutes=60, hosts=hosts, scheduling_type="roundRobin"),
        event_type(2, length_in_minutes=60, hosts=hosts, scheduling_type="collective"),
        event_type(3, length_in_minutes=60),
        users=[ORGANIZER, BOB],
    )
    ada_busy = await stack.book(3, at_hour(0))  # ada's own event type takes her time
    assert await _organizer(stack, ada_busy["uid"]) == 1
    rr = await stack.book(1, at_hour(0), email="rr@example.com")
    assert await _organizer(stack, rr["uid"]) == 2  # ada is busy: bob takes it
    third = await stack.http.post(
        "/v2/bookings",
        json={
            "start": at_hour(0).isoformat(),
            "eventTypeId": 1,
            "attendee": {"name": "C", "email": "c@example.com", "timeZone": "UTC"},
        },
    )
    assert third.status_code == 400
    assert third.json()["error"]["message"].startswith("One of the hosts either already has booking")
    collective = await stack.http.post(
        "/v2/bookings",
        json={
            "start": at_hour(0).isoformat(),
            "eventTypeId": 2,
            "attendee": {"name": "C", "email": "c@example.com", "timeZone": "UTC"},
        },
    )
    assert collective.status_code == 400
    together = await stack.book(2, at_hour(2), email="both@example.com")
    day = at_hour(2).date().isoformat()
    async with stack.as_(None) as http:
        for event_type_id in (1, 3):  # a collective booking holds both hosts' time
            found = await http.get("/v2/slots", params={"eventTypeId": event_type_id, "start": day, "end": day})
            starts = [s["start"] for s in found.json()["data"].get(day, [])]
            assert at_hour(2).strftime("%Y-%m-%dT%H:%M") not in {s[:16] for s in starts}, (event_type_id, starts)
    assert together["uid"]


async def test_out_of_office_redirects_to_the_teammate(stack):
    hosts = [Host(user_id=1), Host(user_id=2), Host(user_id=3)]
    await seed(
        stack.db,
        event_type(1, length_in_minutes=30, hosts=hosts, scheduling_type="roundRobin"),
        users=[ORGANIZER, BOB, CY],
    )
    away = {"start": at_hour(-2).isoformat(), "end": at_hour(6).isoformat(), "reason": "vacation", "toUserId": 3}
    async with stack.as_(stack.keys.owner) as http:
        created = await http.post("/v2/out-of-office", json=away)
        assert created.status_code == 201, created.text
        assert created.json()["data"]["toUserId"] == 3
    booked = await stack.book(1, at_hour(1))
    assert await _organizer(stack, booked["uid"]) == 3  # not bob, who comes first: ada sent her bookings to cy
    later = await stack.book(1, at_hour(8), email="later@example.com")
    assert await _organizer(stack, later["uid"]) == 1  # back from holiday


async def test_round_robin_books_the_weighted_least_recently_booked_free_host(stack):
    """The booking-time choice is routing's chooser (domain.host_choice), made among the free hosts only."""
    hosts = [Host(user_id=1), Host(user_id=2), Host(user_id=3)]
    await seed(
        stack.db,
        event_type(1, length_in_minutes=30, hosts=hosts, scheduling_type="roundRobin"),
        event_type(3, length_in_minutes=60),  # ada's own
        users=[ORGANIZER, BOB, CY],
    )
    chosen = [(await stack.book(1, at_hour(i), email=f"rr{i}@example.com"))["hosts"][0]["id"] for i in range(6)]
    assert chosen == [1, 2, 3, 1, 2, 3], chosen  # the fair share, ties to the least recently booked
    assert Counter(chosen) == {1: 2, 2: 2, 3: 2}
    await stack.book(3, at_hour(10))  # ada, next in line by user id, is busy at 10:00
    assert (await stack.book(1, at_hour(10), email="busy@example.com"))["hosts"][0]["id"] == 2
    # Free again at 12:00, ada (least recently booked of those furthest below their share) is chosen.
    assert (await stack.book(1, at_hour(12), email="free@example.com"))["hosts"][0]["id"] == 1

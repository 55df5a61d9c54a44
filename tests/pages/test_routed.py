"""A routed visitor's booking page offers the routed hosts' free times only (the times the booking would give
them), never a time only an unrouted host has free."""

from datetime import UTC, datetime, time
from urllib.parse import urlsplit

from domain.config import Configuration
from domain.schedules import DAY_NAMES, Schedule, WeeklyRange, always_available
from store import bookings, config, routing
from testkit.stack import Stack
from tests.pages.support import carried_of, days_of, month_after, times_of
from tests.routing_integration.support import REGION, ROLE, USERS, event_types, sales_form

ADA, BOB, CY = (u.id for u in USERS)
MORNINGS = (time(8), time(12))  # Ada and Bob (the routed team) are free 08:00-12:00 UTC; Cy, unrouted, always


def _mornings(user_id: int) -> Schedule:
    start, end = (f"{t:%H:%M}" for t in MORNINGS)
    every_day = WeeklyRange(days=list(DAY_NAMES), start_time=start, end_time=end)
    return Schedule(
        id=user_id, owner_id=user_id, name="Mornings", time_zone="UTC", is_default=True, availability=[every_day]
    )


async def _seed(stack: Stack) -> None:
    schedules = [_mornings(ADA), _mornings(BOB), always_available(CY, CY)]
    document = Configuration(users=USERS, schedules=schedules, event_types=event_types(), attributes=[REGION, ROLE])
    async with stack.db.transaction() as session:
        await config.apply_configuration(session, document)
    assert (await stack.http.post("/v2/routing-forms", json=sales_form())).status_code == 201


async def test_a_routed_visitor_is_offered_only_the_routed_hosts_free_times(stack: Stack):
    await _seed(stack)
    async with stack.as_(None) as http:
        # 150 seats from France: the enterprise route; nobody covers France, so the attribute fallback
        # routes to the account executives, Ada and Bob (Cy, who hosts the event type too, is not routed).
        routed = await http.post(
            "/forms/talk-to-sales",
            data={"field-f-email": "kim@lead.example", "field-f-seats": "150", "field-f-country": "o-fr"},
        )
        assert routed.status_code == 303, routed.text
        path, carried = carried_of(routed.headers["location"])
        month = f"{month_after(datetime.now(UTC).date(), 1):%Y-%m}"  # a whole month ahead, whatever today is
        view = {"tz": "UTC", "month": month}
        day = days_of((await http.get(path, params=carried | view)).text)[-1]
        routed_day = await http.get(path, params=carried | view | {"date": day})
        plain_day = await http.get(path, params=view | {"date": day})
        times = times_of(routed_day.text)
        # Book the routed page's last time: the booking gives it to a routed host.
        booked = await http.post(
            path,
            data=carried
            | {"start": times[-1].isoformat(), "tz": "UTC", "month": month, "date": day, "name": "Kim"}
            | {"email": "kim@lead.example"},
        )
        assert booked.status_code == 303, booked.text
        again = await http.get(path, params=carried | view)
        # Moving it: only the times of the host holding it (the API's reschedule checks that host alone).
        uid = booked.headers["location"].removeprefix("/booking/")
        moving = await http.get(f"/booking/{uid}", params={"reschedule": "true"} | view | {"date": day})
    async with stack.db.sessions() as session:
        response = await routing.get_response(session, int(carried["cal.routingFormResponseId"]))
        booking = await bookings.get(session, uid)
    assert path == "/ada/sales" and set(response.decision.team_member_ids) == {ADA, BOB}
    assert times and all(MORNINGS[0] <= t.time() < MORNINGS[1] for t in times), times
    # The same day without the routing: Cy's afternoon is offered there (the filter is what hid it).
    assert any(t.time() >= MORNINGS[1] for t in times_of(plain_day.text))
    assert booking.organizer.id in {ADA, BOB} and response.booking_uid == booking.uid
    moves = times_of(moving.text)
    assert moves and all(MORNINGS[0] <= t.time() < MORNINGS[1] for t in moves), moves
    # The link is spent: its page says so rather than offering times the booking would refuse.
    assert again.status_code == 409 and "already used" in again.text


async def test_a_broken_routing_link_is_a_page_saying_so(stack: Stack):
    await _seed(stack)
    async with stack.as_(None) as http:
        routed = await http.post(
            "/forms/talk-to-sales",
            data={"field-f-email": "kim@lead.example", "field-f-seats": "150", "field-f-country": "o-fr"},
        )
        path, carried = carried_of(routed.headers["location"])
        forged = await http.get(path, params=carried | {"cal.routingFormResponseToken": "forged"})
        elsewhere = await http.get("/cy/deep-dive", params=carried)
    assert urlsplit(routed.headers["location"]).path == "/ada/sales"
    assert forged.status_code == 403 and "fill in the form again" in forged.text
    assert elsewhere.status_code == 400 and "another event type" in elsewhere.text

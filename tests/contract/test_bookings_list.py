"""`GET /v2/bookings`: Cal.com's pagination metadata, filters and sorts."""

from datetime import timedelta

import pytest

from testkit.stack import event_type, seed, soon
from tests.contract.calcom import check


async def _three(stack) -> list[dict]:
    await seed(stack.db, event_type(1), event_type(2, slug="other"))
    first = await stack.book(
        1, soon(3600), email="ann@example.com", attendee={"name": "Ann", "email": "ann@example.com", "timeZone": "UTC"}
    )
    second = await stack.book(
        2, soon(7200), email="bob@example.com", attendee={"name": "Bob", "email": "bob@example.com", "timeZone": "UTC"}
    )
    third = await stack.book(
        1, soon(10800), email="cy@example.com", attendee={"name": "Cy", "email": "cy@example.com", "timeZone": "UTC"}
    )
    return [first, second, third]


async def _list(stack, **params) -> dict:
    return check(await stack.http.get("/v2/bookings", params=params))


async def test_pages_carry_calcoms_pagination_metadata(stack):
    await _three(stack)
    page = await _list(stack, take=2)
    assert page["pagination"] == {
        "totalItems": 3, "remainingItems": 1, "returnedItems": 2, "itemsPerPage": 2, "currentPage": 1,
        "totalPages": 2, "hasNextPage": True, "hasPreviousPage": False,
    }  # fmt: skip
    last = await _list(stack, take=2, skip=2)
    assert last["pagination"] | {} == last["pagination"] and len(last["data"]) == 1
    assert (last["pagination"]["currentPage"], last["pagination"]["remainingItems"]) == (2, 0)
    assert last["pagination"]["hasPreviousPage"] is True and last["pagination"]["hasNextPage"] is False
    empty = await _list(stack, attendeeEmail="nobody@example.com")
    assert empty["pagination"]["totalPages"] == 0 and empty["data"] == []


async def test_filters_narrow_the_list(stack):
    first, second, third = await _three(stack)
    uids = lambda page: [b["uid"] for b in page["data"]]  # noqa: E731
    assert uids(await _list(stack, attendeeName="bob")) == [second["uid"]]
    assert uids(await _list(stack, bookingUid=third["uid"])) == [third["uid"]]
    assert uids(await _list(stack, eventTypeIds="2")) == [second["uid"]]
    assert uids(await _list(stack, eventTypeId=1)) == [first["uid"], third["uid"]]
    assert uids(await _list(stack, afterStart=(soon(5400)).isoformat())) == [second["uid"], third["uid"]]
    assert uids(await _list(stack, beforeEnd=(soon(5400)).isoformat())) == [first["uid"]]
    assert uids(await _list(stack, afterCreatedAt=(soon(-600)).isoformat(), beforeCreatedAt=soon(600).isoformat())) == [
        first["uid"], second["uid"], third["uid"],
    ]  # fmt: skip
    assert uids(await _list(stack, afterUpdatedAt=(soon(0) + timedelta(days=1)).date().isoformat())) == []
    assert uids(await _list(stack, status="upcoming,cancelled")) == [first["uid"], second["uid"], third["uid"]]
    assert uids(await _list(stack, status="recurring")) == []


async def test_sorts_order_the_list(stack):
    first, second, third = await _three(stack)
    page = await _list(stack, sortStart="desc")
    assert [b["uid"] for b in page["data"]] == [third["uid"], second["uid"], first["uid"]]
    page = await _list(stack, sortCreated="asc")
    assert [b["uid"] for b in page["data"]] == [first["uid"], second["uid"], third["uid"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"afterStart": "yesterday"}, "afterStart"),
        ({"beforeUpdatedAt": "2024-02-30"}, "beforeUpdatedAt"),
        ({"sortStart": "up"}, "sortStart"),
        ({"eventTypeIds": "1,x"}, "eventTypeIds"),
        ({"status": "done"}, "status"),
        ({"take": "0"}, "take"),
    ],
)
async def test_a_bad_parameter_is_a_400_naming_it(stack, params, field):
    response = await stack.http.get("/v2/bookings", params=params)
    assert response.status_code == 400, response.text
    assert field in response.json()["error"]["message"]

"""Booking inputs in Cal.com's shapes: location objects kept whole, metadata as any JSON within its limits."""

import pytest

from store import bookings
from testkit.stack import event_type, seed, soon
from tests.contract.calcom import check

NEXLA = {"cal-api-version": "2026-02-25"}  # seed 002's header: served as 2024-08-13


def _body(**fields) -> dict:
    attendee = {"name": "Bo Booker", "email": "bo@example.com", "timeZone": "Europe/Rome"}
    return {"start": soon(3600).isoformat(), "eventTypeId": 1, "attendee": attendee} | fields


async def test_a_location_object_is_kept_whole_and_shows_its_place(stack):
    await seed(stack.db, event_type(1))
    where = {"type": "attendeeAddress", "address": "1 Main St"}
    response = await stack.http.post("/v2/bookings", json=_body(location=where), headers=NEXLA)
    assert response.headers["cal-api-version"] == "2024-08-13"
    created = check(response)["data"]
    assert created["location"] == "1 Main St"
    async with stack.db.sessions() as session:
        stored = await bookings.get(session, created["uid"])
    assert stored.location_details == where
    assert (
        check(await stack.http.get(f"/v2/bookings/{created['uid']}", headers=NEXLA))["data"]["location"] == "1 Main St"
    )


async def test_a_location_naming_only_a_kind_keeps_the_event_types_place(stack):
    await seed(stack.db, event_type(1, location="Office 4"))
    created = check(await stack.http.post("/v2/bookings", json=_body(location={"type": "address"})))["data"]
    assert created["location"] == "Office 4"


async def test_metadata_takes_any_json_value(stack):
    await seed(stack.db, event_type(1))
    metadata = {"count": 3, "vip": True, "tags": ["a", "b"], "nested": {"k": "v"}, "note": "x" * 500}
    created = check(await stack.http.post("/v2/bookings", json=_body(metadata=metadata)))["data"]
    assert created["metadata"] == metadata


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"location": {"type": "moon"}}, "location"),
        ({"location": {"type": "integration"}}, "location"),
        ({"metadata": {f"k{i}": "v" for i in range(51)}}, "metadata"),
        ({"metadata": {"k" * 41: "v"}}, "metadata"),
        ({"metadata": {"k": "v" * 501}}, "metadata"),
        ({"metadata": {"k": ["v" * 300, "w" * 300]}}, "metadata"),
    ],
)
async def test_a_refused_input_is_a_400_naming_the_field(stack, fields, named):
    await seed(stack.db, event_type(1))
    response = await stack.http.post("/v2/bookings", json=_body(**fields))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith(named), response.text

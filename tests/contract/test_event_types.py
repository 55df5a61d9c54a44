"""`/v2/event-types` in Cal.com's 2024-06-14 shapes: its create body accepted, every output field present."""

import pytest

from testkit.stack import ORGANIZER, event_type, seed
from tests.contract.calcom import check

CALCOM_BODY = {
    "title": "Intro call",
    "slug": "intro-call",
    "lengthInMinutes": 30,
    "description": "A first talk",
    "locations": [{"type": "address", "address": "1 Main St", "public": True}],
    "minimumBookingNotice": 60,
    "confirmationPolicy": {"type": "always", "blockUnconfirmedBookingsInBooker": True},
    "bookingFields": [
        {"type": "phone", "slug": "phone", "label": "Phone", "required": True, "placeholder": "+1", "hidden": False}
    ],
    "disableGuests": True,
    "hidden": True,
    "metadata": {"source": "nexla"},
}
VERSION = {"cal-api-version": "2024-06-14"}


@pytest.fixture
async def http(stack):
    """The owner's key (user 1, ada), as a Cal.com client acting for its user sends."""
    await seed(stack.db, users=[ORGANIZER])
    async with stack.as_(stack.keys.owner) as client:
        yield client


async def test_calcoms_create_body_is_accepted_and_answers_in_its_shape(http):
    created = check(await http.post("/v2/event-types", json=CALCOM_BODY, headers=VERSION))["data"]
    assert created["locations"] == CALCOM_BODY["locations"]
    assert created["location"] == "1 Main St"  # Bookflow's own field follows the first location
    assert created["requiresConfirmation"] is True and created["confirmationPolicy"]["type"] == "always"
    assert (created["disableGuests"], created["hidden"], created["metadata"]) == (True, True, {"source": "nexla"})
    assert created["bookingFields"] == [CALCOM_BODY["bookingFields"][0] | {"isDefault": False}]
    assert created["ownerId"] == 1 and created["users"] == ["ada"]  # the key's user hosts it
    one = f"/v2/event-types/{created['id']}"
    assert check(await http.get(one, headers=VERSION))["data"] == created
    listed = check(await http.get("/v2/event-types", headers=VERSION))["data"]
    assert [e["id"] for e in listed] == [created["id"]]


async def test_a_partial_update_keeps_omitted_fields_and_aliases_replace_each_other(http):
    created = check(await http.post("/v2/event-types", json=CALCOM_BODY))["data"]
    one = f"/v2/event-types/{created['id']}"
    renamed = check(await http.patch(one, json={"title": "Renamed"}))["data"]
    assert renamed["title"] == "Renamed" and renamed["locations"] == CALCOM_BODY["locations"]
    old_alias = check(await http.patch(one, json={"location": "https://meet.example.com/x"}))["data"]
    assert old_alias["locations"] == [{"type": "link", "link": "https://meet.example.com/x", "public": True}]
    video = {"locations": [{"type": "integration", "integration": "cal-video"}]}
    assert check(await http.patch(one, json=video))["data"]["location"] == "integrations:daily"
    off = check(await http.patch(one, json={"confirmationPolicy": {"disabled": True}}))["data"]
    assert off["requiresConfirmation"] is False and "confirmationPolicy" not in off
    deleted = check(await http.delete(one))["data"]
    assert deleted["id"] == created["id"]


async def test_bookflows_own_body_still_works_and_answers_in_calcoms_shape(http):
    body = {"title": "Old", "slug": "old", "lengthInMinutes": 15, "hosts": [{"userId": 1}], "location": "Office",
            "requiresConfirmation": True}  # fmt: skip
    created = check(await http.post("/v2/event-types", json=body))["data"]
    assert created["locations"] == [{"type": "unknown", "location": "Office"}]
    assert created["requiresConfirmation"] is True


async def test_a_seeded_event_type_answers_in_calcoms_shape(stack):
    await seed(stack.db, event_type(1))
    check(await stack.http.get("/v2/event-types/1"))


async def test_an_unknown_location_type_is_a_400_naming_the_field(http):
    body = CALCOM_BODY | {"locations": [{"type": "moon"}]}
    response = await http.post("/v2/event-types", json=body)
    assert response.status_code == 400 and "locations.0" in response.json()["error"]["message"]

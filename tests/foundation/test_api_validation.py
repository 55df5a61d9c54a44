"""Invalid requests get a 4xx whose message names the field; unknown bookings a 404."""

import pytest

from testkit.stack import event_type, seed, soon

VALID = {"eventTypeId": 1, "attendee": {"name": "Bo", "email": "bo@example.com", "timeZone": "Europe/Rome"}}


def body(**changes):
    payload = {**VALID, "start": soon(3600).isoformat()} | changes
    return payload


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        (
            body(attendee={"name": "Bo", "email": "bo@example.com", "timeZone": "Mars/Olympus"}),
            400,
            "attendee.timeZone",
        ),
        (body(attendee={"name": "Bo", "timeZone": "UTC"}), 400, "attendee.email"),
        (body(start="2001-01-01T09:00:00Z"), 400, "start"),
        (body(eventTypeId=999), 400, "eventTypeId"),
        (body(start="next tuesday"), 400, "start"),
        ({k: v for k, v in body().items() if k != "eventTypeId"}, 400, "eventTypeId"),
        (
            body(attendee={"name": "Bo", "email": "b@example.com", "timeZone": "UTC", "phoneNumber": "12"}),
            400,
            "attendee.phoneNumber",
        ),
    ],
)
async def test_invalid_booking_requests_name_the_field(stack, payload, status, field):
    await seed(stack.db, event_type(1))
    response = await stack.http.post("/v2/bookings", json=payload)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["status"] == "error"
    assert error["error"]["message"].startswith(field) or f"; {field}" in error["error"]["message"]


async def test_booking_by_slug_and_username(stack):
    await seed(stack.db, event_type(1, slug="intro"))
    payload = {k: v for k, v in body().items() if k != "eventTypeId"} | {"eventTypeSlug": "intro", "username": "ada"}
    response = await stack.http.post("/v2/bookings", json=payload)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["eventType"] == {"id": 1, "slug": "intro"}


async def test_unknown_booking_is_404_for_reads_and_changes(stack):
    assert (await stack.http.get("/v2/bookings/nope")).status_code == 404
    response = await stack.http.post("/v2/bookings/nope/cancel", json={})
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "NOT_FOUND", "message": "Booking with uid=nope not found"}


async def test_list_filters_by_status_attendee_and_event_type(stack):
    await seed(stack.db, event_type(1), event_type(2, requires_confirmation=True))
    accepted = await stack.book(1, soon(3600), email="a@example.com")
    pending = await stack.book(2, soon(7200), email="b@example.com")
    cancelled = await stack.book(1, soon(10800), email="c@example.com")
    await stack.http.post(f"/v2/bookings/{cancelled['uid']}/cancel", json={})

    async def uids(query: str) -> list[str]:
        response = await stack.http.get(f"/v2/bookings?{query}")
        assert response.status_code == 200, response.text
        return [b["uid"] for b in response.json()["data"]]

    assert await uids("status=upcoming") == [accepted["uid"], pending["uid"]]
    assert await uids("status=unconfirmed") == [pending["uid"]]
    assert await uids("status=cancelled") == [cancelled["uid"]]
    assert await uids("attendeeEmail=B@example.com") == [pending["uid"]]
    assert await uids("eventTypeId=1&take=1&skip=1") == [cancelled["uid"]]
    bad = await stack.http.get("/v2/bookings?status=someday")
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("status:")


async def test_event_types_crud_with_validation(stack):
    await seed(stack.db)
    created = await stack.http.post(
        "/v2/event-types", json={"slug": "demo", "title": "Demo", "lengthInMinutes": 20, "hosts": [{"userId": 1}]}
    )
    assert created.status_code == 201, created.text
    event_type_id = created.json()["data"]["id"]
    patched = await stack.http.patch(f"/v2/event-types/{event_type_id}", json={"requiresConfirmation": True})
    assert patched.json()["data"]["requiresConfirmation"] is True
    invalid = await stack.http.patch(f"/v2/event-types/{event_type_id}", json={"lengthInMinutes": 0})
    assert invalid.status_code == 400 and invalid.json()["error"]["message"].startswith("lengthInMinutes")
    no_host = await stack.http.post(
        "/v2/event-types", json={"slug": "x", "title": "X", "lengthInMinutes": 5, "hosts": [{"userId": 77}]}
    )
    assert no_host.status_code == 400 and no_host.json()["error"]["message"].startswith("hosts.0.userId")
    assert (await stack.http.get(f"/v2/event-types/{event_type_id}")).json()["data"]["slug"] == "demo"
    assert (await stack.http.delete(f"/v2/event-types/{event_type_id}")).status_code == 200
    assert (await stack.http.get(f"/v2/event-types/{event_type_id}")).status_code == 404


async def test_health(stack):
    response = await stack.http.get("/health")
    assert response.json()["status"] == "success"

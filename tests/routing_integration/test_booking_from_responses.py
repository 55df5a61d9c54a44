"""Bookings made from responses: the stored decision rules, the response's workflow hears of the booking,
FORM_SUBMITTED_NO_EVENT fires only when no booking followed, and wrong assignments can be reported."""

import json

from domain.routing_responses import response_workflow_id
from store import events
from store import routing as routing_store
from testkit.receiver import receiving
from testkit.stack import soon
from tests.routing_integration.support import ROUND_ROBIN, sales_form
from tests.routing_integration.test_submissions import submit
from tests.webhooks.structure import missing_or_mistyped
from tests.webhooks.test_golden_payloads import goldens
from workflows.routing_response import RoutingOutcome

FRANCE = {"seats": 150, "country": "France"}  # enterprise; attribute fallback: Ada and Bob


async def setup(stack) -> None:
    assert (await stack.http.post("/v2/routing-forms", json=sales_form())).status_code == 201


async def book(stack, routed: dict | None, hours: int, email: str, **routing) -> dict:
    """Book as the submitter would: ``routed`` is the submission's ``routing`` (id and booking token)."""
    body = {
        "start": soon(3600 * hours).isoformat(),
        "eventTypeId": ROUND_ROBIN,
        "attendee": {"name": "Kim Lead", "email": email, "timeZone": "Europe/Paris"},
    }
    if routed is not None:
        body["routing"] = {"responseId": routed["responseId"], "bookingToken": routed.get("bookingToken")} | routing
    return (await stack.http.post("/v2/bookings", json=body)).json()


async def response_id_of(stack, email: str) -> int:
    """The id of the response ``email`` submitted (answers that route to a message do not carry it)."""
    async with stack.db.sessions() as session:
        found = await routing_store.list_responses(session, "talk-to-sales", 100)
    (response,) = [r for r in found if r.email == email]
    return response.id


async def outcome(stack, response_id: int) -> dict:
    async with stack.db.sessions() as session:
        record = await routing_store.get_response(session, response_id)
    result = await stack.client.get_workflow_handle(response_workflow_id(record.form_filler_id)).result()
    return RoutingOutcome.model_validate(result).model_dump()


async def test_a_tampered_booking_request_cannot_change_the_routed_host(org):
    await setup(org)
    answer = await submit(org, {"email": "kim@bigcorp.com"} | FRANCE)
    routed = answer["routing"]
    assert routed["teamMemberIds"] == [1, 2]
    tampered = {"teamMemberIds": [3], "teamMemberEmail": "cy@team.example.com", "skipContactOwner": True}
    booking = (await book(org, routed, 1, "kim@bigcorp.com", **tampered))["data"]
    assert booking["hosts"][0]["id"] == 1  # the stored decision's host, not Cy
    async with org.db.sessions() as session:
        record = await routing_store.get_response(session, routed["responseId"])
    assert record.booking_uid == booking["uid"]
    assert record.decision.host_user_id == 1


async def test_a_response_books_only_its_own_event_type_and_only_once(org):
    await setup(org)
    routed = (await submit(org, {"email": "kim@bigcorp.com"} | FRANCE))["routing"]
    wrong_type = {
        "start": soon(3600).isoformat(),
        "eventTypeId": 12,
        "attendee": {"name": "Kim", "email": "kim@bigcorp.com", "timeZone": "UTC"},
        "routing": {"responseId": routed["responseId"], "bookingToken": routed["bookingToken"]},
    }
    refused = await org.http.post("/v2/bookings", json=wrong_type)
    assert refused.status_code == 400 and "routed to event type 11, not 12" in refused.text
    assert "data" in await book(org, routed, 2, "kim@bigcorp.com")
    again = await book(org, routed, 3, "kim@bigcorp.com")
    assert again["error"]["message"].startswith("routing.responseId:") and "already booked" in again["error"]["message"]
    unknown = await book(org, {"responseId": 999}, 4, "kim@bigcorp.com")
    assert "routing response 999 does not exist" in unknown["error"]["message"]


async def test_round_robin_takes_turns_from_the_stored_assignment_history(org):
    await setup(org)
    hosts = []
    for i in range(3):
        routed = (await submit(org, {"email": f"lead{i}@bigcorp.com"} | FRANCE))["routing"]
        hosts.append((await book(org, routed, i + 1, f"lead{i}@bigcorp.com"))["data"]["hosts"][0]["id"])
    assert hosts == [1, 2, 1]


async def test_no_event_fires_only_for_the_response_no_booking_followed(org):
    await setup(org)
    async with receiving() as receiver:
        hook = {"subscriberUrl": receiver.url, "triggers": ["FORM_SUBMITTED_NO_EVENT"]}
        assert (await org.http.post("/v2/webhooks", json=hook)).status_code == 201
        routed = (await submit(org, {"email": "booker@bigcorp.com"} | FRANCE))["routing"]
        booked = routed["responseId"]
        idle = await submit(org, {"email": "idle@small.com", "seats": 1})
        idle_id = await response_id_of(org, "idle@small.com")
        assert "data" in await book(org, routed, 1, "booker@bigcorp.com")
        assert (await outcome(org, booked)) == {"booking_uid": (await _uid(org, booked)), "no_event_fired": False}
        assert (await outcome(org, idle_id))["no_event_fired"] is True
        (request,) = await receiver.wait_for(1)
    body = json.loads(request.body)
    golden = goldens("FORM_SUBMITTED_NO_EVENT")[0]
    golden["payload"]["responses"] = {}  # the seed's questions are not this form's
    assert missing_or_mistyped(golden, body) == []
    assert body["payload"]["responses"]["seats"] == {"value": 1, "response": 1}
    assert body["payload"]["responseId"] == idle_id
    assert body["payload"]["redirect"] == {"type": "customPageMessage", "value": idle["routingCustomMessage"]}
    assert "email" not in body  # unlike FORM_SUBMITTED, no answers at the top level
    async with org.db.sessions() as session:
        triggers = [e.trigger for e in await events.for_booking(session, f"routing-response:{booked}")]
    assert triggers == ["FORM_SUBMITTED"]


async def _uid(stack, response_id: int) -> str:
    async with stack.db.sessions() as session:
        return (await routing_store.get_response(session, response_id)).booking_uid


async def test_no_event_is_suppressed_when_the_same_email_booked_through_the_form_within_the_hour(org):
    await setup(org)
    first = (await submit(org, {"email": "again@bigcorp.com"} | FRANCE))["routing"]
    assert "data" in await book(org, first, 1, "again@bigcorp.com")
    second = await submit(org, {"email": "AGAIN@bigcorp.com", "seats": 2})
    assert "routingCustomMessage" in second
    second_id = next(
        r.id for r in await _responses(org) if r.email == "again@bigcorp.com" and r.id != first["responseId"]
    )
    assert (await outcome(org, second_id)) == {"booking_uid": None, "no_event_fired": False}
    stranger = await submit(org, {"email": "other@bigcorp.com", "seats": 2})
    assert "routingCustomMessage" in stranger
    assert (await outcome(org, await response_id_of(org, "other@bigcorp.com")))["no_event_fired"] is True


async def _responses(stack) -> list:
    async with stack.db.sessions() as session:
        return await routing_store.list_responses(session, "talk-to-sales", 100)


async def test_a_wrong_assignment_is_reported_for_routed_bookings_only(org):
    await setup(org)
    routed = (await submit(org, {"email": "kim@bigcorp.com"} | FRANCE))["routing"]
    booking = (await book(org, routed, 1, "kim@bigcorp.com"))["data"]
    plain = (await book(org, None, 2, "walkin@x.com"))["data"]
    report = {
        "reportedBy": {"id": 2, "email": "bob@team.example.com", "name": "Bob Rep"},
        "correctAssignee": "cy@team.example.com",
        "additionalNotes": "Enterprise leads in France go to Cy.",
    }
    async with receiving() as receiver:
        hook = {"subscriberUrl": receiver.url, "triggers": ["WRONG_ASSIGNMENT_REPORT"]}
        assert (await org.http.post("/v2/webhooks", json=hook)).status_code == 201
        refused = await org.http.post(f"/v2/bookings/{plain['uid']}/wrong-assignment", json=report)
        assert refused.status_code == 409 and "not routed" in refused.text
        accepted = await org.http.post(f"/v2/bookings/{booking['uid']}/wrong-assignment", json=report)
        assert accepted.status_code == 202, accepted.text
        (request,) = await receiver.wait_for(1)
    body = json.loads(request.body)
    assert missing_or_mistyped(goldens("WRONG_ASSIGNMENT_REPORT")[0], body) == []
    sent = body["payload"]
    assert sent["booking"]["uid"] == booking["uid"] and sent["booking"]["eventType"]["slug"] == "sales"
    assert sent["report"]["host"] == {"email": "ada@team.example.com", "name": "Ada Lead"}
    assert sent["report"]["guest"] == "kim@bigcorp.com"
    assert sent["report"]["correctAssignee"] == "cy@team.example.com"
    assert sent["report"]["routingReason"].startswith("ROUTING_FORM_ROUTING: route 'Enterprise'")


async def test_a_response_is_booked_only_by_its_submitter_with_its_token(org):
    await setup(org)
    answer = await submit(org, {"email": "lee@edge.com"} | FRANCE)
    routed = answer["routing"]
    other = (await submit(org, {"email": "mallory@evil.com"} | FRANCE))["routing"]
    assert routed["responseId"] > 2**40 and abs(other["responseId"] - routed["responseId"]) > 1  # not sequential
    assert f"cal.routingFormResponseId={routed['responseId']}" in answer["routingRedirectUrl"]
    assert f"cal.routingFormResponseToken={routed['bookingToken']}" in answer["routingRedirectUrl"]
    refusals = {
        "no token": (await book(org, {"responseId": routed["responseId"]}, 1, "lee@edge.com"), "routing.bookingToken"),
        "another response's token": (
            await book(org, routed | {"bookingToken": other["bookingToken"]}, 1, "lee@edge.com"),
            "not the booking token",
        ),
        "another email": (await book(org, routed, 1, "mallory@evil.com"), "attendee.email"),
    }
    for why, (refused, named) in refusals.items():
        assert refused["error"]["message"].count(named) == 1, why
        assert str(routed["responseId"]) in refused["error"]["message"], why
    async with org.db.sessions() as session:
        record = await routing_store.get_response(session, routed["responseId"])
        assert record.booking_uid is None  # nothing booked
    status = (
        await org.http.post(
            "/v2/bookings",
            json={
                "start": soon(3600).isoformat(),
                "eventTypeId": ROUND_ROBIN,
                "attendee": {"name": "M", "email": "mallory@evil.com", "timeZone": "UTC"},
                "routing": {"responseId": routed["responseId"], "bookingToken": routed["bookingToken"]},
            },
        )
    ).status_code
    assert status == 403
    assert "data" in await book(org, routed, 1, "Lee@Edge.com")  # the submitter, any case

"""Bookings made from responses: the stored decision rules, the response's workflow hears of the booking,
FORM_SUBMITTED_NO_EVENT fires only when no booking followed, and wrong assignments can be reported."""

import json

from domain.routing_responses import response_workflow_id
from store import events
from store import routing as routing_store
from tests.routing_integration.support import ROUND_ROBIN, sales_form
from tests.routing_integration.test_submissions import submit
from tests.support.stack import soon
from tests.webhooks.receiver import receiving
from tests.webhooks.structure import missing_or_mistyped
from tests.webhooks.test_golden_payloads import goldens
from workflows.routing_response import RoutingOutcome

FRANCE = {"seats": 150, "country": "France"}  # enterprise; attribute fallback: Ada and Bob


async def setup(stack) -> None:
    assert (await stack.http.post("/v2/routing-forms", json=sales_form())).status_code == 201


async def book(stack, response_id: int | None, hours: int, email: str, **routing) -> dict:
    body = {
        "start": soon(3600 * hours).isoformat(),
        "eventTypeId": ROUND_ROBIN,
        "attendee": {"name": "Kim Lead", "email": email, "timeZone": "Europe/Paris"},
    }
    if response_id is not None:
        body["routing"] = {"responseId": response_id} | routing
    return (await stack.http.post("/v2/bookings", json=body)).json()


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
    booking = (await book(org, routed["responseId"], 1, "kim@bigcorp.com", **tampered))["data"]
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
        "routing": {"responseId": routed["responseId"]},
    }
    refused = await org.http.post("/v2/bookings", json=wrong_type)
    assert refused.status_code == 400 and "routed to event type 11, not 12" in refused.text
    assert "data" in await book(org, routed["responseId"], 2, "kim@bigcorp.com")
    again = await book(org, routed["responseId"], 3, "kim@bigcorp.com")
    assert again["error"]["message"].startswith("routing.responseId:") and "already booked" in again["error"]["message"]
    unknown = await book(org, 999, 4, "kim@bigcorp.com")
    assert "routing response 999 does not exist" in unknown["error"]["message"]


async def test_round_robin_takes_turns_from_the_stored_assignment_history(org):
    await setup(org)
    hosts = []
    for i in range(3):
        routed = (await submit(org, {"email": f"lead{i}@bigcorp.com"} | FRANCE))["routing"]
        hosts.append((await book(org, routed["responseId"], i + 1, f"lead{i}@bigcorp.com"))["data"]["hosts"][0]["id"])
    assert hosts == [1, 2, 1]


async def test_no_event_fires_only_for_the_response_no_booking_followed(org):
    await setup(org)
    async with receiving() as receiver:
        hook = {"subscriberUrl": receiver.url, "triggers": ["FORM_SUBMITTED_NO_EVENT"]}
        assert (await org.http.post("/v2/webhooks", json=hook)).status_code == 201
        booked = (await submit(org, {"email": "booker@bigcorp.com"} | FRANCE))["routing"]["responseId"]
        idle = await submit(org, {"email": "idle@small.com", "seats": 1})
        assert "data" in await book(org, booked, 1, "booker@bigcorp.com")
        assert (await outcome(org, booked)) == {"booking_uid": (await _uid(org, booked)), "no_event_fired": False}
        assert (await outcome(org, 2))["no_event_fired"] is True
        (request,) = await receiver.wait_for(1)
    body = json.loads(request.body)
    golden = goldens("FORM_SUBMITTED_NO_EVENT")[0]
    golden["payload"]["responses"] = {}  # the seed's questions are not this form's
    assert missing_or_mistyped(golden, body) == []
    assert body["payload"]["responses"]["seats"] == {"value": 1, "response": 1}
    assert body["payload"]["responseId"] == 2
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
    first = (await submit(org, {"email": "again@bigcorp.com"} | FRANCE))["routing"]["responseId"]
    assert "data" in await book(org, first, 1, "again@bigcorp.com")
    second = await submit(org, {"email": "AGAIN@bigcorp.com", "seats": 2})
    assert "routingCustomMessage" in second
    assert (await outcome(org, 2)) == {"booking_uid": None, "no_event_fired": False}
    stranger = await submit(org, {"email": "other@bigcorp.com", "seats": 2})
    assert "routingCustomMessage" in stranger
    assert (await outcome(org, 3))["no_event_fired"] is True


async def test_a_wrong_assignment_is_reported_for_routed_bookings_only(org):
    await setup(org)
    routed = (await submit(org, {"email": "kim@bigcorp.com"} | FRANCE))["routing"]
    booking = (await book(org, routed["responseId"], 1, "kim@bigcorp.com"))["data"]
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

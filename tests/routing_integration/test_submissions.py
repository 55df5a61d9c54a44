"""Submissions through the API, routed as Cal.com routes them, with the decision stored and explained."""

import json

from domain.config import Configuration
from store import config, events
from testkit.receiver import receiving
from tests.routing_integration.support import COLLECTIVE, FALLBACK_MESSAGE, ROUND_ROBIN, event_types, sales_form
from tests.webhooks.structure import missing_or_mistyped
from tests.webhooks.test_golden_payloads import goldens


async def with_form(stack, document: dict | None = None) -> str:
    document = document or sales_form()
    created = await stack.http.post("/v2/routing-forms", json=document)
    assert created.status_code == 201, created.text
    return document["id"]


async def submit(stack, answers: dict, form_id: str = "talk-to-sales") -> dict:
    response = await stack.http.post(f"/v2/routing-forms/{form_id}/responses", json=answers)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def latest_response_id(stack, form_id: str = "talk-to-sales") -> int:
    """The newest response's id (an answer that routes to a message does not carry it), from the list."""
    listed = await stack.http.get(f"/v2/routing-forms/{form_id}/responses", params={"take": 1})
    assert listed.status_code == 200, listed.text
    return listed.json()["data"]["responses"][0]["id"]


async def stored(stack, response_id: int, form_id: str = "talk-to-sales") -> dict:
    got = await stack.http.get(f"/v2/routing-forms/{form_id}/responses/{response_id}")
    assert got.status_code == 200, got.text
    return got.json()["data"]


async def test_attribute_routing_picks_the_members_whose_region_is_the_answered_country(org, crm):
    await with_form(org)
    answer = await submit(org, {"email": "kim@bigcorp.com", "seats": 150, "country": "Germany"})
    assert answer["eventTypeId"] == ROUND_ROBIN
    routing = answer["routing"]
    assert routing["teamMemberIds"] == [1]
    assert routing["teamMemberEmail"] is None and routing["crmAppSlug"] is None
    kept = await stored(org, routing["responseId"])
    assert kept["chosenRouteId"] == "r-enterprise"
    assert kept["decision"]["hostUserId"] == 1
    assert kept["trace"]["attributes"]["checkedFallback"] is False
    assert crm.queries == []  # the event type does not ask for the CRM owner


async def test_the_attribute_fallback_applies_only_when_the_main_rule_matches_nobody(org):
    await with_form(org)
    answer = await submit(org, {"email": "kim@bigcorp.com", "seats": 150, "country": "France"})
    assert answer["routing"]["teamMemberIds"] == [1, 2]  # account executives
    trace = (await stored(org, answer["routing"]["responseId"]))["trace"]
    assert trace["attributes"]["checkedFallback"] is True
    assert trace["host"]["userId"] in (1, 2)


async def test_text_equality_is_case_insensitive(org):
    await with_form(org)
    answer = await submit(org, {"email": "kim@acme.com", "company": "acme CORP"})
    assert answer["eventTypeId"] == COLLECTIVE
    assert answer["routing"]["teamMemberIds"] is None  # no attribute rule: every host is open


async def test_multiselect_all_in_matches_a_subset_of_the_chosen_options(org):
    await with_form(org)
    subset = await submit(org, {"email": "dev@x.com", "products": ["API"]})
    assert subset == {"routingExternalRedirectUrl": "https://docs.example.com/start"}
    both = await submit(org, {"email": "dev@x.com", "products": ["UI", "API"]})
    assert both == {"routingExternalRedirectUrl": "https://docs.example.com/start"}
    beyond = await submit(org, {"email": "dev@x.com", "products": ["API", "Billing"]})
    assert beyond == {"routingCustomMessage": FALLBACK_MESSAGE}


async def test_the_fallback_is_tried_last_and_the_trace_shows_every_route(org):
    await with_form(org)
    answer = await submit(org, {"email": "kim@small.com", "seats": 3})
    assert answer == {"routingCustomMessage": FALLBACK_MESSAGE}
    trace = (await stored(org, await latest_response_id(org)))["trace"]
    assert [(r["routeId"], r["matched"]) for r in trace["routes"]] == [
        ("r-enterprise", False),
        ("r-dev", False),
        ("r-acme", False),
        ("r-fallback", True),
    ]
    assert trace["fallbackUsed"] is True


async def test_bad_answers_are_refused_naming_the_field_and_nothing_is_stored(org):
    await with_form(org)
    cases = {
        "email: is required": {"seats": 3},
        "email: 'not-an-email' should be a valid email": {"email": "not-an-email"},
        "phone:": {"email": "a@b.com", "phone": "12"},
        "country: 'Mars' is not one of its options": {"email": "a@b.com", "country": "Mars"},
        "seats: 'many' should be a number": {"email": "a@b.com", "seats": "many"},
    }
    for expected, answers in cases.items():
        refused = await org.http.post("/v2/routing-forms/talk-to-sales/responses", json=answers)
        assert refused.status_code == 400, (answers, refused.text)
        assert refused.json()["error"]["message"].startswith(expected), refused.text
    assert (await org.http.get("/v2/routing-forms/talk-to-sales/responses/1")).status_code == 404
    assert (await org.http.post("/v2/routing-forms/nope/responses", json={})).status_code == 404


async def test_the_crm_owner_is_asked_where_the_event_type_wants_it_and_routes_when_they_host(org, crm):
    async with org.db.transaction() as session:
        asking = event_types(crm_owner_lookup="salesforce")
        await config.apply_configuration(session, Configuration(event_types=asking))
    await with_form(org)
    answer = await submit(org, {"email": "Lead@BigCorp.com", "seats": 150, "country": "Germany"})
    assert answer["routing"]["teamMemberEmail"] == "bob@team.example.com"
    assert answer["routing"]["crmAppSlug"] == "salesforce"
    assert answer["routing"]["crmOwnerRecordType"] == "Contact"
    (query,) = crm.queries
    assert query.attendee_email == "lead@bigcorp.com" and query.event_type_id == ROUND_ROBIN
    assert sorted(query.host_emails) == ["ada@team.example.com", "bob@team.example.com", "cy@team.example.com"]
    kept = await stored(org, answer["routing"]["responseId"])
    assert kept["decision"]["hostUserId"] == 2
    assert kept["decision"]["assignmentReason"] == "SALESFORCE_ASSIGNMENT"
    assert kept["trace"]["crm"]["steps"][0]["step"] == "contact_owner_lookup"
    # an owner who does not host the event type is ignored: round robin among the routed members
    other = await submit(org, {"email": "stray@bigcorp.com", "seats": 150, "country": "Germany"})
    assert other["routing"]["teamMemberEmail"] is None
    assert (await stored(org, other["routing"]["responseId"]))["decision"]["hostUserId"] == 1


LANGUAGE, ORIGIN = "What Language do you prefer", "Where are you from"


def intake_form() -> dict:
    """Cal.com's documented example questions (labels only, as in the seed payload)."""
    return {
        "id": "intake",
        "name": "Customer Intake Form",
        "fields": [
            {
                "id": "q-lang",
                "label": LANGUAGE,
                "type": "multiselect",
                "options": [{"id": "l-en", "label": "English"}, {"id": "l-de", "label": "German"}],
            },
            {
                "id": "q-from",
                "label": ORIGIN,
                "type": "select",
                "options": [{"id": "c-it", "label": "Italy"}, {"id": "c-jp", "label": "Japan"}],
            },
            {"id": "q-mail", "label": "Email", "identifier": "email", "type": "email"},
        ],
        "routes": [
            {"id": "fb", "isFallback": True, "action": {"type": "customPageMessage", "value": "Thanks!"}},
        ],
    }


async def test_form_submitted_reaches_a_receiver_in_the_seed_shape(org):
    await with_form(org, intake_form())
    async with receiving() as receiver:
        hook = {"subscriberUrl": receiver.url, "triggers": ["FORM_SUBMITTED"]}
        assert (await org.http.post("/v2/webhooks", json=hook)).status_code == 201
        await submit(org, {LANGUAGE: ["english", "l-de"], ORIGIN: "Japan", "email": "x@y.com"}, "intake")
        (request,) = await receiver.wait_for(1)
    body = json.loads(request.body)
    assert missing_or_mistyped(goldens("FORM_SUBMITTED")[0], body) == []
    assert body["triggerEvent"] == "FORM_SUBMITTED"
    assert body[LANGUAGE] == ["English", "German"] and body[ORIGIN] == ["Japan"]  # answers also at the top
    payload = body["payload"]
    assert (payload["formId"], payload["formName"], payload["teamId"]) == ("intake", "Customer Intake Form", None)
    assert payload["responses"][LANGUAGE] == {
        "value": ["English", "German"],
        "response": [{"label": "English", "id": "l-en"}, {"label": "German", "id": "l-de"}],
    }
    assert payload["responses"][ORIGIN]["response"] == [{"label": "Japan", "id": "c-jp"}]
    assert payload["responses"]["email"] == {"value": "x@y.com", "response": "x@y.com"}
    response_id = await latest_response_id(org, "intake")
    async with org.db.sessions() as session:
        logged = await events.for_booking(session, f"routing-response:{response_id}")
    assert [e.trigger for e in logged][:1] == ["FORM_SUBMITTED"]

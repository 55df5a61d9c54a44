"""Forms through the API: created, read, edited (the version grows), and refused when they cannot route."""

from store import config as config_store
from store.routing import count_responses
from tests.routing_integration.support import event_types, group, rule, sales_form


async def create(stack, document: dict):
    return await stack.http.post("/v2/routing-forms", json=document)


async def test_a_form_is_created_read_and_edited_with_its_version_growing(org):
    created = await create(org, sales_form())
    assert created.status_code == 201, created.text
    assert created.json()["data"]["version"] == 1
    got = (await org.http.get("/v2/routing-forms/talk-to-sales")).json()["data"]
    assert [r["id"] for r in got["routes"]] == ["r-enterprise", "r-dev", "r-acme", "r-fallback"]
    edited = await org.http.patch("/v2/routing-forms/talk-to-sales", json={"name": "Talk to us"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["data"]["name"], edited.json()["data"]["version"]) == ("Talk to us", 2)
    listed = (await org.http.get("/v2/routing-forms")).json()["data"]
    assert [(f["id"], f["version"]) for f in listed] == [("talk-to-sales", 2)]
    assert (await create(org, sales_form())).status_code == 409


async def test_a_form_without_a_fallback_is_refused_and_nothing_is_saved(org):
    document = sales_form()
    document["routes"] = [r for r in document["routes"] if not r.get("isFallback")]
    refused = await create(org, document)
    assert refused.status_code == 400
    assert "Fallback route is missing" in refused.json()["error"]["message"]
    assert (await org.http.get("/v2/routing-forms/talk-to-sales")).status_code == 404


async def test_a_rule_naming_an_unknown_field_is_refused_naming_route_and_field(org):
    document = sales_form()
    document["routes"][1]["queryValue"] = group(rule("f-budget", "greater", 10))
    message = (await create(org, document)).json()["error"]["message"]
    assert "route 'Developers'" in message and "field 'f-budget'" in message


async def test_an_operator_that_does_not_fit_the_field_is_refused_naming_route_and_field(org):
    document = sales_form()
    document["routes"][0]["queryValue"] = group(rule("f-seats", "starts_with", "1"))
    refused = await create(org, document)
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert "route 'Enterprise', field 'seats'" in message and "starts_with" in message


async def test_an_edit_that_breaks_the_form_is_refused_and_the_stored_form_stays(org):
    assert (await create(org, sales_form())).status_code == 201
    broken = sales_form()["routes"][:3]
    refused = await org.http.patch("/v2/routing-forms/talk-to-sales", json={"routes": broken})
    assert refused.status_code == 400 and "Fallback route is missing" in refused.text
    kept = (await org.http.get("/v2/routing-forms/talk-to-sales")).json()["data"]
    assert (kept["version"], len(kept["routes"])) == (1, 4)


async def test_an_attribute_rule_naming_an_unknown_attribute_is_refused(org):
    document = sales_form()
    document["routes"][0]["attributesQueryValue"] = group(rule("a-seniority", "select_equals", "x"))
    message = (await create(org, document)).json()["error"]["message"]
    assert "route 'Enterprise'" in message and "a-seniority" in message


async def test_attributes_are_listed_with_their_holders_and_can_be_assigned(org):
    listed = (await org.http.get("/v2/attributes")).json()["data"]
    region = next(a for a in listed if a["id"] == "a-region")
    assert {(h["userId"], h["optionId"]) for h in region["assignments"]} == {(1, "opt-de"), (2, "opt-us")}
    assigned = await org.http.post(
        "/v2/attributes/options/3", json={"attributeId": "a-region", "attributeOptionId": "opt-de"}
    )
    assert assigned.status_code == 201, assigned.text
    region = (await org.http.get("/v2/attributes/a-region")).json()["data"]
    assert (3, "opt-de") in {(h["userId"], h["optionId"]) for h in region["assignments"]}
    unknown = await org.http.post(
        "/v2/attributes/options/3", json={"attributeId": "a-region", "attributeOptionId": "nope"}
    )
    assert unknown.status_code == 400 and "optionId" in unknown.text
    created = await org.http.post(
        "/v2/attributes",
        json={"id": "a-size", "name": "Size", "type": "NUMBER", "assignments": [{"userId": 9, "value": "3"}]},
    )
    assert created.status_code == 400 and "assignments.0.userId" in created.text


async def test_a_route_to_an_event_type_that_does_not_exist_is_refused_by_create_and_edit(org):
    document = sales_form()
    document["routes"][0]["action"]["eventTypeId"] = 999
    refused = await create(org, document)
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert "routing form 'talk-to-sales'" in message and "route 'Enterprise'" in message
    assert (
        "event type 999, which does not exist" in message
        and "fix: set action.eventTypeId to one of [11, 12]" in message
    )
    assert (await org.http.get("/v2/routing-forms/talk-to-sales")).status_code == 404
    assert (await create(org, sales_form())).status_code == 201
    routes = sales_form()["routes"]
    routes[2]["action"]["eventTypeId"] = 999
    edited = await org.http.patch("/v2/routing-forms/talk-to-sales", json={"routes": routes})
    assert edited.status_code == 400 and "route 'ACME': routes to event type 999" in edited.text


async def test_a_json_logic_rule_with_an_option_label_is_refused_suggesting_the_id(org):
    document = sales_form()
    document["routes"][2] = {
        "id": "r-jp",
        "name": "Japan",
        "jsonLogic": {"==": [{"var": "country"}, "France"]},
        "action": {"type": "customPageMessage", "value": "Bonjour"},
    }
    refused = await create(org, document)
    assert refused.status_code == 400
    assert "route 'Japan', field 'country' (f-country): 'France' is not one of the field's options" in refused.text
    assert "write 'o-fr'" in refused.text


async def test_versions_are_listed_read_and_responses_listed_and_kept_when_the_form_is_deleted(org):
    assert (await create(org, sales_form())).status_code == 201
    assert (await org.http.patch("/v2/routing-forms/talk-to-sales", json={"name": "Talk to us"})).status_code == 200
    versions = (await org.http.get("/v2/routing-forms/talk-to-sales/versions")).json()["data"]
    assert [v["version"] for v in versions] == [1, 2]
    assert all(v["author"].startswith("user:") and v["createdAt"] for v in versions)
    first = (await org.http.get("/v2/routing-forms/talk-to-sales", params={"version": 1})).json()["data"]
    assert (first["version"], first["name"]) == (1, "Talk to sales")
    missing = await org.http.get("/v2/routing-forms/talk-to-sales", params={"version": 7})
    assert missing.status_code == 404 and "no version 7 (latest is 2)" in missing.text

    for i in range(3):
        answers = {"email": f"p{i}@x.com", "seats": 1}
        assert (await org.http.post("/v2/routing-forms/talk-to-sales/responses", json=answers)).status_code == 201
    page = (await org.http.get("/v2/routing-forms/talk-to-sales/responses", params={"take": 2})).json()["data"]
    assert [r["response"]["email"] for r in page["responses"]] == ["p2@x.com", "p1@x.com"]
    rest = await org.http.get(
        "/v2/routing-forms/talk-to-sales/responses", params={"take": 2, "cursor": page["nextCursor"]}
    )
    assert [r["response"]["email"] for r in rest.json()["data"]["responses"]] == ["p0@x.com"]
    assert rest.json()["data"]["nextCursor"] is None

    assert (await org.http.delete("/v2/routing-forms/talk-to-sales")).status_code == 200
    assert (await org.http.get("/v2/routing-forms/talk-to-sales")).status_code == 404
    async with org.db.sessions() as session:
        assert await count_responses(session, "talk-to-sales") == 3


async def test_a_route_to_a_hidden_event_type_is_refused_naming_form_route_and_fix(org):
    async with org.db.transaction() as session:  # the round-robin sales call is hidden from booking
        await config_store.upsert_event_type(session, event_types(hidden=True)[0])
    refused = await create(org, sales_form())
    assert refused.status_code == 400, refused.text
    message = refused.json()["error"]["message"]
    assert "routing form 'talk-to-sales'" in message and "route 'Enterprise'" in message
    assert "routes to event type 11, which is hidden (submitters could not book it)" in message
    assert "fix: set action.eventTypeId to one of [12], or unhide event type 11" in message
    assert (await org.http.get("/v2/routing-forms/talk-to-sales")).status_code == 404

"""Forms through the API: created, read, edited (the version grows), and refused when they cannot route."""

from tests.routing_integration.support import group, rule, sales_form


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

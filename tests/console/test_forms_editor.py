"""The routing-form screens over HTTP: the editor posts what a browser would post from the page.

Every change is checked through the API afterwards (GET /v2/routing-forms/{id}), so the tests fail if the
console saved something other than what the page showed, or saved past the API's rules.
"""

import pytest

from store import routing as routing_store
from tests.console.forms_world import FORM_ID, OTHERS_FORM_ID, live_form, seed_forms
from tests.console.helpers import csrf, form_fields, post_fields, replaced, signed_in

EDIT = f"/console/routing-forms/{FORM_ID}"


@pytest.fixture
async def forms(stack):
    await seed_forms(stack)
    return stack


async def _editor_fields(http) -> list[tuple[str, str]]:
    page = await http.get(EDIT)
    assert page.status_code == 200, page.text
    return form_fields(page.text)


async def test_an_owner_lists_only_their_own_forms_and_another_users_form_is_404(forms):
    async with signed_in(forms, forms.keys.owner) as http:
        listing = await http.get("/console/routing-forms")
        assert listing.status_code == 200
        assert FORM_ID in listing.text and OTHERS_FORM_ID not in listing.text
        token = await csrf(http)
        theirs = f"/console/routing-forms/{OTHERS_FORM_ID}"
        assert (await http.get(theirs)).status_code == 404
        assert (await http.get(theirs + "/versions")).status_code == 404
        assert (await http.post(theirs, data={"csrf_token": token, "command": "save"})).status_code == 404
        rollback = await http.post(theirs + "/rollback", data={"csrf_token": token, "version": "1"})
        assert rollback.status_code == 404
    assert (await live_form(forms, OTHERS_FORM_ID))["version"] == 1  # nothing of Bob's changed
    async with signed_in(forms, forms.keys.admin) as http:
        listing = await http.get("/console/routing-forms")
        assert FORM_ID in listing.text and OTHERS_FORM_ID in listing.text


async def test_the_builder_offers_the_engines_operators_and_option_ids_never_labels(forms):
    async with signed_in(forms, forms.keys.owner) as http:
        page = (await http.get(EDIT)).text
    # The country condition: a select of option ids (shown by label), its operators the select ones.
    assert '<option value="c-de" selected>Germany</option>' in page
    assert '<option value="select_equals" selected>is</option>' in page
    assert '<option value="select_any_in"' in page and 'value="greater_or_equal" selected' in page
    assert 'name="r.0.c.0.value"' in page and 'id="r.0.c.0.value" name="r.0.c.0.value" class="cond-value-input"' in page


async def test_an_edit_with_the_builder_is_saved_as_the_next_version_through_the_api(forms):
    async with signed_in(forms, forms.keys.owner) as http:
        fields = await _editor_fields(http)
        # Germany → Japan, and the message changes; the select offers only option ids.
        changed = replaced(fields, {"r.0.c.0.value": "c-jp", "r.0.value": "こんにちは", "command": "save"})
        saved = await post_fields(http, EDIT, changed)
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == f"{EDIT}?saved=2"
        assert "Saved as version 2" in (await http.get(saved.headers["location"])).text
    form = await live_form(forms)
    assert form["version"] == 2
    route = form["routes"][0]
    (rule,) = route["queryValue"]["children1"].values()
    assert rule["properties"]["field"] == "f-country"
    assert rule["properties"]["value"] == ["c-jp"]
    assert route["action"]["value"] == "こんにちは"
    async with forms.db.sessions() as session:
        versions = await routing_store.list_versions(session, FORM_ID)
    assert versions[-1].author == "user:ada (id 1)"  # the API's author: the signed-in user


async def test_save_time_errors_are_shown_beside_the_route_they_name_and_nothing_is_saved(forms):
    async with signed_in(forms, forms.keys.owner) as http:
        fields = await _editor_fields(http)
        # Route 1 redirects to a URL that is not one.
        broken = replaced(fields, {"r.1.action": "externalRedirectUrl", "r.1.value": "example.com", "command": "save"})
        refused = await post_fields(http, EDIT, broken)
        assert refused.status_code == 200
        page = refused.text
        beside_route_1 = page.split('id="route-1-errors"')[1].split("</ul>")[0]
        assert "externalRedirectUrl needs an http(s) URL" in beside_route_1
        assert 'value="example.com"' in page  # the page keeps the draft as typed, to be fixed where it is
        # Fixed; but now no route is the fallback: the engine's check names the form.
        fixed = replaced(form_fields(page), {"r.1.value": "https://example.com/big", "r.2.fallback": None})
        refused = await post_fields(http, EDIT, [*fixed, ("command", "save")])
        assert refused.status_code == 200
        assert 'id="route-1-errors"' not in refused.text
        assert "Fallback route is missing" in refused.text.split('id="problems"')[1].split("</div>")[0]
    assert (await live_form(forms))["version"] == 1


async def test_a_value_that_is_not_an_option_id_is_refused_beside_its_route(forms):
    async with signed_in(forms, forms.keys.owner) as http:
        fields = await _editor_fields(http)
        # Only a hand-made post can send a label: the page's select offers ids.
        refused = await post_fields(http, EDIT, replaced(fields, {"r.0.c.0.value": "Germany", "command": "save"}))
        assert refused.status_code == 200
        beside = refused.text.split('id="route-0-errors"')[1].split("</ul>")[0]
        assert "answers hold the option id, not its label: write &#39;c-de&#39;" in beside
        assert "⚠ Germany (not an option)" in refused.text
    assert (await live_form(forms))["version"] == 1


async def test_an_incomplete_condition_is_refused_instead_of_matching_everyone(forms):
    async with signed_in(forms, forms.keys.owner) as http:
        fields = await _editor_fields(http)
        refused = await post_fields(http, EDIT, replaced(fields, {"r.0.c.0.value": "", "command": "save"}))
        assert refused.status_code == 200
        assert "a condition on &#39;f-country&#39; needs a value" in refused.text.split('id="route-0-errors"')[1]


async def test_the_simulator_routes_the_draft_and_shows_the_trace_without_saving(forms):
    async with signed_in(forms, forms.keys.owner) as http:
        fields = await _editor_fields(http)
        draft = replaced(
            fields,
            {
                "r.0.c.0.value": "c-us",  # the draft routes the US, not Germany, to the first route
                "sim.f-email": "kim@example.com",
                "sim.f-country": "c-us",
                "command": "simulate",
            },
        )
        simulated = await post_fields(http, EDIT, draft)
        assert simulated.status_code == 200, simulated.text
        page = simulated.text
        assert "Routed to: Germany" in page  # the route's name is still "Germany"; its rule is the draft's
        trace = page.split('id="simulation-trace">')[1].split("</pre>")[0]
        assert "✓ Germany" in trace and "country: &#34;c-us&#34;" in trace
        bad = replaced(draft, {"sim.f-email": "not-an-email"})
        refused = await post_fields(http, EDIT, bad)
        assert "email: &#39;not-an-email&#39; should be a valid email" in refused.text
    assert (await live_form(forms))["version"] == 1
    async with forms.db.sessions() as session:
        assert await routing_store.list_responses(session, FORM_ID, 10, None) == []


async def test_replay_counts_the_past_responses_a_draft_would_route_differently(forms):
    answers = [{"email": f"p{i}@example.com", "country": c} for i, c in enumerate(["Germany", "Japan", "Japan"])]
    for answer in answers:  # real submissions: decided by the worker's workflow
        response = await forms.http.post(f"/v2/routing-forms/{FORM_ID}/responses", json=answer)
        assert response.status_code == 201, response.text
    async with signed_in(forms, forms.keys.owner) as http:
        fields = await _editor_fields(http)
        replay = await post_fields(http, EDIT, replaced(fields, {"r.0.c.0.value": "c-jp", "command": "replay"}))
        assert replay.status_code == 200, replay.text
        summary = replay.text.split('id="replay-summary">')[1].split("</p>")[0]
        # Germany left the first route (1) and both Japans joined it (2): all three change.
        assert "<strong>3 of 3</strong> past responses would be routed differently" in summary
    assert (await live_form(forms))["version"] == 1


async def test_versions_show_a_diff_and_a_rollback_is_a_new_version(forms):
    async with signed_in(forms, forms.keys.owner) as http:
        fields = await _editor_fields(http)
        assert (
            await post_fields(http, EDIT, replaced(fields, {"r.0.value": "Moin!", "command": "save"}))
        ).status_code == 303
        versions = await http.get(EDIT + "/versions?diff=1")
        assert versions.status_code == 200
        diff = versions.text.split('id="diff">')[1].split("</pre>")[0]
        assert '<span class="del">-    value: Hallo! Our Berlin team will call you.\n</span>' in diff
        assert '<span class="add">+    value: Moin!\n</span>' in diff
        token = await csrf(http, EDIT + "/versions")
        rolled = await http.post(EDIT + "/rollback", data={"csrf_token": token, "version": "1"})
        assert rolled.status_code == 303
    form = await live_form(forms)
    assert form["version"] == 3
    assert form["routes"][0]["action"]["value"] == "Hallo! Our Berlin team will call you."


async def test_attribute_routing_is_hidden_from_owners_and_refused_when_they_post_it(forms):
    async with signed_in(forms, forms.keys.owner) as http:
        fields = await _editor_fields(http)
        page = (await http.get(EDIT)).text
        assert "Attribute routing and weights" not in page and "Region" not in page
        forged = replaced(
            fields, {"r.1.a.0.field": "a-region", "r.1.a.0.op": "select_equals", "r.1.a.0.value": "opt-de"}
        )
        refused = await post_fields(http, EDIT, [*forged, ("command", "save")])
        assert refused.status_code == 403
        assert (await post_fields(http, EDIT, replaced(fields, {"r.1.weights": "a-region"}))).status_code == 403
    assert (await live_form(forms))["version"] == 1
    async with signed_in(forms, forms.keys.admin) as http:
        page = (await http.get(EDIT)).text
        assert "Attribute routing and weights" in page
        fields = form_fields(page)
        with_rule = replaced(fields, {"command": "add-attribute-condition:1"})
        page = (await post_fields(http, EDIT, with_rule)).text
        fields = replaced(
            form_fields(page),
            {"r.1.a.0.field": "a-region", "r.1.a.0.op": "select_equals", "r.1.a.0.value": "opt-de", "command": "save"},
        )
        assert (await post_fields(http, EDIT, fields)).status_code == 303
    route = (await live_form(forms))["routes"][1]
    (rule,) = route["attributesQueryValue"]["children1"].values()
    assert rule["properties"] | {"valueSrc": None, "valueType": None} == {
        "field": "a-region",
        "operator": "select_equals",
        "value": ["opt-de"],
        "valueSrc": None,
        "valueType": None,
    }


async def test_rows_are_added_by_the_page_without_script(forms):
    async with signed_in(forms, forms.keys.owner) as http:
        fields = await _editor_fields(http)
        page = (await post_fields(http, EDIT, replaced(fields, {"command": "add-condition:0"}))).text
        assert 'name="r.0.c.1.field"' in page
        page = (await post_fields(http, EDIT, replaced(form_fields(page), {"command": "add-option:2"}))).text
        assert 'name="f.2.o.3.id"' in page
        added = replaced(
            form_fields(page),
            {"f.2.o.3.label": "France", "r.0.c.1.field": "f-size", "r.0.c.1.op": "less", "r.0.c.1.value": "50"},
        )
        assert (await post_fields(http, EDIT, [*added, ("command", "save")])).status_code == 303
    form = await live_form(forms)
    assert [o["label"] for o in form["fields"][2]["options"]][-1] == "France"
    rules = [c["properties"] for c in form["routes"][0]["queryValue"]["children1"].values()]
    assert {"field": "f-size", "operator": "less", "value": [50]}.items() <= rules[1].items()


async def test_a_post_without_the_csrf_token_changes_nothing(forms):
    async with signed_in(forms, forms.keys.owner) as http:
        fields = [(k, v) for k, v in await _editor_fields(http) if k != "csrf_token"]
        assert (await post_fields(http, EDIT, [*fields, ("command", "save")])).status_code == 403
        token = await csrf(http, EDIT + "/versions")
        assert (await http.post(EDIT + "/rollback", data={"version": "1"})).status_code == 403
        assert token  # the page had one to send
    assert (await live_form(forms))["version"] == 1


async def test_an_owners_save_keeps_the_attribute_rules_an_admin_set(forms):
    rules = {
        "id": "root",
        "type": "group",
        "children1": {
            "x": {"type": "rule", "properties": {"field": "a-region", "operator": "select_equals", "value": ["opt-de"]}}
        },
    }
    patched = await forms.http.patch(
        f"/v2/routing-forms/{FORM_ID}",
        json={
            "routes": [
                r | ({"attributesQueryValue": rules} if r["id"] == "r-big" else {})
                for r in (await live_form(forms))["routes"]
            ]
        },
    )
    assert patched.status_code == 200, patched.text
    async with signed_in(forms, forms.keys.owner) as http:
        fields = await _editor_fields(http)
        assert (
            await post_fields(http, EDIT, replaced(fields, {"r.1.name": "Large", "command": "save"}))
        ).status_code == 303
    route = (await live_form(forms))["routes"][1]
    assert route["name"] == "Large" and route["attributesQueryValue"] == rules


async def test_a_rule_the_builder_cannot_show_is_kept_as_json(forms):
    routes = (await live_form(forms))["routes"]
    routes[0] = routes[0] | {"queryValue": None, "jsonLogic": {"==": [{"var": "country"}, "c-de"]}}
    assert (await forms.http.patch(f"/v2/routing-forms/{FORM_ID}", json={"routes": routes})).status_code == 200
    async with signed_in(forms, forms.keys.owner) as http:
        page = (await http.get(EDIT)).text
        assert 'name="r.0.raw"' in page
        fields = form_fields(page)
        assert (await post_fields(http, EDIT, replaced(fields, {"command": "save"}))).status_code == 303
        broken = replaced(fields, {"r.0.raw": "{not json", "command": "save"})
        refused = await post_fields(http, EDIT, broken)
        assert "the rule is not JSON" in refused.text
    route = (await live_form(forms))["routes"][0]
    assert route["jsonLogic"] == {"==": [{"var": "country"}, "c-de"]} and route["queryValue"] is None


@pytest.mark.parametrize(
    "changes",
    [
        {"f.0.type": "hologram"},
        {"r.1.event_type": "not-a-number"},
        {"r.1.c.0.op": "between", "r.1.c.0.value": "x", "r.1.c.0.value2": "y"},
        {"r.0.c.0.op": "no_such_operator"},
        {"r.0.c.0.field": "f-nowhere"},
        {"r.9999999999999.id": "x", "r.9999999999999.action": "nonsense"},
        {"name": ""},
        {"f.2.o.0.id": "", "f.2.o.0.label": ""},
        {"command": "add-condition:999"},
        {"command": "simulate", "sim.f-size": "many", "sim.f-email": "a@example.com"},
        {"command": "nonsense"},
    ],
)
async def test_no_post_of_the_editor_makes_a_server_error(forms, changes):
    async with signed_in(forms, forms.keys.owner) as http:
        fields = await _editor_fields(http)
        response = await post_fields(http, EDIT, replaced(fields, {"command": "save"} | changes))
        assert response.status_code in (200, 303, 400), response.text[:300]

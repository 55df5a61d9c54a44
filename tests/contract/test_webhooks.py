"""Webhooks at both scopes answer in Cal.com's shapes: numeric ids, string payloadTemplate, numeric userId."""

from testkit.stack import event_type, seed
from tests.contract.calcom import check

HOOK = "http://127.0.0.1:9/hook"


async def test_user_webhooks_round_trip_in_calcoms_shapes(stack):
    # Cal.com's body without `active`: it defaults to true. DELEGATION_CREDENTIAL_ERROR is one of its triggers.
    body = {"subscriberUrl": HOOK, "triggers": ["BOOKING_CREATED", "DELEGATION_CREDENTIAL_ERROR"], "userId": 1}
    await seed(stack.db, event_type(1))
    created = check(await stack.http.post("/v2/webhooks", json=body))["data"]
    assert isinstance(created["id"], int) and created["active"] is True
    assert created["userId"] == 1 and created["payloadTemplate"] == ""
    assert created["triggers"] == ["BOOKING_CREATED", "DELEGATION_CREDENTIAL_ERROR"]
    second = check(await stack.http.post("/v2/webhooks", json=body | {"subscriberUrl": HOOK + "2"}))["data"]
    assert second["id"] > created["id"]
    path = f"/v2/webhooks/{created['id']}"
    assert check(await stack.http.get(path))["data"]["id"] == created["id"]
    template = '{"type":"{{type}}"}'
    patched = check(await stack.http.patch(path, json={"payloadTemplate": template, "active": False}))["data"]
    assert patched["payloadTemplate"] == template and patched["active"] is False
    listed = check(await stack.http.get("/v2/webhooks"))["data"]
    assert [w["id"] for w in listed] == [created["id"], second["id"]]
    assert check(await stack.http.delete(path))["data"]["id"] == created["id"]
    assert (await stack.http.get(path)).status_code == 404


async def test_an_instance_wide_webhook_shows_user_zero(stack):
    created = await stack.http.post("/v2/webhooks", json={"subscriberUrl": HOOK, "triggers": ["BOOKING_CREATED"]})
    assert check(created)["data"]["userId"] == 0


async def test_event_type_webhooks_round_trip_and_delete_all_answers_a_string(stack):
    await seed(stack.db, event_type(1))
    scope = "/v2/event-types/1/webhooks"
    body = {"subscriberUrl": HOOK, "triggers": ["BOOKING_CANCELLED"], "secret": "s"}
    created = check(await stack.http.post(scope, json=body))["data"]
    assert created["eventTypeId"] == 1 and isinstance(created["id"], int) and created["active"] is True
    one = f"{scope}/{created['id']}"
    assert check(await stack.http.get(one))["data"]["subscriberUrl"] == HOOK
    assert check(await stack.http.patch(one, json={"subscriberUrl": HOOK + "x"}))["data"]["subscriberUrl"] == HOOK + "x"
    check(await stack.http.post(scope, json=body | {"subscriberUrl": HOOK + "y"}))
    assert len(check(await stack.http.get(scope))["data"]) == 2
    check(await stack.http.delete(one))
    deleted = check(await stack.http.delete(scope))
    assert deleted["data"] == "1 webhooks deleted"
    assert check(await stack.http.get(scope))["data"] == []


async def test_an_unknown_trigger_is_a_400_naming_the_field(stack):
    response = await stack.http.post("/v2/webhooks", json={"subscriberUrl": HOOK, "triggers": ["NOPE"]})
    assert response.status_code == 400 and "triggers" in response.json()["error"]["message"]

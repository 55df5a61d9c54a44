"""A key acts as its user: lists hold the caller's resources only, and nothing is made for another user."""

from store import routing
from testkit.access import OTHER_ID, OWNER_ID
from testkit.stack import soon
from tests.access.world import HOOK_URL, build_world, form_document


async def _data(stack, key, path):
    async with stack.as_(key) as http:
        response = await http.get(path)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_lists_hold_only_what_the_caller_organises_hosts_attends_or_owns(walk):
    world = await build_world(walk)
    keys = walk.keys
    owner_bookings = {b["uid"] for b in await _data(walk, keys.owner, "/v2/bookings")}
    assert world.uid in owner_bookings
    assert await _data(walk, keys.other, "/v2/bookings") == []
    assert world.uid in {b["uid"] for b in await _data(walk, keys.admin, "/v2/bookings")}

    assert world.event_type_id in {e["id"] for e in await _data(walk, keys.owner, "/v2/event-types")}
    assert await _data(walk, keys.other, "/v2/event-types") == []
    assert world.webhook_id in {w["id"] for w in await _data(walk, keys.owner, "/v2/webhooks")}
    assert await _data(walk, keys.other, "/v2/webhooks") == []
    assert world.form_id in {f["id"] for f in await _data(walk, keys.owner, "/v2/routing-forms")}
    assert await _data(walk, keys.other, "/v2/routing-forms") == []


async def test_an_attendee_lists_the_bookings_they_attend(walk):
    booking = await walk.book(1, soon(86_400 * 3), email="bob@example.com")  # user 2's address
    assert [b["uid"] for b in await _data(walk, walk.keys.other, "/v2/bookings")] == [booking["uid"]]
    async with walk.as_(walk.keys.other) as http:  # attending is not managing
        assert (await http.post(f"/v2/bookings/{booking['uid']}/confirm")).status_code == 404


async def test_a_users_key_creates_only_for_that_user(walk):
    async with walk.as_(walk.keys.other) as http:
        event_type = {"slug": "mine", "title": "Mine", "lengthInMinutes": 30, "hosts": [{"userId": OWNER_ID}]}
        taken = await http.post("/v2/event-types", json=event_type)
        foreign_hook = await http.post(
            "/v2/webhooks", json={"subscriberUrl": HOOK_URL, "triggers": ["BOOKING_CREATED"], "userId": OWNER_ID}
        )
        foreign_form = await http.post("/v2/routing-forms", json=form_document("not-mine", OWNER_ID))
        own_hook = await http.post("/v2/webhooks", json={"subscriberUrl": HOOK_URL, "triggers": ["BOOKING_CREATED"]})
    assert (taken.status_code, foreign_hook.status_code, foreign_form.status_code) == (403, 403, 403)
    assert "hosts.0.userId" in taken.json()["error"]["message"]
    assert own_hook.status_code == 201 and own_hook.json()["data"]["userId"] == OTHER_ID  # not instance-wide
    hook = {"subscriberUrl": HOOK_URL, "triggers": ["BOOKING_CREATED"]}
    instance_wide = await walk.http.post("/v2/webhooks", json=hook)  # the admin key, no userId
    # Instance-wide: no user, shown as userId 0 (Cal.com's userId is always a number).
    assert instance_wide.status_code == 201 and instance_wide.json()["data"]["userId"] == 0
    async with walk.as_(walk.keys.owner) as http:  # the instance-wide webhook is not the owner's to see
        assert (await http.get(f"/v2/webhooks/{instance_wide.json()['data']['id']}")).status_code == 404


async def test_a_routing_response_is_read_by_its_id_without_a_key_but_listed_only_by_the_owner(walk):
    form = form_document("to-book", OWNER_ID)
    form["routes"][0]["action"] = {"type": "eventTypeRedirectUrl", "value": "ada/intro", "eventTypeId": 1}
    for document in (form, form_document("another", OWNER_ID)):
        assert (await walk.http.post("/v2/routing-forms", json=document)).status_code == 201
    async with walk.as_(None) as anonymous:
        submitted = await anonymous.post("/v2/routing-forms/to-book/responses", json={"email": "kim@x.com"})
        response_id = submitted.json()["data"]["routing"]["responseId"]
        token = submitted.json()["data"]["routing"]["bookingToken"]
        read = await anonymous.get(f"/v2/routing-forms/to-book/responses/{response_id}")
        elsewhere = await anonymous.get(f"/v2/routing-forms/another/responses/{response_id}")
        listed = await anonymous.get("/v2/routing-forms/to-book/responses")
    assert read.status_code == 200, read.text
    assert read.json()["data"]["id"] == response_id and read.json()["data"]["response"] == {"email": "kim@x.com"}
    async with walk.db.sessions() as session:
        stored = await routing.get_response(session, response_id)
    # Neither the one-time booking token nor what the store keeps of it is ever in that answer.
    assert stored.booking_token_hash and stored.booking_token_hash not in read.text
    assert token not in read.text and "token" not in read.text.lower()
    assert elsewhere.status_code == 404  # a response is read only under its own form
    assert listed.status_code == 401
    async with walk.as_(walk.keys.owner) as owner:
        assert (await owner.get(f"/v2/routing-forms/to-book/responses/{response_id}")).status_code == 200
    async with walk.as_(walk.keys.other) as other:
        assert (await other.get("/v2/routing-forms/to-book/responses")).status_code == 404
    async with walk.as_("bf_live_not-a-key") as wrong:
        assert (await wrong.get(f"/v2/routing-forms/to-book/responses/{response_id}")).status_code == 401

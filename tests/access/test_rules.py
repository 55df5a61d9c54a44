"""Who may call what: every route has a rule, and anonymous, owner, other user and admin each get its status."""

import re

import pytest
from fastapi import Depends, FastAPI

from api import access
from api.access_rules import RULES, Rule, app_routes, rule_for_path, unruled
from api.app import create_app
from testkit.access import ADMIN_ID, OTHER_ID, OWNER_ID
from testkit.stack import api_context
from tests.access.world import REQUESTS, World, build_world

GRANTED = "granted"  # the route ran for this caller: not 401, 403 or 404, and no crash (a 503 is its own answer)
KEYLESS = "keyless"  # a provider webhook: no key asked for; its own signature check answers (tested elsewhere)
SIGN_IN = 303  # a console page without a console session: redirected to /console/login (tests/console)
CALLERS = ("anonymous", "other", "owner", "admin")
PARAM = re.compile(r"{(\w+)}")


def test_every_route_of_the_app_has_an_access_rule():
    try:
        app = create_app(api_context(None, None, "tq"))
    except RuntimeError as refused:  # create_app itself refuses a route without a rule
        pytest.fail(str(refused))
    missing = unruled(app)
    assert not missing, "add these (method, path) to RULES in api/access_rules.py: " + ", ".join(map(str, missing))


def test_a_route_without_a_rule_stops_the_app_from_being_built():
    app = FastAPI(dependencies=[Depends(access.enforce)])

    @app.get("/v2/new-and-unruled/{thing_id}")
    async def new_route(thing_id: int) -> dict:
        return {}

    with pytest.raises(RuntimeError, match=re.escape("GET /v2/new-and-unruled/{thing_id}")):
        access.install(app)


def test_the_rule_of_a_request_path_is_found_before_routing():
    assert rule_for_path("GET", "/v2/bookings") is Rule.OWNER
    assert rule_for_path("HEAD", "/v2/bookings/abc") is Rule.PUBLIC
    assert rule_for_path("POST", "/v2/bookings/abc/payments") is Rule.ADMIN
    assert rule_for_path("POST", "/v2/attributes/options/3") is Rule.ADMIN
    assert rule_for_path("GET", "/v2/nowhere") is None
    assert rule_for_path("GET", "/console/login") is Rule.PUBLIC
    assert rule_for_path("GET", "/console") is Rule.CONSOLE


def expectation(rule: Rule, caller: str, template: str) -> int | str:
    """What ``caller`` must get from the route ``template`` with ``rule``."""
    if rule is Rule.PUBLIC:
        return KEYLESS if "/webhook" in template or "/inbound" in template else GRANTED
    if rule is Rule.CONSOLE:
        return SIGN_IN  # a key opens no console page: without a session cookie, every caller is sent to sign in
    if caller == "anonymous":
        return 401
    if rule is Rule.ADMIN:
        return GRANTED if caller == "admin" else 403
    if caller == "other" and "{" in template:
        return 404  # another user's resource is answered as if it did not exist
    return GRANTED


def _matches(status: int, expected: int | str) -> bool:
    if expected == GRANTED:
        return status not in (401, 403, 404) and (status < 500 or status == 503)
    if expected == KEYLESS:
        return status != 401 and (status < 500 or status == 503)  # 503: the provider is not configured
    return status == expected


def _request_for(method: str, template: str, world: World, user_id: int) -> tuple[str, object]:
    """The path and body of a valid request (for a route this test knows) as the given user."""
    make_body = REQUESTS.get((method, template))
    return world.path(template), make_body(world, user_id) if make_body else None


def _known(method: str, template: str) -> bool:
    params = set(PARAM.findall(template))
    needs_body = method not in ("GET", "DELETE") and (method, template) not in REQUESTS
    return params <= set(World.__dataclass_fields__) and not needs_body


async def test_each_caller_gets_what_the_route_rule_says(walk):
    users = {"anonymous": 0, "other": OTHER_ID, "owner": OWNER_ID, "admin": ADMIN_ID}
    keys = {"anonymous": None, "other": walk.keys.other, "owner": walk.keys.owner, "admin": walk.keys.admin}
    world = await build_world(walk)
    failures, walked = [], 0
    for method, template, _ in app_routes(walk.transport.app):
        rule, known = RULES[(method, template)], _known(method, template)
        for caller in CALLERS:
            expected = expectation(rule, caller, template)
            if not known and expected not in (401, 403, SIGN_IN):
                continue  # a route this test has no valid request for: only what does not depend on the body
            target = await build_world(walk, with_booking=False) if method == "DELETE" and known else world
            if known:
                path, body = _request_for(method, template, target, users[caller])
            else:
                path, body = PARAM.sub("0", template), {} if method in ("POST", "PATCH") else None
            async with walk.as_(keys[caller]) as http:
                response = await http.request(method, path, json=body)
            walked += 1
            if not _matches(response.status_code, expected):
                got = f"got {response.status_code}, expected {expected}: {response.text[:160]}"
                failures.append(f"{caller:9} {method} {path}: {got}")
            if expected == SIGN_IN:
                assert response.headers["location"].startswith("/console/login?next="), (method, path)
            if response.status_code == 401:
                assert response.headers.get("WWW-Authenticate") == "Bearer", (method, path)
                assert response.json()["error"]["code"] == "UNAUTHORIZED", (method, path)
    assert not failures, "\n".join(failures)
    assert walked >= 4 * len(RULES) // 2  # the table's routes, four callers each (docs included)

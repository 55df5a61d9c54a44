"""Strings have maximum lengths on every request body: one over-long string is a 400 naming its field."""

import re
from typing import Any

import pytest

from domain.text_bounds import NAME, TEXT, URL
from testkit.access import OWNER_ID, bearer, issue_keys
from testkit.stack import event_type, seed
from tests.edge.support import edge_api

FORM = "bounded-form"


def _form(**changes: Any) -> dict[str, Any]:
    """A routing form with an email and a free-text field, and one fallback route."""
    return {
        "id": FORM,
        "name": "Bounded",
        "userId": OWNER_ID,
        "fields": [
            {"id": "f-email", "label": "Email", "identifier": "email", "type": "email", "required": True},
            {"id": "f-notes", "label": "Notes", "identifier": "notes", "type": "textarea"},
        ],
        "routes": [
            {
                "id": "r-fallback",
                "isFallback": True,
                "queryValue": {"id": "root", "type": "group"},
                "action": {"type": "customPageMessage", "value": "Thanks"},
            }
        ],
    } | changes


def _long(limit: int) -> str:
    return "x" * (limit + 1)


LONG_FIELD = [
    pytest.param(
        "POST", "/v2/event-types", {"slug": "long", "title": _long(NAME), "lengthInMinutes": 30}, "title",
        id="event type title",
    ),
    pytest.param(
        "POST", "/v2/webhooks",
        {"subscriberUrl": "https://hooks.example.com/" + _long(URL), "triggers": ["BOOKING_CREATED"]},
        "subscriberUrl", id="webhook subscriberUrl",
    ),
    pytest.param(
        "POST", "/v2/routing-forms",
        _form(id="another", fields=[{"id": "f", "label": _long(NAME), "type": "text"}]), "fields.0.label",
        id="routing form field label",
    ),
    pytest.param(
        "POST", f"/v2/routing-forms/{FORM}/responses", {"email": "kim@example.com", "notes": _long(TEXT)}, "notes",
        id="routing form answer",
    ),
    pytest.param(
        "POST", "/v2/attributes", {"id": "region", "name": _long(NAME), "type": "TEXT"}, "name",
        id="attribute name",
    ),
    pytest.param(
        "POST", "/v2/event-types/1/workflows",
        {
            "name": "Text me",
            "trigger": {"type": "beforeEvent", "offset": {"value": 60, "unit": "minute"}},
            "steps": [{"stepNumber": 1, "action": "sms_number", "sendToPhone": "+1" + "5" * 40}],
        },
        "steps.0.sendToPhone", id="reminder rule phone",
    ),
    pytest.param(
        "POST", "/v2/schedules", {"name": "Week", "timeZone": _long(NAME)}, "timeZone", id="schedule timeZone",
    ),
    pytest.param(
        "POST", "/v2/out-of-office",
        {"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z", "notes": "n" * 2001}, "notes",
        id="out-of-office notes",
    ),
    pytest.param("PATCH", "/v2/me", {"timeZone": _long(NAME)}, "timeZone", id="me timeZone"),
    pytest.param(
        "POST", "/v2/selected-calendars",
        {"integration": "apple_calendar", "externalId": "https://caldav.example.com/" + _long(URL), "credentialId": 1},
        "externalId", id="selected calendar externalId",
    ),
    pytest.param(
        "POST", "/v2/calendars/apple/credentials", {"username": "u" * 321, "password": "secret"}, "username",
        id="calendar credentials username",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "field"), LONG_FIELD)
async def test_an_over_long_string_is_400_naming_its_field(
    temporal_env, sqlite_db, task_queue, method: str, path: str, body: dict[str, Any], field: str
):
    await seed(sqlite_db, event_type(1))
    keys = await issue_keys(sqlite_db)
    async with edge_api(temporal_env.client, sqlite_db, task_queue) as http:
        http.headers.update(bearer(keys.admin))
        assert (await http.post("/v2/routing-forms", json=_form())).status_code == 201
        response = await http.request(method, path, json=body)
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert re.search(rf"(^|; ){re.escape(field)}: [^;]*at most", message), message

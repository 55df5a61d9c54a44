"""Routing forms for the console's tests: one of the owner (user 1), one of another user, an attribute."""

from typing import Any

from testkit.stack import Stack, event_type, seed

FORM_ID = "console-sales"
OTHERS_FORM_ID = "console-bobs"
REGION = {
    "id": "a-region",
    "name": "Region",
    "type": "SINGLE_SELECT",
    "options": [{"id": "opt-de", "value": "Germany"}, {"id": "opt-us", "value": "United States"}],
}


def rule(field: str, operator: str, *values: Any) -> dict[str, Any]:
    return {"type": "rule", "properties": {"field": field, "operator": operator, "value": list(values)}}


def sales_form(form_id: str = FORM_ID) -> dict[str, Any]:
    """Email, company size and a country select; Germany gets a message, big companies a booking page."""
    return {
        "id": form_id,
        "name": "Talk to sales",
        "fields": [
            {"id": "f-email", "label": "Work email", "identifier": "email", "type": "email", "required": True},
            {"id": "f-size", "label": "Company size", "identifier": "employees", "type": "number"},
            {
                "id": "f-country",
                "label": "Country",
                "identifier": "country",
                "type": "select",
                "options": [
                    {"id": "c-de", "label": "Germany"},
                    {"id": "c-us", "label": "United States"},
                    {"id": "c-jp", "label": "Japan"},
                ],
            },
        ],
        "routes": [
            {
                "id": "r-germany",
                "name": "Germany",
                "queryValue": {
                    "id": "root",
                    "type": "group",
                    "properties": {"conjunction": "AND"},
                    "children1": {"c1": rule("f-country", "select_equals", "c-de")},
                },
                "action": {"type": "customPageMessage", "value": "Hallo! Our Berlin team will call you."},
            },
            {
                "id": "r-big",
                "name": "Big companies",
                "queryValue": {
                    "id": "root",
                    "type": "group",
                    "children1": {"c2": rule("f-size", "greater_or_equal", 500)},
                },
                "action": {"type": "eventTypeRedirectUrl", "value": "ada/event-1", "eventTypeId": 1},
            },
            {
                "id": "r-fallback",
                "name": "Everyone else",
                "isFallback": True,
                "action": {"type": "customPageMessage", "value": "Thanks, we will be in touch."},
            },
        ],
    }


async def seed_forms(stack: Stack) -> None:
    """Event type 1 (the owner's), the owner's sales form, another user's form and the Region attribute."""
    await seed(stack.db, event_type(1))
    async with stack.as_(stack.keys.owner) as owner:
        created = await owner.post("/v2/routing-forms", json=sales_form())
        assert created.status_code == 201, created.text
    async with stack.as_(stack.keys.other) as other:
        created = await other.post("/v2/routing-forms", json=sales_form(OTHERS_FORM_ID) | {"name": "Bob's form"})
        assert created.status_code == 201, created.text
    attribute = await stack.http.post("/v2/attributes", json=REGION)
    assert attribute.status_code in (200, 201), attribute.text


async def live_form(stack: Stack, form_id: str = FORM_ID) -> dict[str, Any]:
    """The form as the API serves it now (admin key)."""
    response = await stack.http.get(f"/v2/routing-forms/{form_id}")
    assert response.status_code == 200, response.text
    return response.json()["data"]

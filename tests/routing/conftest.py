"""A team routing form as Cal.com stores it, and the org around it."""

from typing import Any

import pytest

from domain.routing_forms import RoutingContext, RoutingForm


def group(*rules: dict, conjunction: str = "AND") -> dict:
    children = {f"rule-{i}": {"type": "rule", "properties": r} for i, r in enumerate(rules)}
    return {"id": "root", "type": "group", "children1": children, "properties": {"conjunction": conjunction}}


def rule(field: str, operator: str, *values: Any) -> dict:
    return {"field": field, "operator": operator, "value": list(values), "valueSrc": ["value"] * len(values)}


def form_document(**changes: Any) -> dict:
    document = {
        "id": "form-1",
        "name": "Talk to sales",
        "teamId": 7,
        "fields": [
            {"id": "f-email", "label": "Email", "identifier": "email", "type": "email", "required": True},
            {"id": "f-name", "label": "Name", "identifier": "name", "type": "text"},
            {"id": "f-phone", "label": "Phone", "identifier": "phone", "type": "phone"},
            {"id": "f-seats", "label": "Seats", "identifier": "seats", "type": "number"},
            {
                "id": "f-country",
                "label": "Country",
                "identifier": "country",
                "type": "select",
                "options": [{"id": "o-de", "label": "Germany"}, {"id": "o-us", "label": "United States"}],
            },
            {
                "id": "f-products",
                "label": "Products",
                "identifier": "products",
                "type": "multiselect",
                "options": [
                    {"id": "p-api", "label": "API"},
                    {"id": "p-ui", "label": "UI"},
                    {"id": "p-bill", "label": "Billing"},
                ],
            },
        ],
        "routes": [
            {
                "id": "r-enterprise",
                "name": "Enterprise",
                "queryValue": group(rule("f-seats", "greater_or_equal", 100)),
                "action": {"type": "eventTypeRedirectUrl", "value": "team/sales/enterprise", "eventTypeId": 11},
                "attributesQueryValue": group(rule("a-region", "select_equals", "{field:f-country}")),
                "fallbackAttributesQueryValue": group(rule("a-role", "select_equals", "opt-ae")),
                "attributeIdForWeights": "a-role",
            },
            {
                "id": "r-dev",
                "name": "Developers",
                "queryValue": group(rule("f-products", "multiselect_equals", ["p-api", "p-ui"])),
                "action": {"type": "externalRedirectUrl", "value": "https://docs.example.com"},
            },
            {
                "id": "r-acme",
                "name": "Acme",
                "queryValue": group(rule("f-name", "equal", "ACME Corp")),
                "action": {"type": "eventTypeRedirectUrl", "value": "team/sales/acme", "eventTypeId": 12},
            },
            {
                "id": "r-fallback",
                "name": "Everyone else",
                "isFallback": True,
                "queryValue": {"id": "root", "type": "group"},
                "action": {
                    "type": "customPageMessage",
                    "value": "Thank you for your interest! We will be in touch soon.",
                },
            },
        ],
    }
    document.update(changes)
    return document


@pytest.fixture
def form() -> RoutingForm:
    return RoutingForm.model_validate(form_document())


@pytest.fixture
def context() -> RoutingContext:
    return RoutingContext.model_validate(
        {
            "members": [
                {"userId": 1, "email": "ada@team.example.com"},
                {"userId": 2, "email": "bob@team.example.com"},
                {"userId": 3, "email": "cy@team.example.com"},
            ],
            "attributes": [
                {
                    "id": "a-region",
                    "name": "Region",
                    "type": "SINGLE_SELECT",
                    "options": [{"id": "opt-de", "value": "Germany"}, {"id": "opt-us", "value": "United States"}],
                },
                {
                    "id": "a-role",
                    "name": "Role",
                    "type": "SINGLE_SELECT",
                    "options": [{"id": "opt-ae", "value": "Account executive"}, {"id": "opt-se", "value": "Engineer"}],
                },
            ],
            "assignments": [
                {"userId": 1, "attributeId": "a-region", "optionId": "opt-de"},
                {"userId": 2, "attributeId": "a-region", "optionId": "opt-de"},
                {"userId": 3, "attributeId": "a-region", "optionId": "opt-us"},
                {"userId": 1, "attributeId": "a-role", "optionId": "opt-ae", "weight": 300},
                {"userId": 2, "attributeId": "a-role", "optionId": "opt-ae", "weight": 100},
                {"userId": 3, "attributeId": "a-role", "optionId": "opt-se"},
            ],
            "eventTypes": [
                {
                    "id": 11,
                    "schedulingType": "roundRobin",
                    "hosts": [
                        {"userId": 1, "email": "ada@team.example.com"},
                        {"userId": 2, "email": "bob@team.example.com"},
                        {"userId": 3, "email": "cy@team.example.com"},
                    ],
                },
                {"id": 12, "schedulingType": "collective", "hosts": [{"userId": 3, "email": "cy@team.example.com"}]},
            ],
        }
    )

"""The org, forms and CRM double the routing integration tests run against (Cal.com's semantics)."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from temporalio.client import Client

from domain.config import Configuration, EventType, Host, User
from domain.crm import CrmOwnerLookup, OwnerDecision, OwnerQuery, TraceStep
from store import config
from store.db import Database
from testkit.stack import Stack, open_all_week, running_stack

ADA = User(id=1, name="Ada Lead", email="ada@team.example.com", username="ada")
BOB = User(id=2, name="Bob Rep", email="bob@team.example.com", username="bob")
CY = User(id=3, name="Cy Engineer", email="cy@team.example.com", username="cy")
USERS = [ADA, BOB, CY]

ROUND_ROBIN = 11  # all three host it, round robin
COLLECTIVE = 12  # Cy hosts it alone


def event_types(**round_robin: Any) -> list[EventType]:
    hosts = [Host(user_id=u.id) for u in USERS]
    return [
        EventType(
            id=ROUND_ROBIN,
            slug="sales",
            title="Sales call",
            length_in_minutes=30,
            hosts=hosts,
            scheduling_type="roundRobin",
            minimum_booking_notice=0,
            **round_robin,
        ),
        EventType(
            id=COLLECTIVE,
            slug="deep-dive",
            title="Deep dive",
            length_in_minutes=30,
            hosts=[Host(user_id=3)],
            minimum_booking_notice=0,
        ),
    ]


REGION = {
    "id": "a-region",
    "name": "Region",
    "type": "SINGLE_SELECT",
    "options": [{"id": "opt-de", "value": "Germany"}, {"id": "opt-us", "value": "United States"}],
    "assignments": [{"userId": 1, "optionId": "opt-de"}, {"userId": 2, "optionId": "opt-us"}],
}
ROLE = {
    "id": "a-role",
    "name": "Role",
    "type": "SINGLE_SELECT",
    "options": [{"id": "opt-ae", "value": "Account executive"}, {"id": "opt-se", "value": "Engineer"}],
    "assignments": [
        {"userId": 1, "optionId": "opt-ae"},
        {"userId": 2, "optionId": "opt-ae"},
        {"userId": 3, "optionId": "opt-se"},
    ],
}


def group(*rules: dict, conjunction: str = "AND") -> dict:
    """A react-awesome-query-builder tree as Cal.com stores it in ``queryValue``."""
    children = {f"r{i}": {"type": "rule", "properties": r} for i, r in enumerate(rules)}
    return {"id": "root", "type": "group", "children1": children, "properties": {"conjunction": conjunction}}


def rule(field: str, operator: str, *values: Any) -> dict:
    return {"field": field, "operator": operator, "value": list(values), "valueSrc": ["value"] * len(values)}


FALLBACK_MESSAGE = "Thank you for your interest! We will be in touch soon."


def sales_form(**changes: Any) -> dict[str, Any]:
    """A team form: enterprise by seats (attribute routing by the country answer), developers by
    products (multiselect "All in"), ACME by company name (case-insensitive equals), else a message."""
    document = {
        "id": "talk-to-sales",
        "name": "Talk to sales",
        "teamId": 7,
        "fields": [
            {"id": "f-email", "label": "Email", "identifier": "email", "type": "email", "required": True},
            {"id": "f-company", "label": "Company", "identifier": "company", "type": "text"},
            {"id": "f-phone", "label": "Phone", "identifier": "phone", "type": "phone"},
            {"id": "f-seats", "label": "Seats", "identifier": "seats", "type": "number"},
            {
                "id": "f-country",
                "label": "Country",
                "identifier": "country",
                "type": "select",
                "options": [
                    {"id": "o-de", "label": "Germany"},
                    {"id": "o-us", "label": "United States"},
                    {"id": "o-fr", "label": "France"},
                ],
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
                "action": {"type": "eventTypeRedirectUrl", "value": "team/sales/sales", "eventTypeId": ROUND_ROBIN},
                "attributesQueryValue": group(rule("a-region", "select_equals", "{field:f-country}")),
                "fallbackAttributesQueryValue": group(rule("a-role", "select_equals", "opt-ae")),
            },
            {
                "id": "r-dev",
                "name": "Developers",
                "queryValue": group(rule("f-products", "multiselect_equals", ["p-api", "p-ui"])),
                "action": {"type": "externalRedirectUrl", "value": "https://docs.example.com/start"},
            },
            {
                "id": "r-acme",
                "name": "ACME",
                "queryValue": group(rule("f-company", "equal", "ACME Corp")),
                "action": {"type": "eventTypeRedirectUrl", "value": "team/sales/deep-dive", "eventTypeId": COLLECTIVE},
            },
            {
                "id": "r-fallback",
                "name": "Everyone else",
                "isFallback": True,
                "queryValue": {"id": "root", "type": "group"},
                "action": {"type": "customPageMessage", "value": FALLBACK_MESSAGE},
            },
        ],
    }
    return document | changes


async def seed_org(db: Database, **round_robin: Any) -> None:
    """Users, event types and attributes (what `bookflow config apply` would load)."""
    document = Configuration(
        users=USERS, schedules=open_all_week(USERS), event_types=event_types(**round_robin), attributes=[REGION, ROLE]
    )
    async with db.transaction() as session:
        await config.apply_configuration(session, document)


class ScriptedOwnerLookup:
    """A ``CrmOwnerLookup`` double: owners by attendee email, answering as the real lookups do
    (an owner only if they host the event type), and recording every query."""

    def __init__(self, owners: Mapping[str, str]) -> None:
        self.owners = {k.lower(): v for k, v in owners.items()}
        self.queries: list[OwnerQuery] = []

    async def find_owner(self, query: OwnerQuery) -> OwnerDecision:
        self.queries.append(query)
        owner = self.owners.get(query.attendee_email.lower())
        hosts = {h.lower() for h in query.host_emails}
        if owner is None:
            return OwnerDecision(trace=[TraceStep(step="owner_lookup", outcome="none", reason="no contact")])
        if owner.lower() not in hosts:
            step = TraceStep(step="owner_validated", outcome="rejected", reason=f"{owner} hosts no such event")
            return OwnerDecision(trace=[step])
        step = TraceStep(step="contact_owner_lookup", outcome="found", reason=f"{owner} owns the contact")
        return OwnerDecision(owner_email=owner, record_type="Contact", record_id="003A", trace=[step])


@asynccontextmanager
async def routing_stack(
    client: Client, db: Database, task_queue: str, crm_owners: Mapping[str, CrmOwnerLookup] | None = None
) -> AsyncIterator[Stack]:
    """A worker (with CRM owner lookups) and the API in-process, over ``db``."""
    async with running_stack(client, db, task_queue, crm_owners=crm_owners) as stack:
        yield stack

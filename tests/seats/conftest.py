"""Seated bookings against the CRM emulators (Salesforce with Shared Activities' EventRelation, HubSpot with
association removal), the worker reading their credentials from the environment as in production."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.config import Configuration, EventType, Host
from store import config as config_store
from testkit.salesforce import SalesforceEmulator
from testkit.stack import Stack, open_all_week, running_stack
from tests.crm_integration.conftest import crm_env, hubspot  # noqa: F401 (fixtures)
from tests.crm_integration.support import HAL, USERS, mapping, salesforce_fixture
from tests.seats.support import HIDDEN
from worker.crm_config import check_crm

SF_SEATED = 31
HS_SEATED = 32


def _seated(id: int, crm: str) -> EventType:
    return EventType(
        id=id,
        slug=f"class-{id}",
        title=f"Class {id}",
        length_in_minutes=30,
        hosts=[Host(user_id=HAL.id)],
        minimum_booking_notice=0,
        seats=HIDDEN,
        crm_sync=[crm],
    )


CRM_SECTION: dict[str, Any] = {
    "eventTypes": [
        {
            "eventTypeId": SF_SEATED,
            "salesforce": {
                "fieldMappings": {
                    "mappings": [
                        mapping("booking", "person", "Last_Booked__c", "date", "booking_start_date"),
                        mapping("cancellation", "person", "Seat_Cancelled__c", "checkbox", True),
                    ]
                }
            },
        },
        {"eventTypeId": HS_SEATED, "hubspot": {"sync": {"associateCompany": True}}},
    ]
}


@pytest.fixture
def salesforce() -> Iterator[SalesforceEmulator]:
    """The CRM suites' org, with Shared Activities (EventRelation) and a field a seat's cancel writes."""
    fixture = salesforce_fixture()
    fixture["fields"]["Contact"].append({"name": "Seat_Cancelled__c", "type": "boolean"})
    fixture["fields"]["EventRelation"] = [
        {"name": "Id", "type": "id", "updateable": False},
        {"name": "EventId", "type": "reference"},
        {"name": "RelationId", "type": "reference"},
        {"name": "IsParent", "type": "boolean"},
        {"name": "IsWhat", "type": "boolean"},
        {"name": "IsInvitee", "type": "boolean"},
    ]
    with SalesforceEmulator(fixture) as emulator:
        yield emulator


@pytest.fixture
async def seated_org(temporal_env, sqlite_db, task_queue, crm_env) -> AsyncIterator[Stack]:  # noqa: F811
    """A running stack over a store holding the seated event types and their crm section."""
    configuration = Configuration(
        users=USERS,
        schedules=open_all_week(USERS),
        event_types=[_seated(SF_SEATED, "salesforce"), _seated(HS_SEATED, "hubspot")],
        crm=CRM_SECTION,
    )
    document = check_crm(Path("test.yaml"), configuration, set())
    async with sqlite_db.transaction() as session:
        await config_store.apply_configuration(session, document)
    async with running_stack(temporal_env.client, sqlite_db, task_queue) as stack:
        yield stack

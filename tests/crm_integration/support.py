"""The org, CRM data and configuration the CRM integration tests run against."""

from datetime import datetime
from typing import Any

from domain.config import Configuration, EventType, Host, User
from testkit.stack import open_all_week

HAL = User(id=1, name="Hal Host", email="hal@bookflow.io", username="hal")
BOB = User(id=2, name="Bob Rep", email="bob@bookflow.io", username="bob")
USERS = [HAL, BOB]

SF_DELETE = 21  # Salesforce; cancel deletes the Event
SF_WRITE = 22  # Salesforce; cancel writes the cancellation fields instead
HS = 23  # HubSpot
ROUTED = 24  # round robin (Hal, Bob), routed to the Salesforce Account owner
PLAIN = 25  # no CRM at all

BOOKER = "bo@acme.com"
HUBSPOT_TOKEN = "pat-na1-crm-integration"


def event_types() -> list[EventType]:
    def et(id: int, **fields: Any) -> EventType:
        base = {
            "id": id,
            "slug": f"call-{id}",
            "title": f"Call {id}",
            "length_in_minutes": 30,
            "hosts": [Host(user_id=1)],
            "minimum_booking_notice": 0,
        }
        return EventType(**(base | fields))

    both = [Host(user_id=1), Host(user_id=2)]
    return [
        et(SF_DELETE, crm_sync=["salesforce"]),
        et(SF_WRITE, crm_sync=["salesforce"]),
        et(HS, crm_sync=["hubspot"]),
        et(ROUTED, hosts=both, scheduling_type="roundRobin", crm_owner_lookup="salesforce"),
        et(PLAIN),
    ]


def mapping(on: str, obj: str, field: str, type_: str, value: Any) -> dict[str, Any]:
    return {"on": on, "object": obj, "field": field, "type": type_, "value": value}


CRM_SECTION: dict[str, Any] = {
    "eventTypes": [
        {
            "eventTypeId": SF_DELETE,
            "salesforce": {
                "noShowField": "No_Show__c",
                "fieldMappings": {
                    "mappings": [
                        mapping("booking", "event", "Booking_Source__c", "text", "bookflow"),
                        mapping("booking", "person", "Last_Booked__c", "date", "booking_start_date"),
                    ]
                },
            },
        },
        {
            "eventTypeId": SF_WRITE,
            "salesforce": {
                "cancelAction": "write",
                "fieldMappings": {"mappings": [mapping("cancellation", "event", "Cancelled__c", "checkbox", True)]},
            },
        },
        {"eventTypeId": HS, "hubspot": {"sync": {"associateCompany": True}}},
        {
            "eventTypeId": ROUTED,
            "salesforce": {"record": "account", "ownerRecord": "account", "tiebreakerRules": ["P1_COUNTRY"]},
        },
    ]
}


def configuration(crm: dict[str, Any] | None = None) -> Configuration:
    return Configuration(
        users=USERS,
        schedules=open_all_week(USERS),
        event_types=event_types(),
        crm=CRM_SECTION if crm is None else crm,
    )


def salesforce_fixture() -> dict[str, Any]:
    """Users for the hosts (and one who hosts nothing), Bo's Contact, and Accounts for routing."""
    return {
        "User": [
            {"Id": "005000000000HAL", "Email": HAL.email, "Name": HAL.name, "IsActive": True},
            {"Id": "005000000000BOB", "Email": BOB.email, "Name": BOB.name, "IsActive": True},
            {"Id": "005000000000ZED", "Email": "zed@bookflow.io", "Name": "Zed", "IsActive": True},
        ],
        "Account": [
            {"Id": "001000000000ACM", "Name": "Acme", "Website": "acme.com", "OwnerId": "005000000000HAL"},
            # Two Globex Accounts owned by hosts: the booker's country decides (P1).
            {
                "Id": "001000000000GDE",
                "Name": "Globex GmbH",
                "Website": "globex.com",
                "OwnerId": "005000000000BOB",
                "BillingCountry": "Germany",
            },
            {
                "Id": "001000000000GUS",
                "Name": "Globex Inc",
                "Website": "globex.com",
                "OwnerId": "005000000000HAL",
                "BillingCountry": "United States",
            },
            # Initech is owned by Zed, who hosts nothing.
            {"Id": "001000000000INI", "Name": "Initech", "Website": "initech.com", "OwnerId": "005000000000ZED"},
        ],
        "Contact": [
            {
                "Id": "003000000000BOO",
                "FirstName": "Bo",
                "LastName": "Booker",
                "Email": BOOKER,
                "AccountId": "001000000000ACM",
                "OwnerId": "005000000000HAL",
            }
        ],
        "fields": {
            "Event": [
                {"name": "Booking_Source__c", "type": "string"},
                {"name": "No_Show__c", "type": "boolean"},
                {"name": "Cancelled__c", "type": "boolean"},
            ],
            "Contact": [{"name": "Last_Booked__c", "type": "date"}],
        },
    }


def routing_form(event_type_id: int = ROUTED) -> dict[str, Any]:
    """One question (email); every submission is routed to ``event_type_id``."""
    return {
        "id": "crm-form",
        "name": "Talk to sales",
        "fields": [{"id": "f-email", "label": "Email", "identifier": "email", "type": "email", "required": True}],
        "routes": [
            {
                "id": "r-all",
                "name": "Everyone",
                "isFallback": True,
                "queryValue": {"id": "root", "type": "group"},
                "action": {"type": "eventTypeRedirectUrl", "value": "team/sales/call", "eventTypeId": event_type_id},
            }
        ],
    }


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))

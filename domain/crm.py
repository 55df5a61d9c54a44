"""The CRM owner hook: what routing asks a CRM, and what the CRM answers, as plain data.

Routing stays pure: the workflow calls the CRM (an activity) with an ``OwnerQuery`` and hands the
``OwnerDecision`` to the host choice. ``crm/`` implements the lookup for Salesforce and HubSpot.
"""

from typing import Literal, Protocol

from domain.base import CamelModel


class TraceStep(CamelModel):
    """One step of a decision, with its outcome and the reason, for the routing trace."""

    step: str
    outcome: str
    reason: str


class OwnerQuery(CamelModel):
    attendee_email: str
    host_emails: list[str]
    crm_app_slug: Literal["salesforce", "hubspot"]
    record_type: str | None = None
    round_robin: bool = False
    country: str | None = None
    region: str | None = None
    event_type_id: int | None = None


class OwnerDecision(CamelModel):
    """The CRM owner, if one was found and hosts the event type; the trace says why either way."""

    owner_email: str | None = None
    record_type: str | None = None
    record_id: str | None = None
    trace: list[TraceStep] = []


class CrmOwnerLookup(Protocol):
    async def find_owner(self, query: OwnerQuery) -> OwnerDecision: ...

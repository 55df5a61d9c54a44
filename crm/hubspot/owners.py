"""HubSpot contact-owner routing: the routing hook ``domain.crm.CrmOwnerLookup`` for HubSpot.

The attendee's contact → its ``hubspot_owner_id`` → the owner's email (owners API) → accepted only
if that person hosts the event type. Every step lands in the trace, found or not.
"""

import asyncio
import time

from hubspot.crm.contacts import BatchReadInputSimplePublicObjectId, SimplePublicObjectId

from crm.hubspot.connection import HubSpotConnection
from crm.hubspot.errors import HubSpotError
from domain.base import CamelModel
from domain.crm import OwnerDecision, OwnerQuery, TraceStep

# Consumer mailboxes: an owner found for one of these is a coincidence, not an account relationship.
FREE_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "yandex.com",
        "mail.ru",
        "zoho.com",
        "qq.com",
        "163.com",
    }
)


class HubSpotOwnerOptions(CamelModel):
    """Per event type: Cal.com's ``ifFreeEmailDomainSkipOwnerCheck``."""

    skip_free_email_domains: bool = False
    free_email_domains: frozenset[str] = FREE_EMAIL_DOMAINS


class HubSpotOwnerLookup:
    """Finds the HubSpot owner of an attendee's contact, if that owner hosts the event type.

    Raises ``HubSpotError`` when HubSpot cannot be asked (the activity retries); a contact without
    an owner, or an owner who is no host, is an answer (``owner_email=None``) with its trace.
    """

    def __init__(self, connection: HubSpotConnection, options: HubSpotOwnerOptions | None = None) -> None:
        self._connection = connection
        self._options = options or HubSpotOwnerOptions()

    async def find_owner(self, query: OwnerQuery) -> OwnerDecision:
        """Implements ``domain.crm.CrmOwnerLookup`` (runs the blocking client in a thread)."""
        return await asyncio.to_thread(self.find_owner_sync, query)

    def find_owner_sync(self, query: OwnerQuery) -> OwnerDecision:
        """The same lookup, blocking."""
        email = query.attendee_email.strip().lower()
        domain = email.rpartition("@")[2]
        if self._options.skip_free_email_domains and domain in self._options.free_email_domains:
            return _decision(None, None, "hubspot_owner_lookup_skipped", "skipped", f"{domain} is a free email domain")
        contact_id, owner_id = self._contact_owner(email)
        if contact_id is None:
            return _decision(None, None, "hubspot_contact_lookup", "not_found", f"no HubSpot contact has {email}")
        trace = [TraceStep(step="hubspot_contact_lookup", outcome="found", reason=f"contact {contact_id}")]
        if not owner_id:
            trace.append(TraceStep(step="hubspot_owner_lookup", outcome="no_owner", reason="contact has no owner"))
            return OwnerDecision(record_type="contact", record_id=contact_id, trace=trace)
        owner_email = self._owner_email(owner_id)
        if owner_email is None:
            reason = f"owner {owner_id} is unknown, archived or has no email"
            trace.append(TraceStep(step="hubspot_owner_lookup", outcome="no_email", reason=reason))
            return OwnerDecision(record_type="contact", record_id=contact_id, trace=trace)
        trace.append(TraceStep(step="hubspot_owner_lookup", outcome="found", reason=f"owner {owner_id} {owner_email}"))
        hosts = {h.lower() for h in query.host_emails}
        if owner_email.lower() not in hosts:
            reason = f"{owner_email} does not host this event type; round robin proceeds"
            trace.append(TraceStep(step="hubspot_owner_validated", outcome="not_a_host", reason=reason))
            return OwnerDecision(record_type="contact", record_id=contact_id, trace=trace)
        reason = f"contact {contact_id} of {email} is owned by host {owner_email}"
        trace.append(TraceStep(step="hubspot_assignment", outcome="owner_is_host", reason=reason))
        return OwnerDecision(owner_email=owner_email, record_type="contact", record_id=contact_id, trace=trace)

    def _contact_owner(self, email: str) -> tuple[str | None, str | None]:
        """The contact's id and ``hubspot_owner_id`` (batch read by the unique email property)."""
        request = BatchReadInputSimplePublicObjectId(
            id_property="email",
            inputs=[SimplePublicObjectId(id=email)],
            properties=["email", "hubspot_owner_id"],
            properties_with_history=[],
        )
        answer = self._connection.call("read contact owner", lambda h: h.crm.contacts.batch_api.read(request))
        if not answer.results:
            return None, None
        contact = answer.results[0]
        return contact.id, (contact.properties or {}).get("hubspot_owner_id") or None

    def _owner_email(self, owner_id: str) -> str | None:
        try:
            owner = self._connection.call(
                "read owner",
                lambda h: h.crm.owners.owners_api.get_by_id(owner_id, id_property="id", archived=False),
            )
        except HubSpotError as error:
            if error.status == 404:  # deactivated users leave stale owner ids on contacts
                return None
            raise
        return owner.email or None


def _decision(record_type: str | None, record_id: str | None, step: str, outcome: str, reason: str) -> OwnerDecision:
    return OwnerDecision(
        record_type=record_type,
        record_id=record_id,
        trace=[TraceStep(step=step, outcome=outcome, reason=reason)],
    )


class OwnerIds:
    """HubSpot owner ids by email (owners API), cached: a meeting's ``hubspot_owner_id`` is its host's."""

    def __init__(self, connection: HubSpotConnection, ttl_seconds: float = 3600) -> None:
        self._connection = connection
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, str | None]] = {}

    def of(self, email: str) -> str | None:
        """The id of the active owner with this email, or None (also remembered, for the TTL)."""
        key = email.strip().lower()
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        page = self._connection.call(
            "find owner by email", lambda h: h.crm.owners.owners_api.get_page(email=key, archived=False, limit=1)
        )
        found = next((o.id for o in page.results or [] if (o.email or "").lower() == key), None)
        self._cache[key] = (time.monotonic(), found)
        return found

"""The records a meeting hangs on: attendees' contacts, their primary companies and open deals.

All reads and writes use batch endpoints, at most ``BATCH_LIMIT`` inputs per call.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicAssociationMultiArchive,
    PublicAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
    PublicObjectId,
)
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectId,
)
from hubspot.crm.deals import BatchReadInputSimplePublicObjectId as DealBatchRead
from hubspot.crm.deals import SimplePublicObjectId as DealId

from crm.hubspot.connection import HubSpotConnection
from crm.hubspot.errors import HubSpotError
from crm.hubspot.meeting import split_name

BATCH_LIMIT = 100
CONTACT_TO_COMPANY_PRIMARY = 1  # HubSpot-defined "Primary" label of contact → company

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = BATCH_LIMIT) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size`` (HubSpot's batch limit)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Person:
    """Someone on the booking, as a contact would be created for them."""

    email: str
    name: str


class HubSpotRecords:
    """Contact, company and deal reads and writes for one connection."""

    def __init__(self, connection: HubSpotConnection) -> None:
        self._connection = connection

    def find_contacts(self, emails: Sequence[str], properties: Sequence[str] = ()) -> dict[str, dict[str, str]]:
        """Contacts by (lower-cased) email: ``{email: {"id": ..., **properties}}``; missing ones absent."""
        wanted = ["email", *properties]
        found: dict[str, dict[str, str]] = {}
        for part in chunks(sorted({e.lower() for e in emails})):
            request = BatchReadInputSimplePublicObjectId(
                id_property="email",
                inputs=[SimplePublicObjectId(id=e) for e in part],
                properties=wanted,
                properties_with_history=[],
            )
            answer = self._connection.call("find contacts", lambda h, r=request: h.crm.contacts.batch_api.read(r))
            for contact in answer.results:
                props = contact.properties or {}
                found[(props.get("email") or "").lower()] = {**props, "id": contact.id}
        return found

    def create_contacts(self, people: Sequence[Person]) -> dict[str, str]:
        """Create contacts (first and last name from the attendee's name); ``{email: id}``.

        If HubSpot says one already exists (created since we looked, e.g. by a parallel booking),
        the existing contacts are read back instead of failing.
        """
        created: dict[str, str] = {}
        for part in chunks(people):
            try:
                created |= self._create_batch(part)
            except HubSpotError as error:
                if error.status != 409:
                    raise
                existing = {e: c["id"] for e, c in self.find_contacts([p.email for p in part]).items()}
                missing = [p for p in part if p.email.lower() not in existing]
                created |= existing | (self._create_batch(missing) if missing else {})
        return created

    def _create_batch(self, people: Sequence[Person]) -> dict[str, str]:
        inputs = []
        for person in people:
            first, last = split_name(person.name)
            properties = {"email": person.email.lower(), "firstname": first, "lastname": last}
            inputs.append(SimplePublicObjectBatchInputForCreate(properties=properties, associations=[]))
        request = BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
        answer = self._connection.call("create contacts", lambda h: h.crm.contacts.batch_api.create(request))
        return {(c.properties.get("email") or "").lower(): c.id for c in answer.results}

    def update_contacts(self, updates: dict[str, dict[str, str]]) -> None:
        """Write properties to contacts: ``{contact_id: {property: value}}``."""
        items = [SimplePublicObjectBatchInput(id=cid, properties=props) for cid, props in updates.items() if props]
        for part in chunks(items):
            request = BatchInputSimplePublicObjectBatchInput(inputs=list(part))
            self._connection.call("update contacts", lambda h, r=request: h.crm.contacts.batch_api.update(r))

    def associated(self, from_type: str, ids: Sequence[str], to_type: str) -> dict[str, list[tuple[str, set[int]]]]:
        """Associations v4: ``{from_id: [(to_id, {type ids}), ...]}``."""
        result: dict[str, list[tuple[str, set[int]]]] = {}
        for part in chunks(sorted(set(ids))):
            request = BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in part]
            )
            answer = self._connection.call(
                f"read {from_type}→{to_type} associations",
                lambda h, r=request: h.crm.associations.v4.batch_api.get_page(from_type, to_type, r),
            )
            for item in answer.results:
                targets = [(str(t.to_object_id), {s.type_id for s in t.association_types}) for t in item.to]
                result.setdefault(str(item._from.id), []).extend(targets)
        return result

    def primary_companies(self, contact_ids: Sequence[str]) -> dict[str, str]:
        """Each contact's primary company: ``{contact_id: company_id}``."""
        linked = self.associated("contacts", contact_ids, "companies")
        primary: dict[str, str] = {}
        for contact_id, targets in linked.items():
            for company_id, type_ids in targets:
                if CONTACT_TO_COMPANY_PRIMARY in type_ids:
                    primary[contact_id] = company_id
        return primary

    def open_deals(self, contact_ids: Sequence[str]) -> dict[str, str]:
        """Each contact's most recently created open deal: ``{contact_id: deal_id}``."""
        linked = self.associated("contacts", contact_ids, "deals")
        deal_ids = sorted({deal_id for targets in linked.values() for deal_id, _ in targets})
        deals: dict[str, dict[str, str]] = {}
        for part in chunks(deal_ids):
            request = DealBatchRead(
                inputs=[DealId(id=i) for i in part],
                properties=["hs_is_closed", "createdate", "dealstage"],
                properties_with_history=[],
            )
            answer = self._connection.call("read deals", lambda h, r=request: h.crm.deals.batch_api.read(r))
            deals |= {d.id: d.properties or {} for d in answer.results}
        chosen: dict[str, str] = {}
        for contact_id, targets in linked.items():
            open_ids = [d for d, _ in targets if d in deals and deals[d].get("hs_is_closed") != "true"]
            if open_ids:
                # ISO timestamps sort chronologically; the id breaks ties deterministically.
                chosen[contact_id] = max(open_ids, key=lambda d: (deals[d].get("createdate") or "", int(d)))
        return chosen

    def associate(self, from_type: str, from_id: str, to_type: str, to_ids: Sequence[str], type_id: int) -> None:
        """Associate one record with many (idempotent: an existing association stays as it is)."""
        for part in chunks(sorted(set(to_ids))):
            request = BatchInputPublicAssociationMultiPost(
                inputs=[
                    PublicAssociationMultiPost(
                        _from=PublicObjectId(id=from_id),
                        to=PublicObjectId(id=to_id),
                        types=[AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=type_id)],
                    )
                    for to_id in part
                ]
            )
            self._connection.call(
                f"associate {from_type}→{to_type}",
                lambda h, r=request: h.crm.associations.v4.batch_api.create(from_type, to_type, r),
            )

    def dissociate(self, from_type: str, from_id: str, to_type: str, to_ids: Sequence[str]) -> None:
        """Remove every association of one record with these (idempotent: a missing one stays missing)."""
        for part in chunks(sorted(set(to_ids))):
            request = BatchInputPublicAssociationMultiArchive(
                inputs=[
                    PublicAssociationMultiArchive(
                        _from=PublicObjectId(id=from_id), to=[PublicObjectId(id=i) for i in part]
                    )
                ]
            )
            self._connection.call(
                f"dissociate {from_type}→{to_type}",
                lambda h, r=request: h.crm.associations.v4.batch_api.archive(from_type, to_type, r),
            )

"""HubSpot contact-owner routing through hubspot-api-client against the loopback emulator."""

from collections.abc import Iterator

import pytest

from crm.hubspot.errors import HubSpotError
from crm.hubspot.owners import HubSpotOwnerLookup, HubSpotOwnerOptions
from domain.crm import CrmOwnerLookup, OwnerQuery
from testkit.hubspot import HubSpotEmulator
from tests.crm.hubspot_support import TOKEN, connect


@pytest.fixture
def emulator() -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator(access_token=TOKEN) as emu:
        yield emu


def _query(email: str, hosts: list[str]) -> OwnerQuery:
    return OwnerQuery(attendee_email=email, host_emails=hosts, crm_app_slug="hubspot", round_robin=True)


def _contact_with_owner(emulator: HubSpotEmulator, email: str, owner_email: str) -> tuple[str, str]:
    owner_id = emulator.add_owner(owner_email, "Olga", "Owner")
    contact_id = emulator.add_object("contacts", {"email": email, "hubspot_owner_id": owner_id})
    return contact_id, owner_id


async def test_owner_who_hosts_the_event_type_is_chosen_and_traced(emulator: HubSpotEmulator) -> None:
    contact_id, owner_id = _contact_with_owner(emulator, "ada@acme.com", "olga@bookflow.com")
    lookup: CrmOwnerLookup = HubSpotOwnerLookup(connect(emulator))

    decision = await lookup.find_owner(_query("Ada@Acme.com", ["hal@bookflow.com", "OLGA@bookflow.com"]))

    assert decision.owner_email == "olga@bookflow.com"
    assert (decision.record_type, decision.record_id) == ("contact", contact_id)
    assert [s.step for s in decision.trace][-1] == "hubspot_assignment"
    assert decision.trace[-1].outcome == "owner_is_host"
    # What the library sent: a batch read keyed by email asking for the owner, then the owner by id.
    (read,) = emulator.requests_to("POST", "/crm/v3/objects/contacts/batch/read")
    assert read.body["idProperty"] == "email"
    assert read.body["inputs"] == [{"id": "ada@acme.com"}]
    assert "hubspot_owner_id" in read.body["properties"]
    (owner,) = emulator.requests_to("GET", f"/crm/v3/owners/{owner_id}")
    assert owner.query["idProperty"] == ["id"]
    assert owner.headers["authorization"] == f"Bearer {TOKEN}"


async def test_owner_who_is_no_host_is_not_used(emulator: HubSpotEmulator) -> None:
    _contact_with_owner(emulator, "ada@acme.com", "olga@bookflow.com")
    decision = await HubSpotOwnerLookup(connect(emulator)).find_owner(_query("ada@acme.com", ["hal@bookflow.com"]))

    assert decision.owner_email is None
    assert decision.trace[-1].step == "hubspot_owner_validated"
    assert decision.trace[-1].outcome == "not_a_host"
    assert "olga@bookflow.com" in decision.trace[-1].reason


async def test_unknown_contact_and_ownerless_contact_give_no_owner(emulator: HubSpotEmulator) -> None:
    emulator.add_object("contacts", {"email": "free@agent.com"})
    lookup = HubSpotOwnerLookup(connect(emulator))

    unknown = await lookup.find_owner(_query("nobody@acme.com", ["hal@bookflow.com"]))
    ownerless = await lookup.find_owner(_query("free@agent.com", ["hal@bookflow.com"]))

    assert unknown.owner_email is None and unknown.trace[-1].outcome == "not_found"
    assert ownerless.owner_email is None and ownerless.trace[-1].outcome == "no_owner"
    assert ownerless.record_id is not None


async def test_stale_owner_id_is_an_answer_not_a_failure(emulator: HubSpotEmulator) -> None:
    emulator.add_object("contacts", {"email": "ada@acme.com", "hubspot_owner_id": "999999"})
    decision = await HubSpotOwnerLookup(connect(emulator)).find_owner(_query("ada@acme.com", ["hal@bookflow.com"]))
    assert decision.owner_email is None
    assert decision.trace[-1].outcome == "no_email"


async def test_free_email_domain_skips_the_lookup_only_when_configured(emulator: HubSpotEmulator) -> None:
    _contact_with_owner(emulator, "ada@gmail.com", "olga@bookflow.com")
    hosts = ["olga@bookflow.com"]
    skipping = HubSpotOwnerLookup(connect(emulator), HubSpotOwnerOptions(skip_free_email_domains=True))

    skipped = await skipping.find_owner(_query("ada@gmail.com", hosts))

    assert skipped.owner_email is None
    assert skipped.trace[0].step == "hubspot_owner_lookup_skipped"
    assert emulator.requests == []  # HubSpot was not asked at all

    looked_up = await HubSpotOwnerLookup(connect(emulator)).find_owner(_query("ada@gmail.com", hosts))
    assert looked_up.owner_email == "olga@bookflow.com"

    business = await skipping.find_owner(_query("ada@gmail.com.acme.com", hosts))
    assert business.trace[0].step == "hubspot_contact_lookup"  # only the exact free domains are skipped


async def test_outage_raises_a_retryable_error_with_the_sync_error(emulator: HubSpotEmulator) -> None:
    emulator.inject_fault("POST", "/crm/v3/objects/contacts/batch/read", 503, times=1)
    with pytest.raises(HubSpotError) as caught:
        await HubSpotOwnerLookup(connect(emulator)).find_owner(_query("ada@acme.com", ["hal@bookflow.com"]))
    assert caught.value.retryable
    assert caught.value.error.provider == "hubspot"
    assert "HTTP 503" in caught.value.error.message
    assert TOKEN not in str(caught.value) and TOKEN not in caught.value.error.message

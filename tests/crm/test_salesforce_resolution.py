"""Account resolution and the tiebreaker waterfall, through simple-salesforce against the emulator."""

from collections.abc import Iterator

import pytest

from crm.salesforce.owner import SalesforceOwnerLookup
from crm.salesforce.settings import AttendeeRecord, Rule, SalesforceSettings
from domain.crm import OwnerDecision, OwnerQuery
from testkit.salesforce import SalesforceEmulator
from tests.crm.sf_support import HOSTS, WATERFALL, connect


@pytest.fixture(scope="module")
def emu() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(WATERFALL) as e:
        yield e


def lookup(emu: SalesforceEmulator, fuzzy: bool = False, **settings: object) -> SalesforceOwnerLookup:
    conn = connect(emu, fuzzy_domain_matching=fuzzy)
    cfg = SalesforceSettings.model_validate({"owner_record": "account", "record": "account", **settings})
    return SalesforceOwnerLookup(conn, cfg)


async def find(lk: SalesforceOwnerLookup, email: str, **q: object) -> OwnerDecision:
    query = OwnerQuery.model_validate(
        {"attendee_email": email, "host_emails": HOSTS, "crm_app_slug": "salesforce", "round_robin": True, **q}
    )
    return await lk.find_owner(query)


def steps(d: OwnerDecision) -> dict[str, str]:
    return {s.step: f"{s.outcome} | {s.reason}" for s in d.trace}


async def test_exact_match_beats_normalized(emu: SalesforceEmulator) -> None:
    d = await find(lookup(emu), "x@acme.com")
    assert d.owner_email == "alice@bookflow.io"  # Website "acme.com", not "https://www.acme.com/about" (bob)
    assert "1 found" in steps(d)["exact_match"]


async def test_normalized_website_matches(emu: SalesforceEmulator) -> None:
    d = await find(lookup(emu), "x@beta.io")
    assert d.owner_email == "bob@bookflow.io"
    assert steps(d)["exact_match"].startswith("none")
    assert "normalizes to beta.io" in steps(d)["normalized_match"]


async def test_fuzzy_only_when_enabled(emu: SalesforceEmulator) -> None:
    off = await find(lookup(emu, fuzzy=False), "x@gamma.co.uk")
    assert off.owner_email is None
    assert "no_account_found" in steps(off) and "disabled" in steps(off)["fuzzy_matching"]
    on = await find(lookup(emu, fuzzy=True), "x@gamma.co.uk")
    assert on.owner_email == "carol@bookflow.io"
    assert "base name 'gamma'" in steps(on)["fuzzy_match"]


async def test_exact_beats_fuzzy(emu: SalesforceEmulator) -> None:
    d = await find(lookup(emu, fuzzy=True), "x@delta.de")
    assert d.owner_email == "alice@bookflow.io"  # delta.de exactly, never delta.com (bob) by fuzzy
    assert "fuzzy_match" not in steps(d)


async def test_dominant_account_of_contacts_at_domain(emu: SalesforceEmulator) -> None:
    d = await find(lookup(emu), "new@epsilon.org")
    assert d.owner_email == "carol@bookflow.io"
    assert "=3" in steps(d)["contact_domain_dominant"]


@pytest.mark.parametrize(
    ("domain", "geo", "rules", "owner", "decisive"),
    [
        ("geo.com", {"country": "US"}, None, "alice", "P1_COUNTRY"),
        ("geo.com", {}, None, "bob", "P5_CHILD_ACCOUNTS"),  # geo unknown: starts at P5
        ("region.com", {"country": "US", "region": "TX"}, None, "bob", "P2_STATE"),
        ("terr.com", {"country": "US", "region": "CA"}, None, "alice", "P3_SUBREGION"),
        ("opp.com", {}, None, "alice", "P6_OPPORTUNITIES"),
        ("opp.com", {}, ["P7_CONTACTS", "P6_OPPORTUNITIES"], "bob", "P7_CONTACTS"),  # reordered
        ("act.com", {}, None, "bob", "P8_LAST_ACTIVITY"),
        ("created.com", {}, None, "bob", "P9_CREATED"),
        ("tied.com", {}, None, "alice", "fallback_id_sort"),
    ],
)
async def test_each_tiebreaker_decides_in_turn(
    emu: SalesforceEmulator, domain: str, geo: dict, rules: list[str] | None, owner: str, decisive: str
) -> None:
    extra = {"tiebreaker_rules": rules} if rules else {}
    lk = lookup(emu, subregion_field="Sales_Territory__c", subregions={"US-CA": "West"}, **extra)
    d = await find(lk, f"someone@{domain}", **geo)
    assert d.owner_email == f"{owner}@bookflow.io"
    assert f"decided by {decisive}" in steps(d)["tiebreaker_winner"]


async def test_geo_unknown_skips_geo_rules(emu: SalesforceEmulator) -> None:
    d = await find(lookup(emu), "x@geo.com")
    assert steps(d)["tiebreaker_P1_COUNTRY"].startswith("skipped | booker's country unknown")


async def test_geo_never_narrows_to_zero(emu: SalesforceEmulator) -> None:
    d = await find(lookup(emu), "x@geo.com", country="FR")
    assert "not narrowing to zero" in steps(d)["tiebreaker_P1_COUNTRY"]
    assert d.owner_email == "bob@bookflow.io"  # P5 still decides among both


async def test_metrics_decide_between_accounts_of_one_owner(emu: SalesforceEmulator) -> None:
    d = await find(lookup(emu), "x@same.com")
    assert d.owner_email == "alice@bookflow.io"
    assert d.record_id == "001A00000000026AAA"  # "Same A Big", 4 opportunities, not alice's other Account


async def test_tiebreaker_off_takes_first_match(emu: SalesforceEmulator) -> None:
    d = await find(lookup(emu, tiebreaker_enabled=False), "x@created.com")
    assert d.owner_email == "alice@bookflow.io"  # lowest Id, although bob's Account is older
    assert "first match" in steps(d)["tiebreaker_off"]
    empty = await find(lookup(emu, tiebreaker_rules=[]), "x@created.com")
    assert empty.owner_email == "alice@bookflow.io"


async def test_round_robin_keeps_only_host_owners(emu: SalesforceEmulator) -> None:
    d = await find(lookup(emu), "x@rr.com")
    assert d.owner_email == "bob@bookflow.io"
    assert steps(d)["host_filter"].startswith("2 → 1")


async def test_no_host_owner_falls_back_to_round_robin(emu: SalesforceEmulator) -> None:
    d = await find(lookup(emu), "x@nohost.com")
    assert d.owner_email is None
    assert "ordinary round-robin" in steps(d)["fallback_round_robin"]


async def test_owner_not_a_host_is_not_used(emu: SalesforceEmulator) -> None:
    d = await find(lookup(emu), "x@rr.com", round_robin=False, host_emails=["alice@bookflow.io"])
    # Not round-robin: no host filter, the tiebreaker picks; the winner's owner is no host → no owner.
    assert d.owner_email is None
    assert steps(d)["owner_validated"].startswith("not a host")


async def test_excluded_record_types_case_insensitive(emu: SalesforceEmulator) -> None:
    d = await find(lookup(emu, excluded_record_types=["PARTNER account"]), "x@partner.com")
    assert d.owner_email == "bob@bookflow.io"
    assert "Partner Account" in steps(d)["exact_record_type_excluded"]


async def test_contact_and_lead_owner(emu: SalesforceEmulator) -> None:
    contact = await find(lookup(emu, owner_record="contact"), "o'brien@acme.com")
    assert contact.owner_email == "alice@bookflow.io" and contact.record_type == "contact"
    lead = await find(lookup(emu, owner_record="lead"), "lead@lambda.com")
    assert lead.owner_email == "bob@bookflow.io" and lead.record_type == "lead"
    fallback = await find(lookup(emu, owner_record="contact", fallback_to_lead_owner=True), "lead@lambda.com")
    assert fallback.owner_email == "bob@bookflow.io" and fallback.record_type == "lead"


async def test_lookup_field_user_instead_of_owner(emu: SalesforceEmulator) -> None:
    acme = emu.data["Account"]["001A00000000001AAA"]
    emu.schema["Account"]["Sales_Rep__c"] = {"name": "Sales_Rep__c", "type": "reference"}
    acme["Sales_Rep__c"] = "005A00000000003AAA"  # carol
    d = await find(lookup(emu, account_lookup_field="Sales_Rep__c"), "x@acme.com")
    assert d.owner_email == "carol@bookflow.io"
    assert "lookup field Sales_Rep__c" in steps(d)["account_owner_lookup"]


def test_rules_are_an_editable_ordered_list() -> None:
    s = SalesforceSettings(tiebreaker_rules=[Rule.P6_OPPORTUNITIES, Rule.P1_COUNTRY])
    assert s.tiebreaker_rules == [Rule.P6_OPPORTUNITIES, Rule.P1_COUNTRY]
    with pytest.raises(ValueError, match="listed twice"):
        SalesforceSettings(tiebreaker_rules=[Rule.P6_OPPORTUNITIES, Rule.P6_OPPORTUNITIES])
    assert SalesforceSettings().owner_record is AttendeeRecord.CONTACT

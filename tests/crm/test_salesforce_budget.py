"""The call budget (≤ 2 API calls per resolution, whatever the candidates), caching, and SOQL escaping."""

from collections.abc import Iterator

import pytest

from crm.salesforce.owner import SalesforceOwnerLookup
from crm.salesforce.settings import SalesforceSettings
from domain.crm import OwnerQuery
from testkit.salesforce import SalesforceEmulator
from tests.crm.sf_support import HOSTS, WATERFALL, connect


def many_accounts(n: int) -> dict:
    """``n`` Accounts on wide.com, owners alternating between two hosts, with children and opportunities."""
    users = [{"Id": f"005B0000000000{i}AAA", "Email": e, "IsActive": True} for i, e in enumerate(HOSTS)]
    accounts = [
        {
            "Id": f"001B{i:011d}AAA",
            "Name": f"Wide {i}",
            "Website": "https://www.wide.com",
            "OwnerId": users[i % 2]["Id"],
            "CreatedDate": "2020-01-01T00:00:00.000+0000",
        }
        for i in range(n)
    ]
    opps = [{"Name": f"o{i}", "AccountId": a["Id"]} for i, a in enumerate(accounts) for _ in range(i % 3)]
    contacts = [{"LastName": f"c{i}", "Email": f"c{i}@wide.com", "AccountId": accounts[i % n]["Id"]} for i in range(n)]
    return {"User": users, "Account": accounts, "Opportunity": opps, "Contact": contacts}


def query(email: str, **kw: object) -> OwnerQuery:
    return OwnerQuery(attendee_email=email, host_emails=HOSTS, crm_app_slug="salesforce", round_robin=True, **kw)


@pytest.mark.parametrize("n", [1, 5, 50])
async def test_at_most_two_calls_per_resolution(n: int) -> None:
    with SalesforceEmulator(many_accounts(n)) as emu:
        conn = connect(emu)
        lk = SalesforceOwnerLookup(conn, SalesforceSettings(owner_record="account"))
        conn.client()  # log in first: logins are not API calls
        emu.reset_counts()
        d = await lk.find_owner(query("new@wide.com", country="US"))
        assert d.owner_email in HOSTS
        assert emu.calls <= 2, emu.log
        assert not any("SELECT Id FROM Opportunities" in p or "(SELECT Id FROM" in p for _, p in emu.log)
        if n > 1:
            p6 = next(s for s in d.trace if s.step == "tiebreaker_P6_OPPORTUNITIES")
            assert "best 2" in p6.reason  # opportunity counts arrived through aggregates
            assert emu.calls == 2


async def test_domain_results_are_cached_for_the_ttl() -> None:
    with SalesforceEmulator(many_accounts(5)) as emu:
        conn = connect(emu, cache_ttl_seconds=60)
        lk = SalesforceOwnerLookup(conn, SalesforceSettings(owner_record="account"))
        first = await lk.find_owner(query("a@wide.com"))
        emu.reset_counts()
        again = await lk.find_owner(query("b@wide.com"))
        assert emu.calls == 0
        assert again.record_id == first.record_id


@pytest.fixture(scope="module")
def emu() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(WATERFALL) as e:
        yield e


@pytest.mark.parametrize(
    "email",
    ["x@acme.com' OR Name LIKE '%", "x@acme.com\\' OR Id != null OR Name = '", "x@acme.com'); DELETE FROM Account; --"],
)
async def test_quotes_in_an_email_cannot_alter_a_query(emu: SalesforceEmulator, email: str) -> None:
    lk = SalesforceOwnerLookup(connect(emu), SalesforceSettings(owner_record="account"))
    d = await lk.find_owner(query(email))
    assert d.owner_email is None  # an injected OR would have matched every Account
    assert any(s.step == "no_account_found" for s in d.trace)
    contact = SalesforceOwnerLookup(connect(emu), SalesforceSettings(owner_record="contact"))
    c = await contact.find_owner(query(email))
    assert c.owner_email is None
    assert any(s.step == "contact_owner_lookup" and s.outcome == "none" for s in c.trace)


async def test_a_quote_in_a_real_email_is_found(emu: SalesforceEmulator) -> None:
    lk = SalesforceOwnerLookup(connect(emu), SalesforceSettings(owner_record="contact"))
    d = await lk.find_owner(query("o'brien@acme.com"))
    assert d.owner_email == "alice@bookflow.io"


async def test_outage_raises_for_retry_and_config_error_is_traced(emu: SalesforceEmulator) -> None:
    from crm.salesforce.connection import SalesforceApiError

    lk = SalesforceOwnerLookup(connect(emu), SalesforceSettings(owner_record="contact"))
    emu.fail_next("composite", status=503, code="SERVER_UNAVAILABLE", message="down for maintenance")
    with pytest.raises(SalesforceApiError) as err:
        await lk.find_owner(query("o'brien@acme.com"))
    assert err.value.retryable
    bad = SalesforceOwnerLookup(
        connect(emu), SalesforceSettings(owner_record="account", account_lookup_field="Nope__c")
    )
    d = await bad.find_owner(query("x@acme.com"))
    assert d.owner_email is None
    assert any(s.step == "salesforce_error" and s.outcome == "INVALID_FIELD" for s in d.trace)

"""Connecting through simple-salesforce: login domains, OAuth tokens, session renewal, API usage."""

from collections.abc import Iterator

import pytest

from crm.salesforce.connection import API_USAGE, SalesforceApiError, SalesforceConnection
from crm.salesforce.settings import SalesforceCredential
from testkit.salesforce import SalesforceEmulator
from tests.crm.sf_support import WATERFALL, connect


@pytest.fixture(scope="module")
def emu() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(WATERFALL) as e:
        yield e


@pytest.mark.parametrize(
    ("domain", "host"),
    [("login", "login.salesforce.com"), ("test", "test.salesforce.com"), ("acme.my", "acme.my.salesforce.com")],
)
def test_login_domain_is_configurable(emu: SalesforceEmulator, domain: str, host: str) -> None:
    conn = connect(emu, domain=domain)
    assert conn.query("SELECT Id FROM User WHERE Email = 'alice@bookflow.io'")
    assert emu.login_hosts[-1] == host


def test_bad_password_is_refused(emu: SalesforceEmulator) -> None:
    conn = connect(emu, password="wrong")
    with pytest.raises(Exception, match="INVALID_LOGIN"):
        conn.client()


def test_expired_password_session_is_renewed(emu: SalesforceEmulator) -> None:
    conn = connect(emu)
    conn.query("SELECT Id FROM User")
    logins = emu.logins
    emu.expire_sessions()
    assert conn.query("SELECT Id FROM User")
    assert emu.logins == logins + 1


def test_oauth_token_with_refresh(emu: SalesforceEmulator) -> None:
    cred = SalesforceCredential(
        access_token=emu.issue_access_token(),
        instance_url=emu.base_url,
        refresh_token="refresh-1",
        consumer_key="ck",
        consumer_secret="cs",
        domain="test",
    )
    conn = SalesforceConnection(cred, session=emu.requests_session())
    assert conn.query("SELECT Id FROM User")
    emu.expire_sessions()
    assert conn.query("SELECT Id FROM User")  # renewed through /services/oauth2/token
    no_refresh = SalesforceConnection(cred.model_copy(update={"refresh_token": None}), session=emu.requests_session())
    emu.expire_sessions()
    with pytest.raises(SalesforceApiError, match="INVALID_SESSION_ID"):
        no_refresh.query("SELECT Id FROM User")


def test_api_usage_is_read_from_the_header_and_exported(emu: SalesforceEmulator) -> None:
    conn = connect(emu)
    conn.query("SELECT Id FROM User")
    used, limit = conn.api_usage or (0, 0)
    assert used == emu.calls and limit == 15000
    assert API_USAGE.labels("test.salesforce.com", "used")._value.get() == used


def test_secrets_stay_out_of_reprs() -> None:
    cred = SalesforceCredential(username="u", password="hunter2", security_token="tok123")
    assert "hunter2" not in repr(cred) and "tok123" not in str(cred.model_dump())

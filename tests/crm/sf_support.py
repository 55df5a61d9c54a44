"""Shared set-up of the Salesforce tests: the emulator, and the adapter connected to it via simple-salesforce."""

from pathlib import Path

from crm.salesforce.connection import SalesforceConnection
from crm.salesforce.settings import SalesforceCredential
from testkit.salesforce import SalesforceEmulator

FIXTURES = Path(__file__).parent / "fixtures"
WATERFALL = FIXTURES / "salesforce_waterfall.json"
HOSTS = ["alice@bookflow.io", "bob@bookflow.io", "carol@bookflow.io"]


def connect(emu: SalesforceEmulator, **cred: object) -> SalesforceConnection:
    """A password-login connection to the emulator (login host: the credential's domain, default test)."""
    fields = {
        "username": emu.username,
        "password": emu.password,
        "security_token": emu.security_token,
        "domain": "test",
        "cache_ttl_seconds": 0,
        **cred,
    }
    return SalesforceConnection(SalesforceCredential.model_validate(fields), session=emu.requests_session())

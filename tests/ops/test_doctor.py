"""`bookflow ops doctor`: a clear pass or fail per line, with the fix, against real parts."""

import socket
from pathlib import Path

from store.db import Database
from testkit.salesforce import SalesforceEmulator
from testkit.sendgrid import SendGridEmulator
from testkit.smtp import SmtpServer
from testkit.twilio import TwilioEmulator
from tests.crm_integration.support import salesforce_fixture
from tests.ops.support import SENDER, SENDGRID_KEY, bookflow, cli_env, row_of

TWILIO_SID = "AC00000000000000000000000000000077"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the probe is


async def test_doctor_fails_clearly_when_temporal_is_down(temporal_env, sqlite_db):
    env = cli_env(temporal_env, sqlite_db, TEMPORAL_ADDRESS=f"127.0.0.1:{_closed_port()}")
    result = await bookflow(["ops", "doctor"], env)
    assert result.exit_code == 1
    line = row_of(result.output, "Temporal reachable")
    assert line.startswith("FAIL") and "cannot connect to 127.0.0.1:" in line
    assert "fix: start it (`bookflow dev`), or set TEMPORAL_ADDRESS" in result.output
    assert row_of(result.output, "Search attributes").startswith("SKIP")
    assert row_of(result.output, "Database migrated").startswith("PASS")  # the rest is still checked


async def test_doctor_passes_a_healthy_stack_and_checks_provider_credentials(temporal_env, sqlite_db):
    sendgrid = SendGridEmulator(api_key=SENDGRID_KEY, verified_senders={SENDER})
    twilio = TwilioEmulator(account_sid=TWILIO_SID, auth_token="right-token")
    providers = {
        "SENDGRID_API_KEY": SENDGRID_KEY,
        "SENDGRID_EMAIL": SENDER,
        "BOOKFLOW_SENDGRID_HOST": sendgrid.url,
        "TWILIO_SID": TWILIO_SID,
        "TWILIO_TOKEN": "right-token",
        "TWILIO_MESSAGING_SID": "MG0001",
        "BOOKFLOW_TWILIO_API_URL": twilio.url,
    }
    try:
        healthy = await bookflow(["ops", "doctor"], cli_env(temporal_env, sqlite_db, **providers))
        wrong = providers | {"SENDGRID_API_KEY": "SG.revoked", "TWILIO_TOKEN": "wrong-token"}
        refused = await bookflow(["ops", "doctor"], cli_env(temporal_env, sqlite_db, **wrong))
    finally:
        sendgrid.close()
        twilio.close()
    assert healthy.exit_code == 0, healthy.output
    for name in ("Temporal reachable", "Temporal namespace", "Database reachable", "Database migrated"):
        assert row_of(healthy.output, name).startswith("PASS"), healthy.output
    assert "BookingUid Keyword, BookingStatus Keyword, EventTypeId Int, AttendeeEmail Keyword" in healthy.output
    assert row_of(healthy.output, "SendGrid credentials").startswith("PASS")
    assert row_of(healthy.output, "Twilio credentials").startswith("PASS")
    assert row_of(healthy.output, "SMTP credentials").startswith("SKIP")  # SendGrid sends email
    assert row_of(healthy.output, "HubSpot credentials").startswith("SKIP")
    assert row_of(healthy.output, "Webhook subscriptions").startswith("PASS")
    assert row_of(healthy.output, "Outbox backlog").startswith("PASS")
    assert SENDGRID_KEY not in healthy.output + refused.output  # secrets never printed

    assert refused.exit_code == 1
    assert "SendGrid refused the API key (HTTP 401)" in row_of(refused.output, "SendGrid credentials")
    assert "Twilio refused the credentials (HTTP 401" in row_of(refused.output, "Twilio credentials")
    assert "right-token" not in refused.output and "wrong-token" not in refused.output


async def test_doctor_checks_an_smtp_relay(temporal_env, sqlite_db):
    smtp = SmtpServer()
    try:
        env = cli_env(temporal_env, sqlite_db, EMAIL_SERVER_HOST="127.0.0.1", EMAIL_SERVER_PORT=str(smtp.port))
        result = await bookflow(["ops", "doctor"], env)
    finally:
        smtp.close()
    assert row_of(result.output, "SMTP credentials").startswith("PASS")
    env = cli_env(temporal_env, sqlite_db, EMAIL_SERVER_HOST="127.0.0.1", EMAIL_SERVER_PORT=str(_closed_port()))
    down = await bookflow(["ops", "doctor"], env)
    assert down.exit_code == 1
    assert row_of(down.output, "SMTP credentials").startswith("FAIL")


async def test_doctor_names_an_unmigrated_database_and_a_missing_namespace(temporal_env, tmp_path: Path):
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    async with empty.engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE unrelated (id INTEGER)")
    await empty.dispose()
    env = cli_env(temporal_env, empty, TEMPORAL_NAMESPACE="no-such-namespace")
    result = await bookflow(["ops", "doctor"], env)
    assert result.exit_code == 1
    assert "namespace 'no-such-namespace' does not exist" in row_of(result.output, "Temporal namespace")
    assert "temporal operator namespace create --namespace no-such-namespace" in result.output
    migrated = row_of(result.output, "Database migrated")
    assert migrated.startswith("FAIL") and "no revision" in migrated
    assert row_of(result.output, "Webhook subscriptions").startswith("SKIP")
    assert row_of(result.output, "Outbox backlog").startswith("SKIP")


async def test_doctor_checks_salesforce_credentials_against_the_org(temporal_env, sqlite_db):
    with SalesforceEmulator(salesforce_fixture()) as salesforce:
        org = {
            "SALESFORCE_ACCESS_TOKEN": salesforce.issue_access_token(),
            "SALESFORCE_INSTANCE_URL": salesforce.base_url,
            "SALESFORCE_CA_BUNDLE": salesforce.ca_file,
        }
        healthy = await bookflow(["ops", "doctor"], cli_env(temporal_env, sqlite_db, **org))
        revoked = org | {"SALESFORCE_ACCESS_TOKEN": "00Drevoked"}
        refused = await bookflow(["ops", "doctor"], cli_env(temporal_env, sqlite_db, **revoked))
    assert row_of(healthy.output, "Salesforce credentials").startswith("PASS"), healthy.output
    assert row_of(refused.output, "Salesforce credentials").startswith("FAIL"), refused.output
    assert refused.exit_code == 1
    assert org["SALESFORCE_ACCESS_TOKEN"] not in healthy.output + refused.output

"""One settings tree: read once from the environment (and .env), validated at start, documented in one table."""

import os
import re
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from worker.cli import app
from worker.settings import SettingsError, load_settings
from worker.settings.catalog import catalog, markdown_table
from worker.settings.secret_key import generate_secret_key

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["domain", "routing", "availability", "calendars", "crm", "templates", "store", "activities", "workflows"]
SHIPPED += ["api", "worker", "bench"]
SETTINGS_MODULE = ROOT / "worker" / "settings"
KEY = "k" * 40


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting from the developer's environment or .env; the working directory is an empty temp dir."""
    names = {row.name for row in catalog()} | {n for row in catalog() for n in row.old_names}
    for name in names:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_only_the_settings_module_reads_the_environment() -> None:
    pattern = re.compile(r"os\.environ|os\.getenv|getenv\(|environ\[|BaseSettings")
    readers = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in SHIPPED
        if (ROOT / package).is_dir()
        for path in (ROOT / package).rglob("*.py")
        if SETTINGS_MODULE not in path.parents
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert readers == [], "read the environment outside worker/settings/: " + ", ".join(readers)


def test_the_settings_table_in_the_docs_is_generated_from_the_tree() -> None:
    documented = (ROOT / "docs" / "settings.md").read_text()
    assert documented == markdown_table(), (
        "docs/settings.md drifted: run `bookflow ops settings-table > docs/settings.md`"
    )
    for row in catalog():
        assert row.meaning, f"{row.name} has no description in the settings tree"


def test_every_established_variable_name_is_kept() -> None:
    names = {row.name for row in catalog()} | {n for row in catalog() for n in row.old_names}
    kept = {
        "TWILIO_SID", "TWILIO_TOKEN", "TWILIO_MESSAGING_SID", "TWILIO_PHONE_NUMBER", "SENDGRID_API_KEY",
        "SENDGRID_EMAIL", "EMAIL_SERVER_HOST", "EMAIL_SERVER_PORT", "EMAIL_SERVER_USER", "EMAIL_SERVER_PASSWORD",
        "EMAIL_FROM", "SALESFORCE_USERNAME", "SALESFORCE_PASSWORD", "SALESFORCE_SECURITY_TOKEN",
        "SALESFORCE_ACCESS_TOKEN", "SALESFORCE_INSTANCE_URL", "SALESFORCE_CA_BUNDLE", "HUBSPOT_ACCESS_TOKEN",
        "HUBSPOT_CLIENT_ID", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_REFRESH_TOKEN", "HUBSPOT_API_BASE_URL",
        "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "BOOKFLOW_DATA_DIR", "BOOKFLOW_DATABASE_URL",
        "BOOKFLOW_PUBLIC_URL", "BOOKFLOW_TASK_QUEUE", "BOOKFLOW_WEBHOOK_RETRY_SCHEDULE", "BOOKFLOW_WEBHOOK_TIMEOUT",
        "BOOKFLOW_WEBHOOK_JITTER", "BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE", "BOOKFLOW_ALLOW_PRIVATE_URLS",
        "BOOKFLOW_FORM_NO_EVENT_MINUTES", "BOOKFLOW_SECRET_KEY", "BOOKFLOW_SECRET_KEYS_OLD", "BOOKFLOW_REDIS_URL",
        "BOOKFLOW_RATE_LIMIT_PUBLIC", "BOOKFLOW_RATE_LIMIT_KEY", "BOOKFLOW_TRUSTED_PROXIES",
        "BOOKFLOW_MAX_BODY_BYTES", "BOOKFLOW_BOOKING_HORIZON_DAYS", "STRIPE_WEBHOOK_SECRET", "DAILY_WEBHOOK_SECRET",
        "BOOKFLOW_METRICS_HOST", "OTEL_EXPORTER_OTLP_ENDPOINT",
    }  # fmt: skip
    assert kept - names == set()


def test_flat_variables_fill_every_section(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "TWILIO_SID": "AC1",
        "TWILIO_TOKEN": "twilio-secret",
        "SALESFORCE_ACCESS_TOKEN": "sf-secret",
        "SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com",
        "HUBSPOT_ACCESS_TOKEN": "hs-secret",
        "BOOKFLOW_WEBHOOK_RETRY_SCHEDULE": "1,2",
        "BOOKFLOW_FORM_NO_EVENT_MINUTES": "0.5",
        "BOOKFLOW_SECRET_KEYS_OLD": "old-one, old-two",
        "BOOKFLOW_TRUSTED_PROXIES": "10.0.0.0/8,192.168.1.1",
        "BOOKFLOW_BOOKING_HORIZON_DAYS": "30",
        "BOOKFLOW_PUBLIC_URL": "https://book.example.org",
        "OTEL_SERVICE_NAME": "bookflow-eu",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    s = load_settings()
    assert s.messaging.twilio_sid == "AC1" and s.messaging.twilio_token.get_secret_value() == "twilio-secret"
    assert s.crm.salesforce_credential().instance_url == "https://acme.my.salesforce.com"
    assert s.hubspot.configured and s.webhooks.schedule == [1.0, 2.0]
    assert s.routing.no_event_minutes == 0.5 and s.booking.booking_horizon_days == 30
    assert [k.get_secret_value() for k in s.access.secret_keys_old] == ["old-one", "old-two"]
    assert s.access.trusted_proxies == ["10.0.0.0/8", "192.168.1.1"]
    assert s.telemetry.service_name == "bookflow-eu"
    api = s.api_config()
    assert api.inbound.public_url == "https://book.example.org" and api.inbound.twilio_token is not None
    for secret in ("twilio-secret", "sf-secret", "hs-secret", "old-one"):
        assert secret not in repr(s)


def test_the_dotenv_file_is_read_and_the_environment_wins(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text("EMAIL_SERVER_HOST=smtp.example.org\nBOOKFLOW_TASK_QUEUE=from-file\n")
    monkeypatch.setenv("BOOKFLOW_TASK_QUEUE", "from-env")
    s = load_settings()
    assert s.messaging.email_server_host == "smtp.example.org" and s.task_queue == "from-env"


@pytest.mark.parametrize("name", ["BOOKFLOW_ALLOW_PRIVATE_URLS", "BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE"])
def test_private_urls_are_allowed_by_the_new_name_and_the_old_one(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    assert load_settings().api_config().allow_private_urls is False
    monkeypatch.setenv(name, "true")
    s = load_settings()
    assert s.webhooks.allow_private and s.api_config().allow_private_urls


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SALESFORCE_INSTANCE_URL", "http://acme.my.salesforce.com", "https://"),
        ("BOOKFLOW_WEBHOOK_TIMEOUT", "soon", "valid number"),
        ("BOOKFLOW_WEBHOOK_RETRY_SCHEDULE", "5,often", "comma-separated list of seconds"),
        ("BOOKFLOW_RATE_LIMIT_PUBLIC", "lots", "60/minute"),
        ("BOOKFLOW_TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal", "CIDR"),
        ("BOOKFLOW_SECRET_KEY", "short", "at least 32"),
        ("EMAIL_SERVER_PORT", "smtp", "valid integer"),
    ],
)
def test_an_invalid_setting_is_one_line_naming_the_variable_and_the_fix(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    if name == "SALESFORCE_INSTANCE_URL":
        monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", "sf-token")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    [line] = caught.value.lines
    assert line.startswith(name) and says in line and "fix:" in line
    if name == "BOOKFLOW_SECRET_KEY":
        assert value not in line  # a secret's value is never echoed


def test_half_configured_hubspot_names_what_is_missing(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_CLIENT_ID", "client-1")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    [line] = caught.value.lines
    assert "HUBSPOT_CLIENT_SECRET" in line and "HUBSPOT_REFRESH_TOKEN" in line and "fix:" in line


@pytest.mark.parametrize("command", [["dev"], ["worker"], ["api"]])
def test_start_up_stops_on_a_wrong_provider_url_with_one_line(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    env = {
        "SALESFORCE_ACCESS_TOKEN": "sf-token",
        "SALESFORCE_INSTANCE_URL": "http://acme.my.salesforce.com",
        "BOOKFLOW_SECRET_KEY": KEY,
    }
    result = CliRunner().invoke(app, [*command, "--data-dir", str(clean_env / "data")], env=env)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("SALESFORCE_INSTANCE_URL='http://acme.my.salesforce.com'")
    assert "https://" in lines[0] and "Press Ctrl-C" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", ["worker", "api"])
def test_worker_and_api_refuse_to_start_without_a_secret_key(clean_env: Path, command: str) -> None:
    result = CliRunner().invoke(app, [command, "--data-dir", str(clean_env / "data")])
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("BOOKFLOW_SECRET_KEY is not set") and f"bookflow {command}" in line


def test_the_dev_key_is_private_and_used_by_every_command_on_that_data_dir(clean_env: Path) -> None:
    data = clean_env / "data"
    key = generate_secret_key(data)
    mode = stat.S_IMODE(os.stat(data / "secret-key").st_mode)
    assert mode == 0o600
    assert load_settings(data_dir=data).access.secret_key == key
    assert load_settings(data_dir=clean_env / "elsewhere").access.secret_key is None
    with pytest.raises(FileExistsError):
        generate_secret_key(data)  # never overwritten


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the probe is


def test_doctor_shows_the_effective_settings_with_secrets_masked(clean_env: Path) -> None:
    data = clean_env / "data"
    generate_secret_key(data)  # as `bookflow dev` does: the doctor on that data dir uses it
    env = {
        "TEMPORAL_ADDRESS": f"127.0.0.1:{_closed_port()}",
        "SENDGRID_API_KEY": "SG.very-secret",
        "SENDGRID_EMAIL": "ops@example.com",
        "BOOKFLOW_SENDGRID_HOST": f"http://127.0.0.1:{_closed_port()}",
        "BOOKFLOW_WEBHOOK_TIMEOUT": "7",
    }
    result = CliRunner().invoke(app, ["ops", "doctor", "--show-config", "--data-dir", str(data)], env=env)
    shown = dict(line.split("=", 1) for line in result.output.split("\n\n")[0].splitlines())
    assert list(shown) == [row.name for row in catalog()]  # every setting, once, in the table's order
    assert shown["SENDGRID_API_KEY"] == "********" and shown["BOOKFLOW_SECRET_KEY"] == "********"
    assert shown["TWILIO_TOKEN"] == "(unset)" and shown["SENDGRID_EMAIL"] == "ops@example.com"
    assert shown["BOOKFLOW_WEBHOOK_TIMEOUT"] == "7" and shown["BOOKFLOW_DATA_DIR"] == str(data)
    assert shown["BOOKFLOW_WEBHOOK_RETRY_SCHEDULE"] == "5,300,1800,7200,18000,36000,36000"
    assert "very-secret" not in result.output and (data / "secret-key").read_text().strip() not in result.output
    assert "Temporal reachable" in result.output  # the checks still run after the settings


def _answers(url: str, deadline: float) -> bool:
    """Whether ``url`` answers 200 before ``deadline`` (the API starts serving after the banner)."""
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False


def test_dev_generates_its_key_once_and_starts(clean_env: Path) -> None:
    data = clean_env / "data"
    ports = [str(_closed_port()) for _ in range(3)]
    command = [str(ROOT / ".venv" / "bin" / "bookflow"), "dev", "--data-dir", str(data)]
    command += ["--port", ports[0], "--temporal-port", ports[1], "--ui-port", ports[2]]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as dev:
        try:
            lines = []
            deadline = time.monotonic() + 120
            while not any("Press Ctrl-C" in line for line in lines) and time.monotonic() < deadline:
                line = dev.stdout.readline()
                assert line, "bookflow dev exited early:\n" + "".join(lines)
                lines.append(line)
            assert any("generated a secret key" in line for line in lines)
            assert stat.S_IMODE(os.stat(data / "secret-key").st_mode) == 0o600
            key = (data / "secret-key").read_text()
            assert _answers(f"http://127.0.0.1:{ports[0]}/health", deadline)
        finally:
            dev.send_signal(signal.SIGINT)
            dev.wait(timeout=60)
    assert key not in "".join(lines)
    again = load_settings(data_dir=data)  # every command on this data dir uses the generated key
    assert again.access.secret_key is not None and again.access.secret_key.get_secret_value() == key.strip()

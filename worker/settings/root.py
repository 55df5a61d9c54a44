"""The settings tree: every setting Bookflow reads, from the environment (and ``.env``), built once per process.

The only place that reads the environment. Each section is a plain model (some defined by the package
that uses them: api/, crm/hubspot/, domain/webhooks); the worker hands each its section.
"""

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from api.access_config import AccessConfig
from api.booking_config import BookingConfig
from api.calendar_config import CalendarSettings
from api.config import ApiConfig, InboundSettings
from api.console.config import ConsoleConfig
from crm.hubspot.settings import HubSpotSettings
from domain.webhooks import WebhookSettings
from store.secrets import SecretKeys
from worker.settings.crm import CrmSettings
from worker.settings.messaging import MessagingSettings
from worker.settings.problems import SettingsError, explain
from worker.settings.routing import RoutingSettings
from worker.settings.secret_key import read_secret_key
from worker.settings.sources import FlatSectionSource
from worker.settings.telemetry import TelemetrySettings

TASK_QUEUE = "bookflow"


class Settings(BaseSettings):
    """Process settings (top level) and one section per area."""

    # The prefix only names the sections (fields without an alias), so no stray MESSAGING or CRM variable
    # is taken for one; every setting has its own variable (see FlatSectionSource).
    model_config = SettingsConfigDict(
        env_file=".env", env_prefix="BOOKFLOW_SECTION_", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(
        default=Path(".bookflow"),
        alias="BOOKFLOW_DATA_DIR",
        description="Where the dev stack keeps its state (SQLite store, Temporal dev server, secret key).",
    )
    database_url: str | None = Field(
        default=None,
        pattern=r"^(sqlite|postgresql)(\+\w+)?://",
        alias="BOOKFLOW_DATABASE_URL",
        description="The store: postgresql://… in production; unset uses SQLite in the data dir.",
    )
    task_queue: str = Field(
        default=TASK_QUEUE, min_length=1, alias="BOOKFLOW_TASK_QUEUE", description="Temporal task queue polled."
    )
    keep_open_minutes: float = Field(
        default=7 * 24 * 60,
        ge=0,
        alias="BOOKFLOW_KEEP_OPEN_MINUTES",
        description="Minutes a booking's workflow stays open after its last timed event (late no-shows).",
    )
    shutdown_grace_seconds: float = Field(
        default=25,
        ge=0,
        alias="BOOKFLOW_SHUTDOWN_GRACE_SECONDS",
        description="On SIGTERM a worker stops polling and lets in-flight activities run this long before"
        " cancelling them; the API stops accepting and lets requests in flight finish as long. Keep it under"
        " the orchestrator's kill timeout (Kubernetes: terminationGracePeriodSeconds, 30 s by default).",
    )

    temporal_address: str = Field(
        default="127.0.0.1:7233", alias="TEMPORAL_ADDRESS", description="Temporal frontend host:port."
    )
    temporal_namespace: str = Field(default="default", alias="TEMPORAL_NAMESPACE", description="Temporal namespace.")
    temporal_ui_url: str = Field(
        default="http://127.0.0.1:8233",
        alias="TEMPORAL_UI_URL",
        description="Temporal Web UI base URL; the console links a booking's workflow there.",
    )
    temporal_api_key: SecretStr | None = Field(
        default=None, alias="TEMPORAL_API_KEY", description="Temporal Cloud API key (turns TLS on)."
    )
    temporal_tls_cert: Path | None = Field(
        default=None, alias="TEMPORAL_TLS_CERT", description="Client certificate for mTLS."
    )
    temporal_tls_key: Path | None = Field(default=None, alias="TEMPORAL_TLS_KEY", description="Its private key.")
    temporal_tls_ca: Path | None = Field(
        default=None, alias="TEMPORAL_TLS_CA", description="CA to verify the server with."
    )

    access: AccessConfig = Field(default_factory=AccessConfig)
    booking: BookingConfig = Field(default_factory=BookingConfig)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    messaging: MessagingSettings = Field(default_factory=MessagingSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    crm: CrmSettings = Field(default_factory=CrmSettings)
    hubspot: HubSpotSettings = Field(default_factory=HubSpotSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    calendars: CalendarSettings = Field(default_factory=CalendarSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        env_file = getattr(dotenv_settings, "env_file", None)
        sections = FlatSectionSource(settings_cls, env_file if isinstance(env_file, str | Path) else None)
        return (init_settings, env_settings, dotenv_settings, sections)

    @model_validator(mode="after")
    def _secret_key_from_data_dir(self) -> "Settings":
        """Without BOOKFLOW_SECRET_KEY, use the key `bookflow dev` generated into the data dir, if any."""
        if self.access.secret_key is None and (key := read_secret_key(self.data_dir)) is not None:
            self.access = AccessConfig.model_validate(self.access.model_dump() | {"secret_key": key})
        return self

    @property
    def database(self) -> str:
        """The database URL: BOOKFLOW_DATABASE_URL, else a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'bookflow.db').resolve()}"

    def secret_keys(self) -> SecretKeys | None:
        """BOOKFLOW_SECRET_KEY and the old keys still accepted, or None when no key is configured."""
        if self.access.secret_key is None:
            return None
        return SecretKeys(current=self.access.secret_key, old=self.access.secret_keys_old)

    def api_config(self) -> ApiConfig:
        """The API's share: access, booking limits, Twilio's inbound check and the outbound URL rule."""
        explicit_url = "public_url" in self.messaging.model_fields_set
        inbound = InboundSettings(
            twilio_token=self.messaging.twilio_token,
            public_url=self.messaging.public_url if explicit_url else None,
        )
        return ApiConfig(
            inbound=inbound,
            allow_private_urls=self.webhooks.allow_private,
            access=self.access,
            booking=self.booking,
            console=self.console,
            calendars=self.calendars.model_copy(update={"public_url": self.messaging.public_url}),
        )


def load_settings(**overrides: Any) -> Settings:
    """The settings tree from the environment, ``.env`` and ``overrides`` (field names, e.g. data_dir).

    Raises SettingsError, one line per problem naming the variable and the fix.
    """
    try:
        return Settings(**overrides)
    except ValidationError as invalid:
        raise SettingsError(explain(invalid)) from None

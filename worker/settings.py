"""Settings from the environment. Provider variables keep the names of Cal.com's self-hosting guide."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

TASK_QUEUE = "bookflow"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path(".bookflow"), alias="BOOKFLOW_DATA_DIR")
    database_url: str | None = Field(default=None, alias="BOOKFLOW_DATABASE_URL")
    task_queue: str = Field(default=TASK_QUEUE, alias="BOOKFLOW_TASK_QUEUE")
    keep_open_minutes: float = Field(default=7 * 24 * 60, alias="BOOKFLOW_KEEP_OPEN_MINUTES")

    temporal_address: str = Field(default="127.0.0.1:7233", alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field(default="default", alias="TEMPORAL_NAMESPACE")
    temporal_api_key: SecretStr | None = Field(default=None, alias="TEMPORAL_API_KEY")
    temporal_tls_cert: Path | None = Field(default=None, alias="TEMPORAL_TLS_CERT")
    temporal_tls_key: Path | None = Field(default=None, alias="TEMPORAL_TLS_KEY")
    temporal_tls_ca: Path | None = Field(default=None, alias="TEMPORAL_TLS_CA")

    @property
    def database(self) -> str:
        """The database URL: BOOKFLOW_DATABASE_URL, else a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'bookflow.db').resolve()}"


class MessagingSettings(BaseSettings):
    """Reminder providers, with the variable names of Cal.com's self-hosting guide.

    Email goes through SendGrid when SENDGRID_API_KEY and SENDGRID_EMAIL are set, else SMTP when
    EMAIL_SERVER_HOST is set, else to the outbox; SMS through Twilio when TWILIO_SID, TWILIO_TOKEN and
    a sender (TWILIO_MESSAGING_SID or TWILIO_PHONE_NUMBER) are set, else to the outbox.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    sendgrid_api_key: SecretStr | None = Field(default=None, alias="SENDGRID_API_KEY")
    sendgrid_email: str | None = Field(default=None, alias="SENDGRID_EMAIL")
    # Where the sendgrid library sends its requests (SendGrid's EU host, or a loopback server in tests).
    sendgrid_host: str = Field(default="https://api.sendgrid.com", alias="BOOKFLOW_SENDGRID_HOST")

    email_server_host: str | None = Field(default=None, alias="EMAIL_SERVER_HOST")
    email_server_port: int = Field(default=587, alias="EMAIL_SERVER_PORT")
    email_server_user: str | None = Field(default=None, alias="EMAIL_SERVER_USER")
    email_server_password: SecretStr | None = Field(default=None, alias="EMAIL_SERVER_PASSWORD")
    email_from: str = Field(default="notifications@bookflow.local", alias="EMAIL_FROM")

    twilio_sid: str | None = Field(default=None, alias="TWILIO_SID")
    twilio_token: SecretStr | None = Field(default=None, alias="TWILIO_TOKEN")
    twilio_messaging_sid: str | None = Field(default=None, alias="TWILIO_MESSAGING_SID")
    twilio_phone_number: str | None = Field(default=None, alias="TWILIO_PHONE_NUMBER")
    twilio_api_url: str = Field(default="https://api.twilio.com", alias="BOOKFLOW_TWILIO_API_URL")

    # Sends per second each provider's task queue may start (across all workers).
    sendgrid_rate: float = Field(default=50, gt=0, alias="BOOKFLOW_SENDGRID_RATE")
    smtp_rate: float = Field(default=20, gt=0, alias="BOOKFLOW_SMTP_RATE")
    twilio_rate: float = Field(default=10, gt=0, alias="BOOKFLOW_TWILIO_RATE")
    outbox_rate: float = Field(default=1000, gt=0, alias="BOOKFLOW_OUTBOX_RATE")

    provider_timeout_seconds: float = Field(default=10, gt=0, alias="BOOKFLOW_PROVIDER_TIMEOUT_SECONDS")
    send_attempt_timeout_seconds: float = Field(default=30, gt=0, alias="BOOKFLOW_SEND_ATTEMPT_TIMEOUT_SECONDS")
    # Links in messages (cancel, reschedule) point here.
    public_url: str = Field(default="http://localhost:8000", alias="BOOKFLOW_PUBLIC_URL")

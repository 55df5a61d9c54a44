"""Reminder providers, with the variable names of Cal.com's self-hosting guide."""

from pydantic import BaseModel, ConfigDict, Field, SecretStr

URL = r"^https?://"


class MessagingSettings(BaseModel):
    """Email goes through SendGrid when SENDGRID_API_KEY and SENDGRID_EMAIL are set, else SMTP when
    EMAIL_SERVER_HOST is set, else to the outbox; SMS through Twilio when TWILIO_SID, TWILIO_TOKEN and
    a sender (TWILIO_MESSAGING_SID or TWILIO_PHONE_NUMBER) are set, else to the outbox.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    sendgrid_api_key: SecretStr | None = Field(
        default=None, alias="SENDGRID_API_KEY", description="SendGrid API key (email through SendGrid)."
    )
    sendgrid_email: str | None = Field(
        default=None, alias="SENDGRID_EMAIL", description="The verified sender address for SendGrid."
    )
    sendgrid_host: str = Field(
        default="https://api.sendgrid.com",
        pattern=URL,
        alias="BOOKFLOW_SENDGRID_HOST",
        description="Where SendGrid requests go (SendGrid's EU host, or a loopback server in tests).",
    )

    email_server_host: str | None = Field(
        default=None, alias="EMAIL_SERVER_HOST", description="SMTP server (email through SMTP when SendGrid is off)."
    )
    email_server_port: int = Field(default=587, gt=0, lt=65536, alias="EMAIL_SERVER_PORT", description="SMTP port.")
    email_server_user: str | None = Field(default=None, alias="EMAIL_SERVER_USER", description="SMTP user name.")
    email_server_password: SecretStr | None = Field(
        default=None, alias="EMAIL_SERVER_PASSWORD", description="SMTP password."
    )
    email_from: str = Field(
        default="notifications@bookflow.local", alias="EMAIL_FROM", description="The From address of SMTP email."
    )

    twilio_sid: str | None = Field(default=None, alias="TWILIO_SID", description="Twilio account SID (SMS).")
    twilio_token: SecretStr | None = Field(
        default=None, alias="TWILIO_TOKEN", description="Twilio auth token; also verifies inbound STOP/START."
    )
    twilio_messaging_sid: str | None = Field(
        default=None, alias="TWILIO_MESSAGING_SID", description="Twilio Messaging Service SID to send from."
    )
    twilio_phone_number: str | None = Field(
        default=None, alias="TWILIO_PHONE_NUMBER", description="Twilio number to send from (without a service)."
    )
    twilio_api_url: str = Field(
        default="https://api.twilio.com",
        pattern=URL,
        alias="BOOKFLOW_TWILIO_API_URL",
        description="Where Twilio requests go (a loopback server in tests).",
    )

    sendgrid_rate: float = Field(
        default=50, gt=0, alias="BOOKFLOW_SENDGRID_RATE", description="SendGrid sends per second, across all workers."
    )
    smtp_rate: float = Field(
        default=20, gt=0, alias="BOOKFLOW_SMTP_RATE", description="SMTP sends per second, across all workers."
    )
    twilio_rate: float = Field(
        default=10, gt=0, alias="BOOKFLOW_TWILIO_RATE", description="Twilio sends per second, across all workers."
    )
    outbox_rate: float = Field(
        default=1000, gt=0, alias="BOOKFLOW_OUTBOX_RATE", description="Outbox writes per second, across all workers."
    )

    provider_timeout_seconds: float = Field(
        default=10,
        gt=0,
        alias="BOOKFLOW_PROVIDER_TIMEOUT_SECONDS",
        description="Seconds one call to an email or SMS provider may take.",
    )
    send_attempt_timeout_seconds: float = Field(
        default=30,
        gt=0,
        alias="BOOKFLOW_SEND_ATTEMPT_TIMEOUT_SECONDS",
        description="Seconds one send attempt (render, claim, provider call) may take before it is retried.",
    )
    public_url: str = Field(
        default="http://localhost:8000",
        pattern=URL,
        alias="BOOKFLOW_PUBLIC_URL",
        description="Bookflow's public address: links in messages and payloads, and the URL Twilio signs.",
    )

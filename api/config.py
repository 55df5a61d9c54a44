"""Everything configurable the API reads, handed to it by the worker (the API never reads the environment)."""

from pydantic import BaseModel, Field, SecretStr

from api.access_config import AccessConfig
from api.booking_config import BookingConfig
from api.calendar_config import CalendarSettings
from api.console.config import ConsoleConfig


class InboundSettings(BaseModel):
    """What verifying Twilio's signature needs: the auth token, and our public URL behind a proxy."""

    twilio_token: SecretStr | None = None
    public_url: str | None = None


class ApiConfig(BaseModel):
    """The API's share of the settings tree."""

    inbound: InboundSettings = Field(default_factory=InboundSettings)
    allow_private_urls: bool = False
    access: AccessConfig = Field(default_factory=AccessConfig)
    booking: BookingConfig = Field(default_factory=BookingConfig)
    calendars: CalendarSettings = Field(default_factory=CalendarSettings)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)

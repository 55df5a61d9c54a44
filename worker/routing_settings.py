"""Routing-form settings from the environment."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RoutingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Minutes may be fractional (0.05 is three seconds): Cal.com waits 15 minutes; tests wait seconds.
    no_event_minutes: float = Field(default=15, ge=0, alias="BOOKFLOW_FORM_NO_EVENT_MINUTES")
    recent_booking_minutes: float = Field(default=60, ge=0, alias="BOOKFLOW_FORM_RECENT_BOOKING_MINUTES")

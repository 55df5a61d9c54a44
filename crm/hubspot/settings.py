"""How Bookflow reaches HubSpot: credentials, API base URL and rate-limit budget, from the environment."""

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_BASE_URL = "https://api.hubapi.com"


class HubSpotSettings(BaseSettings):
    """``HUBSPOT_*`` settings. A private-app token, or OAuth client id + secret + refresh token.

    Secrets are ``SecretStr`` so they never show in reprs, logs or error messages.
    """

    model_config = SettingsConfigDict(env_prefix="HUBSPOT_", extra="ignore")

    access_token: SecretStr | None = Field(default=None, description="A private app's access token.")
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = Field(default=None, description="The portal's OAuth refresh token.")
    api_base_url: str = Field(
        default=DEFAULT_API_BASE_URL, description="API host; tests point it at the loopback emulator."
    )
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    max_rate_limit_retries: int = Field(default=3, ge=0, description="429s retried in place per call.")
    max_retry_after_seconds: float = Field(
        default=10.0,
        ge=0,
        description="Longest Retry-After waited in place; a longer one is raised for the activity to retry.",
    )
    max_requests_per_10s: int = Field(
        default=100, ge=1, description="Client-side budget per process (HubSpot's private-app burst limit)."
    )

    @model_validator(mode="after")
    def _one_credential(self) -> "HubSpotSettings":
        oauth = {
            "HUBSPOT_CLIENT_ID": self.client_id,
            "HUBSPOT_CLIENT_SECRET": self.client_secret,
            "HUBSPOT_REFRESH_TOKEN": self.refresh_token,
        }
        if self.access_token is not None:
            return self
        missing = [name for name, value in oauth.items() if not value]
        if missing:
            raise ValueError(
                "HubSpot needs HUBSPOT_ACCESS_TOKEN (private app) or OAuth credentials; missing " + ", ".join(missing)
            )
        return self

    @property
    def uses_oauth(self) -> bool:
        return self.access_token is None

"""How Bookflow reaches HubSpot: credentials, API base URL and rate-limit budget.

A plain model: the worker's settings tree (worker/settings/) fills it from the ``HUBSPOT_*`` variables
and passes it down; nothing here reads the environment.
"""

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

DEFAULT_API_BASE_URL = "https://api.hubapi.com"


def _variable(field_name: str) -> str:
    return "HUBSPOT_" + field_name.upper()


class HubSpotSettings(BaseModel):
    """``HUBSPOT_*`` settings. A private-app token, or OAuth client id + secret + refresh token; none is off.

    Secrets are ``SecretStr`` so they never show in reprs, logs or error messages.
    """

    model_config = ConfigDict(alias_generator=_variable, populate_by_name=True, extra="ignore")

    access_token: SecretStr | None = Field(default=None, description="A HubSpot private app's access token.")
    client_id: str | None = Field(default=None, description="OAuth app client id (with the secret and refresh token).")
    client_secret: SecretStr | None = Field(default=None, description="OAuth app client secret.")
    refresh_token: SecretStr | None = Field(default=None, description="The portal's OAuth refresh token.")
    api_base_url: str = Field(
        default=DEFAULT_API_BASE_URL,
        pattern=r"^https?://",
        description="HubSpot's API host (tests point it at a loopback emulator).",
    )
    request_timeout_seconds: float = Field(default=30.0, gt=0, description="Seconds one HubSpot request may take.")
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
        if self.access_token is not None or not any(oauth.values()):
            return self
        missing = [name for name, value in oauth.items() if not value]
        if missing:
            raise ValueError(
                "HubSpot needs HUBSPOT_ACCESS_TOKEN (private app) or OAuth credentials; missing "
                + ", ".join(missing)
                + "; fix: set the missing ones, or set HUBSPOT_ACCESS_TOKEN instead"
            )
        return self

    @property
    def configured(self) -> bool:
        """Whether any credential is set (HubSpot is off otherwise)."""
        return self.access_token is not None or self.refresh_token is not None

    @property
    def uses_oauth(self) -> bool:
        return self.access_token is None

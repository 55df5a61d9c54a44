"""The calendars' settings: OAuth clients under Cal.com's self-hosting names, provider endpoints, sync timing.

Read from the environment by worker/settings only (a section of the settings tree) and handed to the API.
The endpoint URLs are settings so tests (and sovereign clouds) point them elsewhere.
"""

import json

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from domain.calendars import OAuthClient


class CalendarSettings(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    google_api_credentials: SecretStr | None = Field(
        default=None,
        alias="GOOGLE_API_CREDENTIALS",
        description="Google's OAuth client as Cal.com takes it: the client JSON from Google Cloud"
        ' ({"web": {"client_id": …, "client_secret": …}}).',
    )
    ms_graph_client_id: str | None = Field(
        default=None, alias="MS_GRAPH_CLIENT_ID", description="Microsoft Entra app (client) id, for Outlook calendars."
    )
    ms_graph_client_secret: SecretStr | None = Field(
        default=None, alias="MS_GRAPH_CLIENT_SECRET", description="That app's client secret."
    )
    google_authorize_url: str = Field(
        default="https://accounts.google.com/o/oauth2/v2/auth",
        alias="BOOKFLOW_GOOGLE_AUTHORIZE_URL",
        description="Google's OAuth authorization endpoint.",
    )
    google_token_url: str = Field(
        default="https://oauth2.googleapis.com/token",
        alias="BOOKFLOW_GOOGLE_TOKEN_URL",
        description="Google's OAuth token endpoint.",
    )
    google_api_url: str = Field(
        default="https://www.googleapis.com/calendar/v3/",
        alias="BOOKFLOW_GOOGLE_CALENDAR_API_URL",
        description="Google Calendar API v3's root.",
    )
    ms_graph_login_url: str = Field(
        default="https://login.microsoftonline.com/common/oauth2/v2.0",
        alias="BOOKFLOW_MS_GRAPH_LOGIN_URL",
        description="Microsoft identity platform's OAuth base (…/authorize, …/token).",
    )
    ms_graph_api_url: str = Field(
        default="https://graph.microsoft.com/v1.0",
        alias="BOOKFLOW_MS_GRAPH_API_URL",
        description="Microsoft Graph's root.",
    )
    sync_interval_seconds: float = Field(
        default=300,
        ge=1,
        alias="BOOKFLOW_CALENDAR_SYNC_INTERVAL_SECONDS",
        description="How often each calendar connection is synced (besides on demand and before a booking).",
    )
    oauth_state_minutes: float = Field(
        default=15,
        gt=0,
        alias="BOOKFLOW_CALENDAR_OAUTH_STATE_MINUTES",
        description="How long a calendar connect link's state stays valid.",
    )
    # Where providers send the browser back (BOOKFLOW_PUBLIC_URL, filled in by the settings tree).
    public_url: str = "http://localhost:8000"

    def google_client(self) -> OAuthClient | None:
        """Google's OAuth client from GOOGLE_API_CREDENTIALS, or None when not configured (or unreadable)."""
        if self.google_api_credentials is None:
            return None
        try:
            document = json.loads(self.google_api_credentials.get_secret_value())
            inner = document.get("web") or document.get("installed") or document
            client_id, secret = inner["client_id"], inner["client_secret"]
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return OAuthClient(
            client_id=client_id,
            client_secret=secret,
            authorize_url=self.google_authorize_url,
            token_url=self.google_token_url,
        )

    def microsoft_client(self) -> OAuthClient | None:
        """Microsoft's OAuth client from MS_GRAPH_CLIENT_ID/SECRET, or None when not configured."""
        if not self.ms_graph_client_id or self.ms_graph_client_secret is None:
            return None
        base = self.ms_graph_login_url.rstrip("/")
        return OAuthClient(
            client_id=self.ms_graph_client_id,
            client_secret=self.ms_graph_client_secret.get_secret_value(),
            authorize_url=f"{base}/authorize",
            token_url=f"{base}/token",
        )

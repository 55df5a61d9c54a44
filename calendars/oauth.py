"""OAuth 2.0 token calls for calendar providers (Google, Microsoft): code exchange (PKCE) and refresh.

Only the token endpoint's form POST and its JSON answer (RFC 6749 §4.1.3, §6; PKCE RFC 7636). The
authorization URL is the API's (api/calendar_oauth.py); the exchange runs in the worker, in the first sync. Google's
client library refreshes its own tokens; Microsoft Graph's SDK takes a bearer token, so the Graph adapter
refreshes through ``refresh`` and keeps the rotated refresh token.
"""

import httpx
from pydantic import BaseModel, ValidationError

from calendars.model import CalendarError, CredentialRejected
from domain.calendars import OAuthClient

TIMEOUT = 15.0


class TokenAnswer(BaseModel):
    """What a token endpoint answers (a refresh may omit the refresh token: keep the old one)."""

    access_token: str
    refresh_token: str | None = None
    expires_in: int | None = None
    scope: str | None = None


def _token_call(client: OAuthClient, form: dict[str, str], what: str) -> TokenAnswer:
    form = {"client_id": client.client_id, "client_secret": client.client_secret, **form}
    try:
        answer = httpx.post(client.token_url, data=form, timeout=TIMEOUT)
    except httpx.HTTPError as failed:
        raise CalendarError(f"{what}: cannot reach the token endpoint ({type(failed).__name__})") from failed
    if answer.status_code in (400, 401):
        # invalid_grant (revoked, expired, reused code) or invalid_client: asking again will not help.
        raise CredentialRejected(f"{what}: the provider refused ({_reason(answer)})", answer.status_code)
    if answer.status_code != 200:
        raise CalendarError(f"{what}: the token endpoint answered {answer.status_code}", status=answer.status_code)
    try:
        return TokenAnswer.model_validate_json(answer.content)
    except ValidationError as invalid:
        raise CalendarError(f"{what}: the token endpoint's answer is not a token", retryable=False) from invalid


def _reason(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error") or answer.status_code)
    except ValueError:
        return str(answer.status_code)


def exchange_code(client: OAuthClient, code: str, verifier: str, redirect_uri: str) -> TokenAnswer:
    """Trade an authorization code (with its PKCE verifier) for tokens."""
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "redirect_uri": redirect_uri}
    return _token_call(client, form, "code exchange")


def refresh(client: OAuthClient, refresh_token: str, scopes: list[str] | None = None) -> TokenAnswer:
    """A new access token (and, where the provider rotates it, a new refresh token)."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scopes:
        form["scope"] = " ".join(scopes)
    return _token_call(client, form, "token refresh")

"""HubSpot failures as one exception type carrying the shared ``SyncError`` record."""

import json
from typing import Any

import hubspot.crm.associations.v4 as associations_v4
import hubspot.crm.companies as companies
import hubspot.crm.contacts as contacts
import hubspot.crm.deals as deals
import hubspot.crm.objects.meetings as meetings
import hubspot.crm.owners as owners
import hubspot.crm.properties as properties
import hubspot.oauth as oauth

from crm.base import SyncError

# Each generated sub-package has its own ApiException class; these are the ones we call.
API_EXCEPTIONS: tuple[type[Exception], ...] = tuple(
    m.ApiException for m in (associations_v4, companies, contacts, deals, meetings, owners, properties, oauth)
)


class HubSpotError(Exception):
    """A HubSpot call that failed. ``error`` is what gets stored and shown to admins.

    ``retryable`` says whether trying again later can help (429, 5xx, connection failures);
    ``retry_after`` is HubSpot's hint in seconds, when it gave one.
    """

    def __init__(
        self, error: SyncError, *, status: int | None, retryable: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(f"HubSpot {error.code}: {error.message}")
        self.error = error
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


def from_api_exception(operation: str, exc: Any) -> HubSpotError:
    """Translate a client ApiException; the message names the operation, never the request's headers."""
    status = int(getattr(exc, "status", 0) or 0)
    category, message = _body_fields(getattr(exc, "body", None))
    code = category or (f"HTTP_{status}" if status else "CLIENT_ERROR")
    text = f"{operation}: {message or getattr(exc, 'reason', '') or 'no detail'} (HTTP {status})"
    retryable = status == 429 or status >= 500 or status == 0
    error = SyncError(provider="hubspot", code=code, message=text)
    return HubSpotError(error, status=status or None, retryable=retryable, retry_after=retry_after_of(exc))


def connection_error(operation: str, exc: Exception) -> HubSpotError:
    """A failure to reach HubSpot at all (refused, timed out): always worth retrying."""
    error = SyncError(provider="hubspot", code="CONNECTION_ERROR", message=f"{operation}: {type(exc).__name__}")
    return HubSpotError(error, status=None, retryable=True)


def retry_after_of(exc: Any) -> float | None:
    """The Retry-After header in seconds, if the answer had a numeric one."""
    headers = getattr(exc, "headers", None)
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP-date; HubSpot sends seconds, so fall back to our own backoff


def _body_fields(body: Any) -> tuple[str | None, str | None]:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        return None, body[:300] if isinstance(body, str) else None
    if not isinstance(data, dict):
        return None, None
    return data.get("category"), data.get("message")

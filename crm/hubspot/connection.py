"""One authenticated, rate-limited way to call HubSpot through ``hubspot-api-client``.

Every call goes through ``HubSpotConnection.call``: it checks the client-side budget, attaches a
valid token (refreshing OAuth tokens before expiry and once on a 401), and turns any failure into a
``HubSpotError`` carrying a ``SyncError``. Nothing here waits: a 429, or a budget that is spent, is
raised as a retryable error carrying the wait, and the activity hands that wait to Temporal's retry
policy (``ApplicationError(next_retry_delay=...)``). The client is synchronous (urllib3); callers run
``call`` in a worker thread.
"""

import collections
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import urllib3
from hubspot import HubSpot
from hubspot.discovery.discovery_base import DiscoveryBase

from crm.base import SyncError
from crm.hubspot.errors import API_EXCEPTIONS, HubSpotError, connection_error, from_api_exception
from crm.hubspot.settings import HubSpotSettings

T = TypeVar("T")
REFRESH_MARGIN_SECONDS = 60.0
WINDOW_SECONDS = 10.0


class RequestBudget:
    """At most ``limit`` requests per sliding 10-second window in this process (HubSpot's burst limit)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._sent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Count one request and return 0, or return the seconds until one fits (counting nothing)."""
        with self._lock:
            now = time.monotonic()
            while self._sent and now - self._sent[0] >= WINDOW_SECONDS:
                self._sent.popleft()
            if len(self._sent) < self._limit:
                self._sent.append(now)
                return 0.0
            return WINDOW_SECONDS - (now - self._sent[0])


def budget_spent(operation: str, wait: float) -> HubSpotError:
    """Our own burst limit is reached: retry after ``wait`` seconds, as after HubSpot's 429."""
    message = f"{operation}: the client-side budget of HubSpot requests per 10 s is spent"
    error = SyncError(provider="hubspot", code="RATE_LIMITS", message=message)
    return HubSpotError(error, status=None, retryable=True, retry_after=wait)


class HubSpotConnection:
    """A HubSpot portal as configured by ``HubSpotSettings``; safe to share between threads."""

    def __init__(self, settings: HubSpotSettings) -> None:
        self.settings = settings
        self._budget = RequestBudget(settings.max_requests_per_10s)
        self._lock = threading.Lock()
        self._token: str | None = settings.access_token.get_secret_value() if settings.access_token else None
        self._expires_at = float("inf") if self._token else 0.0
        self._refresh_token = settings.refresh_token.get_secret_value() if settings.refresh_token else None

    def call(self, operation: str, request: Callable[[HubSpot], T]) -> T:
        """Run ``request`` with an authenticated client; ``operation`` names it in errors.

        A 429 is raised at once as a retryable ``HubSpotError`` with its Retry-After (never waited
        here: the activity's retry policy waits). A 401 under OAuth refreshes the token once.
        """
        refreshed = False
        while True:
            if (wait := self._budget.take()) > 0:
                raise budget_spent(operation, wait)
            try:
                return request(self._client(operation))
            except API_EXCEPTIONS as exc:
                error = from_api_exception(operation, exc)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise connection_error(operation, exc) from None
            if error.status == 401 and self.settings.uses_oauth and not refreshed:
                self._refresh(operation, force=True)
                refreshed = True
                continue
            raise error

    def _client(self, operation: str) -> HubSpot:
        if self.settings.uses_oauth and time.monotonic() >= self._expires_at - REFRESH_MARGIN_SECONDS:
            self._refresh(operation, force=False)
        return HubSpot(access_token=self._token, host=self._host, api_factory=self._api_factory)

    @property
    def _host(self) -> str:
        return self.settings.api_base_url.rstrip("/")

    def _api_factory(self, package: Any, api_name: str, config: dict[str, Any]) -> Any:
        # The generated clients have no default timeout; give every pool one so a hung socket fails.
        api = DiscoveryBase._default_api_factory(package, api_name, config)
        timeout = urllib3.Timeout(total=self.settings.request_timeout_seconds)
        api.api_client.rest_client.pool_manager.connection_pool_kw["timeout"] = timeout
        return api

    def _refresh(self, operation: str, *, force: bool) -> None:
        """Exchange the refresh token for a new access token (once per expiry across threads)."""
        with self._lock:
            if not force and time.monotonic() < self._expires_at - REFRESH_MARGIN_SECONDS:
                return  # another thread refreshed while we waited for the lock
            settings = self.settings
            assert settings.client_secret is not None  # guaranteed by HubSpotSettings for OAuth
            client = HubSpot(host=self._host, api_factory=self._api_factory)
            try:
                answer = client.oauth.tokens_api.create(
                    grant_type="refresh_token",
                    client_id=settings.client_id,
                    client_secret=settings.client_secret.get_secret_value(),
                    refresh_token=self._refresh_token,
                )
            except API_EXCEPTIONS as exc:
                raise from_api_exception(f"{operation} (token refresh)", exc) from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise connection_error(f"{operation} (token refresh)", exc) from None
            self._token = answer.access_token
            self._refresh_token = answer.refresh_token or self._refresh_token
            self._expires_at = time.monotonic() + float(answer.expires_in)

"""One authenticated, rate-limited way to call HubSpot through ``hubspot-api-client``.

Every call goes through ``HubSpotConnection.call``: it waits for the client-side budget, attaches a
valid token (refreshing OAuth tokens before expiry and once on a 401), retries a 429 after its
Retry-After (bounded), and turns any failure into a ``HubSpotError`` carrying a ``SyncError``.
The client is synchronous (urllib3); callers run ``call`` in a worker thread.
"""

import collections
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import urllib3
from hubspot import HubSpot
from hubspot.discovery.discovery_base import DiscoveryBase

from crm.hubspot.errors import API_EXCEPTIONS, HubSpotError, connection_error, from_api_exception
from crm.hubspot.settings import HubSpotSettings

T = TypeVar("T")
REFRESH_MARGIN_SECONDS = 60.0
WINDOW_SECONDS = 10.0
DEFAULT_429_WAIT_SECONDS = 1.0


class RequestBudget:
    """At most ``limit`` requests per sliding 10-second window in this process (HubSpot's burst limit)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._sent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until one more request fits in the window, then count it."""
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= WINDOW_SECONDS:
                    self._sent.popleft()
                if len(self._sent) < self._limit:
                    self._sent.append(now)
                    return
                wait = WINDOW_SECONDS - (now - self._sent[0])
            time.sleep(wait)


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

        429 answers are retried in place after their Retry-After, up to ``max_rate_limit_retries``
        times when the wait is at most ``max_retry_after_seconds``; otherwise the retryable error is
        raised so the activity retries later. A 401 under OAuth refreshes the token once.
        """
        rate_limited = 0
        refreshed = False
        while True:
            self._budget.acquire()
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
            if error.status == 429 and self._may_wait(error, rate_limited):
                time.sleep(error.retry_after if error.retry_after is not None else DEFAULT_429_WAIT_SECONDS)
                rate_limited += 1
                continue
            raise error

    def _may_wait(self, error: HubSpotError, attempts: int) -> bool:
        wait = error.retry_after if error.retry_after is not None else DEFAULT_429_WAIT_SECONDS
        return attempts < self.settings.max_rate_limit_retries and wait <= self.settings.max_retry_after_seconds

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

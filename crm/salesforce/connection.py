"""One connected Salesforce org through simple-salesforce: login, session renewal, API usage, REST calls.

Synchronous like the library; async callers run it in a thread (``asyncio.to_thread``). Thread-safe: one
lock guards the client while a session is renewed.
"""

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from prometheus_client import Gauge
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from crm.salesforce.settings import SalesforceCredential

T = TypeVar("T")

API_USAGE = Gauge(
    "bookflow_salesforce_api_usage",
    "Salesforce API requests used and allowed in the rolling 24 h, from the Sforce-Limit-Info header.",
    ["org", "kind"],
)


class SalesforceApiError(Exception):
    """A Salesforce error answer: ``code`` is its errorCode, ``fields`` the fields it names, if any."""

    def __init__(self, status: int, code: str, message: str, fields: Sequence[str] = (), body: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = list(fields)
        self.body = body

    @property
    def retryable(self) -> bool:
        """Outages and limits are worth retrying; bad requests and permissions are not."""
        return self.status >= 500 or self.code in ("REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE")

    @classmethod
    def from_body(cls, status: int, body: Any) -> "SalesforceApiError":
        first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
        return cls(
            status,
            str(first.get("errorCode", status)),
            str(first.get("message", body)),
            first.get("fields") or (),
            body,
        )


class SalesforceConnection:
    """A logged-in org. ``session`` is the requests.Session to use (tests pass one trusting a local CA)."""

    def __init__(self, credential: SalesforceCredential, session: requests.Session | None = None) -> None:
        self.credential = credential
        self.session = session or requests.Session()
        self._lock = threading.Lock()
        self._client: Salesforce | None = None
        self._access_token = credential.access_token.get_secret_value() if credential.access_token else None
        self._instance_url = credential.instance_url

    @property
    def login_host(self) -> str:
        """``login.salesforce.com``, ``test.salesforce.com`` or a My Domain host."""
        return f"{self.credential.domain}.salesforce.com"

    def _connect(self) -> Salesforce:
        c = self.credential
        common: dict[str, Any] = {"version": c.api_version, "session": self.session}
        if self._access_token:
            return Salesforce(session_id=self._access_token, instance_url=self._instance_url, **common)
        # Password login goes through simple-salesforce's SOAP login on the configured login host; the
        # library renews the session by itself when Salesforce answers INVALID_SESSION_ID.
        return Salesforce(
            username=c.username,
            password=c.password.get_secret_value() if c.password else None,
            security_token=c.security_token.get_secret_value() if c.security_token else "",
            domain=c.domain,
            **common,
        )

    def client(self) -> Salesforce:
        """The simple-salesforce client, logging in on first use."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _renew(self) -> None:
        """Renew an expired OAuth access token with the refresh token; without one, re-raise."""
        c = self.credential
        if not (c.refresh_token and c.consumer_key):
            raise SalesforceApiError(401, "INVALID_SESSION_ID", "session expired and no refresh token is configured")
        resp = self.session.post(
            f"https://{self.login_host}/services/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": c.refresh_token.get_secret_value(),
                "client_id": c.consumer_key,
                "client_secret": c.consumer_secret.get_secret_value() if c.consumer_secret else "",
            },
            timeout=c.timeout_seconds,
        )
        if resp.status_code != 200:
            raise SalesforceApiError(resp.status_code, "INVALID_GRANT", "refreshing the access token was refused")
        token = resp.json()
        with self._lock:
            self._access_token = token["access_token"]
            self._instance_url = token.get("instance_url") or self._instance_url
            self._client = None

    def call(self, fn: Callable[[Salesforce], T]) -> T:
        """Run ``fn`` with the client; renew an expired session once; record API usage; map errors."""
        try:
            try:
                result = fn(self.client())
            except SalesforceExpiredSession:
                self._renew()
                result = fn(self.client())
        except SalesforceError as e:
            raise SalesforceApiError.from_body(e.status, e.content) from None
        self._record_usage()
        return result

    def _record_usage(self) -> None:
        usage = (self._client.api_usage if self._client else {}).get("api-usage")
        if usage is not None:
            API_USAGE.labels(self.login_host, "used").set(usage.used)
            API_USAGE.labels(self.login_host, "limit").set(usage.total)

    @property
    def api_usage(self) -> tuple[int, int] | None:
        """(used, limit) from the last response's Sforce-Limit-Info header."""
        usage = (self._client.api_usage if self._client else {}).get("api-usage")
        return (usage.used, usage.total) if usage else None

    # -- REST helpers (each one API call) --------------------------------------------------------------

    def query(self, soql: str) -> list[dict[str, Any]]:
        """Records of one SOQL query (first page; our queries are bounded by LIMIT or IN lists)."""
        return list(self.call(lambda sf: sf.query(soql))["records"])

    def composite(self, queries: Sequence[tuple[str, str]]) -> dict[str, list[dict[str, Any]]]:
        """Run up to 5 queries as one Composite API request (one API call): reference id → records."""
        if len(queries) > 5:
            raise ValueError("a composite request holds at most 5 queries")
        version = self.credential.api_version
        body = {
            "allOrNone": False,
            "compositeRequest": [
                {"method": "GET", "referenceId": ref, "url": f"/services/data/v{version}/query/?q={quote(q)}"}
                for ref, q in queries
            ],
        }
        answer = self.call(lambda sf: sf.restful("composite", method="POST", json=body))
        out: dict[str, list[dict[str, Any]]] = {}
        for sub in (answer or {}).get("compositeResponse", []):
            if sub["httpStatusCode"] >= 300:
                raise SalesforceApiError.from_body(sub["httpStatusCode"], sub["body"])
            out[sub["referenceId"]] = list(sub["body"]["records"])
        return out

    def create(self, obj: str, values: dict[str, Any]) -> str:
        """Create a record; its Id."""
        return str(self.call(lambda sf: getattr(sf, obj).create(values))["id"])

    def update(self, obj: str, record_id: str, values: dict[str, Any]) -> None:
        self.call(lambda sf: getattr(sf, obj).update(record_id, values))

    def delete(self, obj: str, record_id: str) -> None:
        self.call(lambda sf: getattr(sf, obj).delete(record_id))

    def get(self, obj: str, record_id: str) -> dict[str, Any]:
        return dict(self.call(lambda sf: getattr(sf, obj).get(record_id)))

    def describe(self, obj: str) -> dict[str, Any]:
        return dict(self.call(lambda sf: getattr(sf, obj).describe()))

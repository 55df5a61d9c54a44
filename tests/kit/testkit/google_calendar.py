"""A loopback emulator of the parts of Google Calendar API v3 Bookflow uses, for google-api-python-client.

Point the client at ``api_root`` (``client_options={"api_endpoint": ...}``; the bundled discovery document
is used, so no discovery request is made) and its credentials at ``token_uri``. Implemented: OAuth consent
(``authorize_uri``: granted at once, PKCE S256) and the token endpoint (code grant, refresh),
``users/me/calendarList``, events insert (a client-chosen id that exists answers 409 duplicate), get,
update, patch, delete (410 when deleted already) and list with ``syncToken`` (410 for an unknown token),
in Google's error shape. Bearer tokens are checked (401 otherwise); ``expire`` invalidates the current one
so the client must refresh; ``faults`` scripts an outage. Every request is logged.
"""

import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from testkit.oauth_consent import ConsentScreen
from testkit.server import LocalServer, Reply, Request

PREFIX = "/calendar/v3/"


def _error(status: int, reason: str, message: str) -> Reply:
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"domain": "global", "reason": reason, "message": message}],
        }
    }
    return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


def _ok(body: dict[str, Any], status: int = 200) -> Reply:
    return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


@dataclass(eq=False)
class GoogleCalendarEmulator(LocalServer):
    """Calendars (id → name) of one account, their events, and a change log that sync tokens point into."""

    calendars: dict[str, str] = field(default_factory=lambda: {"primary": "Primary"})
    client_id: str = "google-client"
    client_secret: str = "google-secret"
    refresh_token: str = "refresh-1"
    access_token: str = field(default_factory=lambda: uuid.uuid4().hex)
    revoked: bool = False
    # Hand out a new refresh token on every refresh (Google may; Microsoft always does).
    rotate_refresh_token: bool = False
    # Statuses to answer API calls with, one per call, before serving normally (an outage: [500] * 20).
    faults: list[int] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    _changes: list[tuple[str, str]] = field(default_factory=list)  # (calendar, event id) per change
    _etags: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    consent: ConsentScreen = field(init=False)

    def __post_init__(self) -> None:
        self.consent = ConsentScreen(self.client_id)

    @property
    def api_root(self) -> str:
        return f"{self.url}{PREFIX}"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    @property
    def authorize_uri(self) -> str:
        return f"{self.url}/o/oauth2/v2/auth"

    def expire(self) -> None:
        """The access token stops working (as after an hour): the next call needs a refresh."""
        self.access_token = uuid.uuid4().hex

    def calls(self, method: str | None = None) -> int:
        return sum(1 for r in self.requests if method is None or r.method == method)

    def put_external(self, calendar: str, item: dict[str, Any]) -> None:
        """An event made by someone else (in Google's JSON shape)."""
        with self._lock:
            self._store(calendar, dict(item))

    def _store(self, calendar: str, item: dict[str, Any]) -> dict[str, Any]:
        item["etag"] = f'"{next(self._etags)}"'
        item.setdefault("status", "confirmed")
        item.setdefault("iCalUID", f"{item['id']}@google.com")
        self.events.setdefault(calendar, {})[item["id"]] = item
        self._changes.append((calendar, item["id"]))
        return item

    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            parts = urlsplit(request.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/token":
                return self._token(request)
            if parts.path == "/o/oauth2/v2/auth":
                return self.consent.authorize(query)
            headers = {k.lower(): v for k, v in request.headers.items()}
            if headers.get("authorization") != f"Bearer {self.access_token}":
                return _error(401, "authError", "Invalid Credentials")
            if self.faults:
                status = self.faults.pop(0)
                return _error(status, "backendError" if status >= 500 else "rateLimitExceeded", "Backend Error")
            path = [unquote(p) for p in parts.path.removeprefix(PREFIX).split("/") if p]
            body = json.loads(request.body) if request.body else {}
            return self._route(request.method, path, query, body)

    def _token(self, request: Request) -> Reply:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") == "authorization_code":
            # The code grant checks the client; refreshes by the Python client send it too, but older
            # tests store any client id, so only the code grant insists.
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return Reply(401, b'{"error": "invalid_client"}', {"Content-Type": "application/json"})
            if not self.consent.redeem(form):
                return Reply(400, b'{"error": "invalid_grant"}', {"Content-Type": "application/json"})
            self.access_token = uuid.uuid4().hex
            body = {"access_token": self.access_token, "refresh_token": self.refresh_token, "expires_in": 3599}
            return _ok(body | {"token_type": "Bearer", "scope": "https://www.googleapis.com/auth/calendar.events"})
        if self.revoked or form.get("refresh_token") != self.refresh_token:
            body = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            return Reply(400, json.dumps(body).encode(), {"Content-Type": "application/json"})
        self.access_token = uuid.uuid4().hex
        answer = {"access_token": self.access_token, "expires_in": 3599, "token_type": "Bearer"}
        if self.rotate_refresh_token:
            self.refresh_token = f"refresh-{uuid.uuid4().hex[:8]}"
            answer["refresh_token"] = self.refresh_token
        return _ok(answer)

    def _route(self, method: str, path: list[str], query: dict[str, str], body: dict[str, Any]) -> Reply:
        if path == ["users", "me", "calendarList"] and method == "GET":
            items = [
                {"id": cid, "summary": name, "primary": cid == "primary", "accessRole": "owner"}
                for cid, name in self.calendars.items()
            ]
            return _ok({"kind": "calendar#calendarList", "items": items})
        if len(path) >= 3 and path[0] == "calendars" and path[2] == "events":
            calendar = path[1]
            if calendar not in self.calendars:
                return _error(404, "notFound", "Not Found")
            events = self.events.setdefault(calendar, {})
            if len(path) == 3:
                return self._insert(calendar, body) if method == "POST" else self._list(calendar, query)
            event_id = path[3]
            current = events.get(event_id)
            if current is None:
                return _error(404, "notFound", "Not Found")
            if method == "GET":
                return _ok(current)
            if method == "DELETE":
                if current["status"] == "cancelled":
                    return _error(410, "deleted", "Resource has been deleted")
                self._store(calendar, {"id": event_id, "status": "cancelled", "iCalUID": current["iCalUID"]})
                return Reply(204)
            if method in ("PUT", "PATCH"):
                merged = (current if method == "PATCH" else {"iCalUID": current["iCalUID"]}) | body
                merged["id"] = event_id
                merged["status"] = body.get("status", "confirmed")
                return _ok(self._store(calendar, merged))
        return _error(404, "notFound", f"{method} {'/'.join(path)} is not emulated")

    def _insert(self, calendar: str, body: dict[str, Any]) -> Reply:
        event_id = body.get("id") or uuid.uuid4().hex
        if event_id in self.events[calendar]:
            return _error(409, "duplicate", "The requested identifier already exists.")
        return _ok(self._store(calendar, body | {"id": event_id}))

    def _list(self, calendar: str, query: dict[str, str]) -> Reply:
        token = query.get("syncToken")
        if token is None:
            items = [e for e in self.events[calendar].values() if e["status"] != "cancelled"]
        else:
            try:
                since = int(token)
            except ValueError:
                return _error(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
            if since > len(self._changes):
                return _error(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
            changed = dict.fromkeys(e for c, e in self._changes[since:] if c == calendar)
            items = [self.events[calendar][e] for e in changed]
        return _ok({"kind": "calendar#events", "items": items, "nextSyncToken": str(len(self._changes))})

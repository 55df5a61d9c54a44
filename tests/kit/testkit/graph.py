"""A loopback emulator of the parts of Microsoft Graph v1.0 Bookflow uses, for ``msgraph-sdk`` (kiota).

Point a ``GraphRequestAdapter`` at ``api_root`` (``adapter.base_url``) and OAuth at ``token_uri`` /
``authorize_uri``. Implemented, in Graph's JSON and error shapes (``{"error": {"code", "message"}}``):

- ``GET /me``, ``GET /me/calendars``;
- events: ``POST /me/calendars/{id}/events`` and ``POST /me/events`` (a repeated ``transactionId`` answers
  the event it made the first time, never a second one), ``GET``/``PATCH``/``DELETE /me/events/{id}``,
  ``POST /me/events/{id}/cancel`` (202);
- ``GET /me/calendars/{id}/calendarView/delta`` (``startDateTime``/``endDateTime`` required, series expanded
  into occurrences, ``@odata.nextLink`` pages, ``@odata.deltaLink`` whose ``$deltatoken`` points into a change
  log, ``@removed`` for deleted events, ``Prefer: outlook.timezone``; an unknown token answers 410);
- ``POST /me/calendar/getSchedule`` (``scheduleItems`` and ``availabilityView`` of the account's calendars);
- OAuth: ``/authorize`` (consent granted at once: redirects with a code), ``/token`` (``authorization_code``
  with PKCE S256 checked, and ``refresh_token``, which rotates the refresh token).

Bearer tokens are checked (401 ``InvalidAuthenticationToken``); ``expire()`` invalidates the current one.
``faults`` answers API calls with those statuses first (an outage: ``[500] * 50``; 429 and 503 carry
``Retry-After: 1``); ``lost_replies`` makes that many event creations take effect but answer 503, as if the reply
was lost, so the SDK's retry of the POST must not make a second event. Every request is logged.
"""

import base64
import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from dateutil import rrule

from testkit.oauth_consent import ConsentScreen
from testkit.server import LocalServer, Reply, Request

API = "/v1.0"
PAGE = 50
WEEKDAYS = {
    "monday": rrule.MO,
    "tuesday": rrule.TU,
    "wednesday": rrule.WE,
    "thursday": rrule.TH,
    "friday": rrule.FR,
    "saturday": rrule.SA,
    "sunday": rrule.SU,
}


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})})


def _error(status: int, code: str, message: str) -> Reply:
    retry = {"Retry-After": "1"} if status in (429, 503) else {}
    return _json({"error": {"code": code, "message": message, "innerError": {}}}, status, retry)


def _moment(value: dict[str, str]) -> datetime:
    """A Graph dateTimeTimeZone as an aware datetime."""
    moment = datetime.fromisoformat(value["dateTime"][:19])
    return moment.replace(tzinfo=ZoneInfo(value.get("timeZone") or "UTC"))


def _as_zone(moment: datetime, zone: str) -> dict[str, str]:
    return {"dateTime": moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": zone}


@dataclass(eq=False)
class GraphEmulator(LocalServer):
    """One mailbox: its calendars (id → name; the first is the default), events, change log and tokens."""

    calendars: dict[str, str] = field(default_factory=lambda: {"AAMkCal": "Calendar"})
    mail: str = "ada@contoso.example"
    client_id: str = "graph-client"
    client_secret: str = "graph-secret"
    refresh_token: str = "graph-refresh-1"
    access_token: str = field(default_factory=lambda: uuid.uuid4().hex)
    revoked: bool = False
    faults: list[int] = field(default_factory=list)
    lost_replies: int = 0
    requests: list[Request] = field(default_factory=list)
    # calendar id → event id → the event as stored (series masters keep their ``recurrence``).
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    _changes: list[tuple[str, str]] = field(default_factory=list)
    _transactions: dict[str, str] = field(default_factory=dict)
    consent: ConsentScreen = field(init=False)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.consent = ConsentScreen(self.client_id)

    @property
    def api_root(self) -> str:
        return f"{self.url}{API}"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    @property
    def authorize_uri(self) -> str:
        return f"{self.url}/authorize"

    @property
    def default_calendar(self) -> str:
        return next(iter(self.calendars))

    def expire(self) -> None:
        """The access token stops working (as after an hour): the next call needs a refresh."""
        self.access_token = uuid.uuid4().hex

    def calls(self, method: str | None = None, contains: str = "") -> int:
        return sum(1 for r in self.requests if (method is None or r.method == method) and contains in r.path)

    def live(self, calendar: str | None = None) -> list[dict[str, Any]]:
        """The events (not series occurrences) that exist in ``calendar`` (default: the default calendar)."""
        return list(self.events.get(calendar or self.default_calendar, {}).values())

    def put_external(self, calendar: str, item: dict[str, Any]) -> dict[str, Any]:
        """An event made by someone else (Graph's shape; ``recurrence`` makes a series)."""
        with self._lock:
            return self._store(calendar, {"id": item.get("id") or self._new_id(), **item})

    def remove_external(self, calendar: str, event_id: str) -> None:
        with self._lock:
            self._remove(calendar, event_id)

    def _new_id(self) -> str:
        return f"AAMkEv{next(self._ids):06d}"

    def _store(self, calendar: str, item: dict[str, Any]) -> dict[str, Any]:
        item.setdefault("iCalUId", f"040000008200E00074C5B7101A82E008{uuid.uuid4().hex}")
        item.setdefault("showAs", "busy")
        item.setdefault("isCancelled", False)
        item.setdefault("isAllDay", False)
        item["type"] = "seriesMaster" if item.get("recurrence") else "singleInstance"
        item["changeKey"] = uuid.uuid4().hex[:12]
        item["lastModifiedDateTime"] = datetime.now(UTC).isoformat()
        self.events.setdefault(calendar, {})[item["id"]] = item
        self._changes.append((calendar, item["id"]))
        return item

    def _where(self, event_id: str) -> str | None:
        return next((c for c, events in self.events.items() if event_id in events), None)

    # -- HTTP ----------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            parts = urlsplit(request.path)
            query = {unquote(k): v[-1] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/authorize":
                return self.consent.authorize(query)
            if parts.path == "/token":
                return self._token(request)
            headers = {k.lower(): v for k, v in request.headers.items()}
            if headers.get("authorization") != f"Bearer {self.access_token}":
                return _error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
            if self.faults:
                status = self.faults.pop(0)
                return _error(status, "ServiceUnavailable" if status >= 500 else "TooManyRequests", "Try later.")
            path = [unquote(p) for p in parts.path.removeprefix(API).split("/") if p]
            body = json.loads(request.body) if request.body else {}
            zone = "UTC" if 'outlook.timezone="UTC"' in headers.get("prefer", "") else None
            return self._route(request.method, path, query, body, zone)

    def _token(self, request: Request) -> Reply:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        refused = _json({"error": "invalid_grant", "error_description": "AADSTS70000: the grant is invalid."}, 400)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return _json({"error": "invalid_client", "error_description": "AADSTS7000215: bad secret."}, 401)
        if form.get("grant_type") == "authorization_code":
            if not self.consent.redeem(form):
                return refused
        elif self.revoked or form.get("refresh_token") != self.refresh_token:
            return refused
        self.access_token = uuid.uuid4().hex
        self.refresh_token = f"graph-refresh-{uuid.uuid4().hex[:8]}"  # rotated on every use
        return _json(
            {
                "token_type": "Bearer",
                "scope": "User.Read Calendars.ReadWrite",
                "expires_in": 3599,
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
            }
        )

    def _route(
        self, method: str, path: list[str], query: dict[str, str], body: dict[str, Any], zone: str | None
    ) -> Reply:
        match method, path:
            case "GET", ["me"]:
                return _json({"id": "me-1", "mail": self.mail, "userPrincipalName": self.mail})
            case "GET", ["me", "calendars"]:
                return _json({"value": [self._calendar(c) for c in self.calendars]})
            case "POST", ["me", "calendars", calendar, "events"]:
                return self._create(calendar, body)
            case "POST", ["me", "events"] | ["me", "calendar", "events"]:
                return self._create(self.default_calendar, body)
            case "GET", ["me", "calendars", calendar, "calendarView", "delta" | "delta()"]:
                return self._delta(calendar, query, zone)
            case "POST", ["me", "calendar", "getSchedule"]:
                return self._schedule(body)
            case "POST", ["me", "events", event_id, "cancel"]:
                calendar = self._where(event_id)
                if calendar is None:
                    return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
                self._remove(calendar, event_id)
                return Reply(202)
            case _, ["me", "events", event_id] | ["me", "calendars", _, "events", event_id]:
                return self._one(method, event_id, body, zone)
        return _error(400, "BadRequest", f"{method} /{'/'.join(path)} is not emulated")

    def _calendar(self, calendar: str) -> dict[str, Any]:
        return {
            "id": calendar,
            "name": self.calendars[calendar],
            "isDefaultCalendar": calendar == self.default_calendar,
            "canEdit": True,
            "owner": {"name": "Ada", "address": self.mail},
        }

    def _remove(self, calendar: str, event_id: str) -> None:
        self.events[calendar].pop(event_id)
        self._changes.append((calendar, event_id))

    def _create(self, calendar: str, body: dict[str, Any]) -> Reply:
        if calendar not in self.calendars:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        transaction = body.get("transactionId")
        existing = self._transactions.get(transaction) if transaction else None
        if existing is not None and self._where(existing) is not None:
            # "for the server to avoid redundant POST operations in case of client retries"
            item = self.events[self._where(existing)][existing]
        else:
            item = self._store(calendar, {**body, "id": self._new_id()})
            if body.get("isOnlineMeeting"):
                item["onlineMeeting"] = {"joinUrl": f"https://teams.example/l/meetup-join/{item['id']}"}
            if transaction:
                self._transactions[transaction] = item["id"]
        if self.lost_replies > 0:
            self.lost_replies -= 1
            return _error(503, "ServiceUnavailable", "The reply was lost on the way.")
        return _json(item, 201)

    def _one(self, method: str, event_id: str, body: dict[str, Any], zone: str | None) -> Reply:
        calendar = self._where(event_id)
        if calendar is None:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        current = self.events[calendar][event_id]
        if method == "GET":
            return _json(self._shown(current, zone))
        if method == "DELETE":
            self._remove(calendar, event_id)
            return Reply(204)
        if method == "PATCH":
            if "transactionId" in body and body["transactionId"] != current.get("transactionId"):
                return _error(400, "ErrorInvalidRequest", "transactionId cannot be changed.")
            return _json(self._shown(self._store(calendar, current | body), zone))
        return _error(405, "ErrorInvalidRequest", f"{method} is not allowed here")

    def _shown(self, item: dict[str, Any], zone: str | None) -> dict[str, Any]:
        if zone is None:
            return item
        return item | {name: _as_zone(_moment(item[name]), zone) for name in ("start", "end") if name in item}

    # -- calendarView ----------------------------------------------------------------------------------------

    def _occurrences(self, item: dict[str, Any], lo: datetime, hi: datetime) -> list[dict[str, Any]]:
        """The single event, or a series' occurrences, that overlap ``[lo, hi)``."""
        start, end = _moment(item["start"]), _moment(item["end"])
        recurrence = item.get("recurrence")
        if not recurrence:
            return [item] if start < hi and end > lo else []
        pattern, limit = recurrence["pattern"], recurrence.get("range", {})
        rule = rrule.rrule(
            rrule.WEEKLY if pattern["type"] == "weekly" else rrule.DAILY,
            dtstart=start,
            interval=int(pattern.get("interval", 1)),
            byweekday=[WEEKDAYS[d] for d in pattern.get("daysOfWeek", [])] or None,
            count=int(limit["numberOfOccurrences"]) if limit.get("type") == "numbered" else None,
            until=datetime.fromisoformat(limit["endDate"]).replace(tzinfo=start.tzinfo)
            if limit.get("type") == "endDate"
            else None,
        )
        found = []
        for begins in rule.between(lo - (end - start), hi, inc=True):
            ends = begins + (end - start)
            if begins < hi and ends > lo:
                occurrence = {k: v for k, v in item.items() if k != "recurrence"}
                zone = item["start"].get("timeZone") or "UTC"
                occurrence |= {
                    "id": f"{item['id']}_{begins.astimezone(UTC):%Y%m%dT%H%M}",
                    "type": "occurrence",
                    "seriesMasterId": item["id"],
                    "start": _as_zone(begins, zone),
                    "end": _as_zone(ends, zone),
                }
                found.append(occurrence)
        return found

    def _view(self, calendar: str, lo: datetime, hi: datetime) -> dict[str, dict[str, Any]]:
        return {
            o["id"]: o
            for item in self.events.get(calendar, {}).values()
            for o in self._occurrences(item, lo, hi)
            if not item.get("isCancelled")
        }

    def _delta(self, calendar: str, query: dict[str, str], zone: str | None) -> Reply:
        if calendar not in self.calendars:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        link = f"{self.api_root}/me/calendars/{calendar}/calendarView/delta"
        if "$skiptoken" in query or "$deltatoken" in query:
            try:
                state = json.loads(base64.urlsafe_b64decode(query.get("$skiptoken") or query["$deltatoken"]))
            except ValueError:
                return _error(410, "SyncStateNotFound", "The sync state was not found; start over.")
        else:
            if "startDateTime" not in query or "endDateTime" not in query:
                return _error(400, "ErrorInvalidParameter", "startDateTime and endDateTime are required.")
            state = {"lo": query["startDateTime"], "hi": query["endDateTime"], "since": None, "page": 0}
        if state.get("since") is not None and state["since"] > len(self._changes):
            return _error(410, "SyncStateNotFound", "The sync state was not found; start over.")
        lo = datetime.fromisoformat(state["lo"].replace("Z", "+00:00"))
        hi = datetime.fromisoformat(state["hi"].replace("Z", "+00:00"))
        view = self._view(calendar, lo, hi)
        if state.get("since") is None:
            items = [self._shown(o, zone) for o in view.values()]
        else:
            touched = dict.fromkeys(e for c, e in self._changes[state["since"] :] if c == calendar)
            items = []
            for event_id in touched:
                mine = [o for o in view.values() if o["id"] == event_id or o.get("seriesMasterId") == event_id]
                items += [self._shown(o, zone) for o in mine] or [{"id": event_id, "@removed": {"reason": "deleted"}}]
        page = state.get("page", 0)
        chunk = items[page * PAGE : (page + 1) * PAGE]
        answer: dict[str, Any] = {"value": chunk}
        if (page + 1) * PAGE < len(items):
            token = base64.urlsafe_b64encode(json.dumps(state | {"page": page + 1}).encode()).decode()
            answer["@odata.nextLink"] = f"{link}?{urlencode({'$skiptoken': token})}"
        else:
            following = {"lo": state["lo"], "hi": state["hi"], "since": len(self._changes), "page": 0}
            token = base64.urlsafe_b64encode(json.dumps(following).encode()).decode()
            answer["@odata.deltaLink"] = f"{link}?{urlencode({'$deltatoken': token})}"
        return _json(answer)

    def _schedule(self, body: dict[str, Any]) -> Reply:
        # Graph reads property names case-insensitively; the SDK sends this action's body in PascalCase.
        body = {k[:1].lower() + k[1:]: v for k, v in body.items()}
        lo, hi = _moment(body["startTime"]), _moment(body["endTime"])
        step = timedelta(minutes=int(body.get("availabilityViewInterval", 30)))
        codes = {"free": "0", "tentative": "1", "busy": "2", "oof": "3", "workingElsewhere": "4"}
        found = []
        for address in body.get("schedules", []):
            if address.lower() != self.mail.lower():
                found.append({"scheduleId": address, "error": {"message": "not found", "responseCode": "Error"}})
                continue
            items = [o for c in self.calendars for o in self._view(c, lo, hi).values()]
            view, slot = "", lo
            while slot < hi:
                shown = [o for o in items if _moment(o["start"]) < slot + step and _moment(o["end"]) > slot]
                view += max((codes.get(o["showAs"], "2") for o in shown), default="0")
                slot += step
            schedule = [
                {
                    "status": o["showAs"],
                    "start": _as_zone(_moment(o["start"]), "UTC"),
                    "end": _as_zone(_moment(o["end"]), "UTC"),
                }
                for o in items
            ]
            found.append({"scheduleId": address, "availabilityView": view, "scheduleItems": schedule})
        return _json({"value": found})

"""A loopback emulator of the HubSpot CRM endpoints Bookflow uses, for tests and benches.

It speaks HubSpot's wire format closely enough for the real ``hubspot-api-client`` to parse every
answer: CRM v3 objects (contacts, companies, deals, meetings: create, batch create/read, read,
update, archive, search), properties, associations v4 (batch create/read, per-object read), owners
and the OAuth token endpoint. Every request is recorded so tests can check what the library sent,
and faults (429 with Retry-After, 5xx) can be injected per method and path.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from testkit.server import LocalServer, Reply, Request

OBJECT_TYPES = ("contacts", "companies", "deals", "meetings")
BATCH_LIMIT = 100

# HubSpot-defined association type ids and their reverse direction (associations are two-way).
REVERSE_TYPE = {1: 2, 2: 1, 279: 280, 280: 279, 4: 3, 3: 4, 200: 199, 199: 200, 188: 187, 187: 188}
REVERSE_TYPE |= {212: 211, 211: 212, 341: 342, 342: 341}


@dataclass(frozen=True)
class PropertyDef:
    """A property definition, as the properties API describes it."""

    name: str
    type: str = "string"  # string, number, date, datetime, enumeration, bool
    field_type: str = "text"  # text, textarea, phonenumber, date, select, booleancheckbox, ...
    options: tuple[str, ...] = ()
    read_only: bool = False


def _defs(*items: PropertyDef | str) -> dict[str, PropertyDef]:
    defs = [PropertyDef(i) if isinstance(i, str) else i for i in items]
    return {d.name: d for d in defs}


_DT = ("datetime", "date")
MEETING_OUTCOMES = ("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED")
# Properties every portal has; anything else must be created through the properties API first,
# as in HubSpot, which answers 400 PROPERTY_DOESNT_EXIST for unknown names.
BUILTIN_PROPERTIES: dict[str, dict[str, PropertyDef]] = {
    "contacts": _defs(
        "email",
        "firstname",
        "lastname",
        "company",
        "hubspot_owner_id",
        PropertyDef("phone", field_type="phonenumber"),
    ),
    "companies": _defs("name", "domain", "hubspot_owner_id"),
    "deals": _defs(
        "dealname",
        "dealstage",
        "pipeline",
        "amount",
        "hubspot_owner_id",
        PropertyDef("hs_is_closed", "bool", "booleancheckbox", read_only=True),
    ),
    "meetings": _defs(
        "hs_meeting_title",
        "hs_meeting_location",
        "hs_meeting_external_url",
        "hubspot_owner_id",
        PropertyDef("hs_meeting_body", field_type="html"),
        PropertyDef("hs_internal_meeting_notes", field_type="html"),
        PropertyDef("hs_timestamp", *_DT),
        PropertyDef("hs_meeting_start_time", *_DT),
        PropertyDef("hs_meeting_end_time", *_DT),
        PropertyDef("hs_meeting_outcome", "enumeration", "select", MEETING_OUTCOMES),
        PropertyDef("hs_createdate", *_DT, read_only=True),
    ),
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _normalize_datetime(value: str) -> str:
    """HubSpot takes epoch milliseconds or ISO 8601 and stores ISO 8601 UTC with milliseconds."""
    if value.isdigit():
        moment = datetime.fromtimestamp(int(value) / 1000, UTC)
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class RecordedRequest:
    """One request as the emulator received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    """An injected failure: the next ``times`` requests matching method and path get ``status``."""

    method: str
    path_pattern: str
    status: int
    times: int
    retry_after: str | None = None


@dataclass
class Association:
    from_type: str
    from_id: str
    to_type: str
    to_id: str
    type_id: int
    category: str = "HUBSPOT_DEFINED"
    label: str | None = None


class ApiError(Exception):
    """An error answer in HubSpot's shape."""

    def __init__(self, status: int, category: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.category, self.message = status, category, message
        self.headers = headers or {}


@dataclass
class EmulatorState:
    """Everything the emulated portal holds; guarded by the emulator's lock."""

    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {t: {} for t in OBJECT_TYPES})
    properties: dict[str, dict[str, PropertyDef]] = field(
        default_factory=lambda: {t: dict(d) for t, d in BUILTIN_PROPERTIES.items()}
    )
    associations: list[Association] = field(default_factory=list)
    owners: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)


class HubSpotEmulator(LocalServer):
    """A threaded HubSpot API server on 127.0.0.1. Use as a context manager or call start/stop."""

    def __init__(self, access_token: str = "emulator-token", token_ttl_seconds: int = 1800):
        self.state = EmulatorState()
        self.state.access_tokens.add(access_token)
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.token_ttl_seconds = token_ttl_seconds
        self._ids = itertools.count(1001)
        self._lock = threading.RLock()

    @property
    def base_url(self) -> str:
        """The API base URL (``HUBSPOT_API_BASE_URL``): the server's URL."""
        return self.url

    # -- seeding and inspection ------------------------------------------------------------------

    def add_object(self, object_type: str, properties: dict[str, str]) -> str:
        """Create a record directly (no request recorded) and return its id."""
        with self._lock:
            return self._create(object_type, properties, seeding=True)["id"]

    def add_owner(self, email: str, first_name: str = "", last_name: str = "") -> str:
        with self._lock:
            owner_id = str(next(self._ids))
            stamp = _now()
            self.state.owners[owner_id] = {
                "id": owner_id,
                "email": email,
                "firstName": first_name,
                "lastName": last_name,
                "userId": int(owner_id) + 50000,
                "type": "PERSON",
                "archived": False,
                "createdAt": stamp,
                "updatedAt": stamp,
                "teams": [],
            }
            return owner_id

    def add_property(self, object_type: str, definition: PropertyDef) -> None:
        """Define a custom property, as a portal admin would in HubSpot's settings."""
        with self._lock:
            self.state.properties[object_type][definition.name] = definition

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int) -> None:
        """Associate two records both ways, as HubSpot does."""
        with self._lock:
            self._associate(Association(from_type, from_id, to_type, to_id, type_id))

    def add_refresh_token(self, refresh_token: str, client_id: str, client_secret: str) -> None:
        with self._lock:
            self.state.refresh_tokens[refresh_token] = (client_id, client_secret)

    def revoke_access_tokens(self) -> None:
        """Expire every access token, so the next call is answered 401 (forces a refresh)."""
        with self._lock:
            self.state.access_tokens.clear()

    def objects(self, object_type: str, *, include_archived: bool = False) -> list[dict[str, Any]]:
        with self._lock:
            records = self.state.objects[object_type].values()
            return [json.loads(json.dumps(r)) for r in records if include_archived or not r["archived"]]

    def associations_of(self, from_type: str, from_id: str, to_type: str) -> list[Association]:
        with self._lock:
            return [
                a
                for a in self.state.associations
                if (a.from_type, a.from_id, a.to_type) == (from_type, from_id, to_type)
            ]

    def inject_fault(
        self, method: str, path_pattern: str, status: int, times: int = 1, retry_after: str | None = None
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (and a Retry-After header)."""
        with self._lock:
            self.faults.append(Fault(method.upper(), path_pattern, status, times, retry_after))

    def requests_to(self, method: str, path_pattern: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method and re.fullmatch(path_pattern, r.path)]

    # -- request handling ------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        """Serve one request: parse its form or JSON body, route it, answer in HubSpot's JSON."""
        parts = urlsplit(request.path)
        content_type = request.headers.get("Content-Type", "")
        body: Any = None
        if request.body and "application/x-www-form-urlencoded" in content_type:
            body = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        elif request.body:
            body = json.loads(request.body)
        recorded = RecordedRequest(
            method=request.method,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        status, payload, headers = self._route(recorded)
        if payload is None:
            return Reply(status, b"", headers)
        headers = {**headers, "Content-Type": "application/json;charset=utf-8"}
        return Reply(status, json.dumps(payload).encode(), headers)

    def _route(self, request: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        """Record and route one request; returns (status, JSON body or None, extra headers)."""
        with self._lock:
            self.requests.append(request)
            fault = self._take_fault(request)
            if fault is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                category = "RATE_LIMITS" if fault.status == 429 else "INTERNAL_ERROR"
                return fault.status, _error_body(category, f"injected {fault.status}"), headers
            try:
                if request.path != "/oauth/v1/token":
                    self._authorize(request)
                for method, pattern, action in _ROUTES:
                    match = re.fullmatch(pattern, request.path)
                    if method == request.method and match:
                        status, body = action(self, request, **match.groupdict())
                        return status, body, {}
                raise ApiError(404, "OBJECT_NOT_FOUND", f"no route for {request.method} {request.path}")
            except ApiError as error:
                return error.status, _error_body(error.category, error.message), error.headers

    def _take_fault(self, request: RecordedRequest) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == request.method and re.fullmatch(fault.path_pattern, request.path):
                fault.times -= 1
                return fault
        return None

    def _authorize(self, request: RecordedRequest) -> None:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ").strip()
        if not header.startswith("Bearer ") or token not in self.state.access_tokens:
            raise ApiError(401, "EXPIRED_AUTHENTICATION", "The OAuth token used to make this call expired")

    # -- object helpers --------------------------------------------------------------------------

    def _check_properties(self, object_type: str, properties: dict[str, Any]) -> dict[str, str]:
        """Validate values as HubSpot does (400 VALIDATION_ERROR naming the property) and normalize them."""
        defs = self.state.properties[object_type]
        clean: dict[str, str] = {}
        for name, value in properties.items():
            definition = defs.get(name)
            text = "" if value is None else str(value)
            problem = _value_problem(definition, text)
            if problem:
                raise ApiError(400, "VALIDATION_ERROR", f"Property values were not valid: {problem} ({name})")
            if definition is not None and definition.type in _DT and text:
                text = _normalize_datetime(text)
            clean[name] = text
        return clean

    def _create(self, object_type: str, properties: dict[str, Any], seeding: bool = False) -> dict[str, Any]:
        # Seeding sets system values (e.g. a deal's read-only hs_is_closed) that API callers cannot.
        clean = (
            {k: str(v) for k, v in properties.items()} if seeding else self._check_properties(object_type, properties)
        )
        if object_type == "contacts" and clean.get("email"):
            clean["email"] = clean["email"].lower()
            existing = self._find_by(object_type, "email", clean["email"])
            if existing is not None:
                raise ApiError(409, "CONFLICT", f"Contact already exists. Existing ID: {existing['id']}")
        object_id = str(next(self._ids))
        stamp = _now()
        record = {
            "id": object_id,
            "properties": {**clean, "hs_object_id": object_id, "createdate": stamp},
            "createdAt": stamp,
            "updatedAt": stamp,
            "archived": False,
        }
        self.state.objects[object_type][object_id] = record
        return record

    def _get(self, object_type: str, object_id: str) -> dict[str, Any]:
        record = self.state.objects.get(object_type, {}).get(object_id)
        if record is None or record["archived"]:
            raise ApiError(404, "OBJECT_NOT_FOUND", f"{object_type} {object_id} not found")
        return record

    def _find_by(self, object_type: str, id_property: str, value: str) -> dict[str, Any] | None:
        for record in self.state.objects[object_type].values():
            stored = record["id"] if id_property in ("hs_object_id", "id") else record["properties"].get(id_property)
            if not record["archived"] and stored is not None and stored.lower() == value.lower():
                return record
        return None

    def _associate(self, association: Association) -> None:
        a = association
        reverse = Association(a.to_type, a.to_id, a.from_type, a.from_id, REVERSE_TYPE.get(a.type_id, a.type_id))
        for item in (a, reverse):
            if item not in self.state.associations:
                self.state.associations.append(item)

    # -- endpoints -------------------------------------------------------------------------------

    def _ep_create(self, request: RecordedRequest, object_type: str) -> tuple[int, Any]:
        record = self._create(object_type, _require(request.body, "properties"))
        return 201, _view(record, None)

    def _ep_batch_create(self, request: RecordedRequest, object_type: str) -> tuple[int, Any]:
        inputs = _batch_inputs(request.body)
        # Validate every input before creating any: HubSpot's batch create is all-or-nothing.
        for item in inputs:
            self._check_properties(object_type, _require(item, "properties"))
        created = [_view(self._create(object_type, item["properties"]), None) for item in inputs]
        return 201, _batch_response(created)

    def _ep_batch_read(self, request: RecordedRequest, object_type: str) -> tuple[int, Any]:
        body = request.body or {}
        id_property = body.get("idProperty") or "hs_object_id"
        properties = body.get("properties") or None
        found, missing = [], []
        for item in _batch_inputs(body):
            record = self._find_by(object_type, id_property, str(_require(item, "id")))
            if record is None:
                missing.append(str(item["id"]))
            else:
                found.append(_view(record, properties))
        response = _batch_response(found)
        if not missing:
            return 200, response
        response["numErrors"] = 1
        response["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "Could not get some " + object_type + " objects, they may be deleted or not exist.",
                "context": {"ids": missing},
            }
        ]
        return 207, response

    def _ep_batch_update(self, request: RecordedRequest, object_type: str) -> tuple[int, Any]:
        inputs = _batch_inputs(request.body)
        records = [self._get(object_type, str(_require(item, "id"))) for item in inputs]
        checked = [self._check_properties(object_type, _require(item, "properties")) for item in inputs]
        stamp = _now()
        for record, properties in zip(records, checked, strict=True):
            record["properties"].update(properties)
            record["updatedAt"] = stamp
        return 200, _batch_response([_view(r, None) for r in records])

    def _ep_get(self, request: RecordedRequest, object_type: str, object_id: str) -> tuple[int, Any]:
        wanted = _query_list(request.query, "properties")
        return 200, _view(self._get(object_type, object_id), wanted or None)

    def _ep_update(self, request: RecordedRequest, object_type: str, object_id: str) -> tuple[int, Any]:
        record = self._get(object_type, object_id)
        record["properties"].update(self._check_properties(object_type, _require(request.body, "properties")))
        record["updatedAt"] = _now()
        return 200, _view(record, None)

    def _ep_archive(self, request: RecordedRequest, object_type: str, object_id: str) -> tuple[int, Any]:
        self._get(object_type, object_id)["archived"] = True
        return 204, None

    def _ep_search(self, request: RecordedRequest, object_type: str) -> tuple[int, Any]:
        body = request.body or {}
        groups = body.get("filterGroups") or []
        if len(groups) > 5:
            raise ApiError(400, "VALIDATION_ERROR", "at most 5 filterGroups")
        records = [r for r in self.state.objects[object_type].values() if not r["archived"]]
        if groups:
            records = [r for r in records if any(_group_matches(r, g) for g in groups)]
        limit = min(int(body.get("limit") or 10), 200)
        start = int(body.get("after") or 0)
        page = records[start : start + limit]
        result: dict[str, Any] = {
            "total": len(records),
            "results": [_view(r, body.get("properties")) for r in page],
        }
        if start + limit < len(records):
            result["paging"] = {"next": {"after": str(start + limit)}}
        return 200, result

    def _ep_property_list(self, request: RecordedRequest, object_type: str) -> tuple[int, Any]:
        return 200, {"results": [_property_view(d) for d in self.state.properties[object_type].values()]}

    def _ep_property_get(self, request: RecordedRequest, object_type: str, name: str) -> tuple[int, Any]:
        definition = self.state.properties[object_type].get(name)
        if definition is None:
            raise ApiError(404, "OBJECT_NOT_FOUND", f"property {name} does not exist")
        return 200, _property_view(definition)

    def _ep_property_create(self, request: RecordedRequest, object_type: str) -> tuple[int, Any]:
        body = request.body or {}
        name = str(_require(body, "name"))
        if name in self.state.properties[object_type]:
            raise ApiError(409, "OBJECT_ALREADY_EXISTS", f"Property named '{name}' already exists.")
        options = tuple(str(o["value"]) for o in body.get("options") or [])
        definition = PropertyDef(name, body.get("type", "string"), body.get("fieldType", "text"), options)
        self.state.properties[object_type][name] = definition
        return 201, _property_view(definition)

    def _ep_assoc_batch_create(self, request: RecordedRequest, from_type: str, to_type: str) -> tuple[int, Any]:
        results = []
        for item in _batch_inputs(request.body):
            from_id, to_id = str(item["from"]["id"]), str(item["to"]["id"])
            self._get(from_type, from_id)
            self._get(to_type, to_id)
            for spec in _require(item, "types"):
                self._associate(
                    Association(
                        from_type,
                        from_id,
                        to_type,
                        to_id,
                        int(spec["associationTypeId"]),
                        spec["associationCategory"],
                    )
                )
            results.append(
                {
                    "fromObjectTypeId": from_type,
                    "fromObjectId": from_id,
                    "toObjectTypeId": to_type,
                    "toObjectId": to_id,
                    "labels": [],
                }
            )
        return 201, _batch_response(results)

    def _ep_assoc_batch_read(self, request: RecordedRequest, from_type: str, to_type: str) -> tuple[int, Any]:
        results = []
        for item in _batch_inputs(request.body):
            from_id = str(_require(item, "id"))
            to = self._associated(from_type, from_id, to_type)
            if to:
                results.append({"from": {"id": from_id}, "to": to})
        return 200, _batch_response(results)

    def _ep_assoc_batch_archive(self, request: RecordedRequest, from_type: str, to_type: str) -> tuple[int, Any]:
        """Remove associations both ways, as HubSpot's are (a seat leaving a meeting)."""
        for item in _batch_inputs(request.body):
            from_id = str(_require(item, "from")["id"])
            gone = {str(t["id"]) for t in _require(item, "to")}

            def linked(a: Association, from_id: str = from_id, gone: set[str] = gone) -> bool:
                forward = (a.from_type, a.from_id, a.to_type) == (from_type, from_id, to_type) and a.to_id in gone
                backward = (a.from_type, a.to_id, a.to_type) == (to_type, from_id, from_type) and a.from_id in gone
                return forward or backward

            self.state.associations = [a for a in self.state.associations if not linked(a)]
        return 204, None

    def _ep_assoc_list(self, request: RecordedRequest, from_type: str, from_id: str, to_type: str) -> tuple[int, Any]:
        self._get(from_type, from_id)
        return 200, {"results": self._associated(from_type, from_id, to_type)}

    def _associated(self, from_type: str, from_id: str, to_type: str) -> list[dict[str, Any]]:
        by_target: dict[str, list[dict[str, Any]]] = {}
        for a in self.associations_of(from_type, from_id, to_type):
            spec = {
                "category": a.category,
                "typeId": a.type_id,
                "label": "Primary" if a.type_id in (1, 2) else None,
            }
            by_target.setdefault(a.to_id, []).append(spec)
        return [{"toObjectId": to_id, "associationTypes": specs} for to_id, specs in by_target.items()]

    def _ep_owner_get(self, request: RecordedRequest, owner_id: str) -> tuple[int, Any]:
        owner = self.state.owners.get(owner_id)
        if owner is None:
            raise ApiError(404, "OBJECT_NOT_FOUND", f"owner {owner_id} not found")
        return 200, owner

    def _ep_owner_page(self, request: RecordedRequest) -> tuple[int, Any]:
        email = (_query_list(request.query, "email") or [None])[0]
        owners = [o for o in self.state.owners.values() if email is None or o["email"].lower() == email.lower()]
        return 200, {"results": owners}

    def _ep_token(self, request: RecordedRequest) -> tuple[int, Any]:
        form = request.body if isinstance(request.body, dict) else {}
        if form.get("grant_type") != "refresh_token":
            raise ApiError(400, "BAD_GRANT_TYPE", "only grant_type=refresh_token is emulated")
        expected = self.state.refresh_tokens.get(str(form.get("refresh_token")))
        if expected is None or expected != (form.get("client_id"), form.get("client_secret")):
            raise ApiError(400, "BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        token = f"emulated-access-{next(self._ids)}"
        self.state.access_tokens.add(token)
        return 200, {
            "access_token": token,
            "refresh_token": form["refresh_token"],
            "token_type": "bearer",
            "expires_in": self.token_ttl_seconds,
        }


Action = Callable[..., tuple[int, Any]]
_OBJ = "(?P<object_type>" + "|".join(OBJECT_TYPES) + ")"
_ROUTES: list[tuple[str, str, Action]] = [
    ("POST", "/oauth/v1/token", HubSpotEmulator._ep_token),
    ("POST", f"/crm/v3/objects/{_OBJ}/search", HubSpotEmulator._ep_search),
    ("POST", f"/crm/v3/objects/{_OBJ}/batch/create", HubSpotEmulator._ep_batch_create),
    ("POST", f"/crm/v3/objects/{_OBJ}/batch/read", HubSpotEmulator._ep_batch_read),
    ("POST", f"/crm/v3/objects/{_OBJ}/batch/update", HubSpotEmulator._ep_batch_update),
    ("POST", f"/crm/v3/objects/{_OBJ}", HubSpotEmulator._ep_create),
    ("GET", f"/crm/v3/objects/{_OBJ}/(?P<object_id>\\d+)", HubSpotEmulator._ep_get),
    ("PATCH", f"/crm/v3/objects/{_OBJ}/(?P<object_id>\\d+)", HubSpotEmulator._ep_update),
    ("DELETE", f"/crm/v3/objects/{_OBJ}/(?P<object_id>\\d+)", HubSpotEmulator._ep_archive),
    ("GET", f"/crm/v3/properties/{_OBJ}/?", HubSpotEmulator._ep_property_list),
    ("GET", f"/crm/v3/properties/{_OBJ}/(?P<name>[A-Za-z0-9_]+)", HubSpotEmulator._ep_property_get),
    ("POST", f"/crm/v3/properties/{_OBJ}", HubSpotEmulator._ep_property_create),
    (
        "POST",
        "/crm/v4/associations/(?P<from_type>\\w+)/(?P<to_type>\\w+)/batch/create",
        HubSpotEmulator._ep_assoc_batch_create,
    ),
    (
        "POST",
        "/crm/v4/associations/(?P<from_type>\\w+)/(?P<to_type>\\w+)/batch/read",
        HubSpotEmulator._ep_assoc_batch_read,
    ),
    (
        "POST",
        "/crm/v4/associations/(?P<from_type>\\w+)/(?P<to_type>\\w+)/batch/archive",
        HubSpotEmulator._ep_assoc_batch_archive,
    ),
    (
        "GET",
        "/crm/v4/objects/(?P<from_type>\\w+)/(?P<from_id>\\d+)/associations/(?P<to_type>\\w+)",
        HubSpotEmulator._ep_assoc_list,
    ),
    ("GET", "/crm/v3/owners/(?P<owner_id>\\d+)", HubSpotEmulator._ep_owner_get),
    ("GET", "/crm/v3/owners/?", HubSpotEmulator._ep_owner_page),
]


def _error_body(category: str, message: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "correlationId": "00000000-emulator", "category": category}


def _require(body: Any, key: str) -> Any:
    if not isinstance(body, dict) or key not in body:
        raise ApiError(400, "VALIDATION_ERROR", f"missing required field {key!r}")
    return body[key]


def _batch_inputs(body: Any) -> list[dict[str, Any]]:
    inputs = _require(body, "inputs")
    if len(inputs) > BATCH_LIMIT:
        raise ApiError(400, "VALIDATION_ERROR", f"at most {BATCH_LIMIT} inputs per batch, got {len(inputs)}")
    return inputs


def _batch_response(results: list[Any]) -> dict[str, Any]:
    stamp = _now()
    return {"status": "COMPLETE", "results": results, "startedAt": stamp, "completedAt": stamp}


def _view(record: dict[str, Any], properties: list[str] | None) -> dict[str, Any]:
    props = record["properties"]
    if properties is not None:
        props = {name: props.get(name) for name in properties}
    return {**record, "properties": dict(props)}


def _property_view(definition: PropertyDef) -> dict[str, Any]:
    options = [{"label": o, "value": o, "hidden": False, "displayOrder": i} for i, o in enumerate(definition.options)]
    return {
        "name": definition.name,
        "label": definition.name,
        "description": "",
        "type": definition.type,
        "fieldType": definition.field_type,
        "groupName": "emulated",
        "options": options,
        "modificationMetadata": {
            "readOnlyValue": definition.read_only,
            "readOnlyDefinition": True,
            "archivable": False,
        },
    }


def _value_problem(definition: PropertyDef | None, text: str) -> str | None:
    """HubSpot's error code for a value the property refuses, or None."""
    if definition is None:
        return "PROPERTY_DOESNT_EXIST"
    if definition.read_only:
        return "READ_ONLY_VALUE"
    if not text:
        return None
    if definition.type in _DT:
        try:
            _normalize_datetime(text)
        except ValueError:
            return f"INVALID_DATE {text!r}"
    if definition.type == "enumeration" and text not in definition.options:
        return f"INVALID_OPTION {text!r}"
    if definition.type == "bool" and text not in ("true", "false"):
        return f"INVALID_BOOLEAN {text!r}"
    return None


def _query_list(query: dict[str, list[str]], key: str) -> list[str]:
    return [part for value in query.get(key, []) for part in value.split(",") if part]


def _group_matches(record: dict[str, Any], group: dict[str, Any]) -> bool:
    return all(_filter_matches(record, f) for f in group.get("filters") or [])


def _filter_matches(record: dict[str, Any], flt: dict[str, Any]) -> bool:
    name = flt["propertyName"]
    value = record["id"] if name == "hs_object_id" else record["properties"].get(name)
    operator = flt.get("operator", "EQ")
    if operator == "EQ":
        return value is not None and value.lower() == str(flt.get("value", "")).lower()
    if operator == "NEQ":
        return value is None or value.lower() != str(flt.get("value", "")).lower()
    if operator == "IN":
        return value is not None and value.lower() in {str(v).lower() for v in flt.get("values") or []}
    if operator == "HAS_PROPERTY":
        return bool(value)
    raise ApiError(400, "VALIDATION_ERROR", f"operator {operator} is not emulated")

"""A Salesforce emulator for tests and benches: HTTPS on loopback, speaking the REST wire format.

It serves what simple-salesforce sends for the adapter: SOAP and OAuth logins, ``query`` (the SOQL subset
of ``testkit.soql``), sObject create / read / update / delete / describe, and ``composite``. Data comes
from a fixture (JSON file or dict: ``{"Account": [...], "Contact": [...], "fields": {...}}``). It counts
API calls (what Salesforce bills against the daily limit; logins are not API calls), sends
``Sforce-Limit-Info`` like the real API, and can add latency and inject failures (a 500, a deleted
field, a permission error, an expired session, a duplicate rule).

    with SalesforceEmulator(fixture) as sf:
        session = sf.requests_session()   # trusts the emulator's CA; login hosts go to loopback
        ...
"""

import itertools
import json
import ssl
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import requests
import trustme
from requests.adapters import HTTPAdapter

from testkit.server import LocalServer, Reply, Request
from testkit.soql import Select, SoqlError, matches, parse

PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "User": "005",
    "Lead": "00Q",
    "Event": "00U",
    "RecordType": "012",
}
_BY_PREFIX = {v: k for k, v in PREFIXES.items()}
# Standard fields per object: name → (type, updateable). Fixtures add custom fields.
_STANDARD: dict[str, dict[str, tuple[str, bool]]] = {
    "User": {"Id": ("id", False), "Email": ("email", True), "Name": ("string", True), "IsActive": ("boolean", True)},
    "RecordType": {"Id": ("id", False), "Name": ("string", True), "DeveloperName": ("string", True)},
    "Account": {
        "Id": ("id", False),
        "Name": ("string", True),
        "Website": ("url", True),
        "OwnerId": ("reference", True),
        "BillingCountry": ("string", True),
        "BillingState": ("string", True),
        "ParentId": ("reference", True),
        "LastActivityDate": ("date", False),
        "CreatedDate": ("datetime", False),
        "RecordTypeId": ("reference", True),
    },
    "Contact": {
        "Id": ("id", False),
        "FirstName": ("string", True),
        "LastName": ("string", True),
        "Email": ("email", True),
        "OwnerId": ("reference", True),
        "AccountId": ("reference", True),
        "RecordTypeId": ("reference", True),
        "Phone": ("phone", True),
        "CreatedDate": ("datetime", False),
    },
    "Lead": {
        "Id": ("id", False),
        "FirstName": ("string", True),
        "LastName": ("string", True),
        "Email": ("email", True),
        "OwnerId": ("reference", True),
        "Company": ("string", True),
        "RecordTypeId": ("reference", True),
        "Phone": ("phone", True),
        "CreatedDate": ("datetime", False),
    },
    "Opportunity": {"Id": ("id", False), "Name": ("string", True), "AccountId": ("reference", True)},
    "Event": {
        "Id": ("id", False),
        "Subject": ("string", True),
        "StartDateTime": ("datetime", True),
        "EndDateTime": ("datetime", True),
        "Description": ("textarea", True),
        "Location": ("string", True),
        "WhoId": ("reference", True),
        "OwnerId": ("reference", True),
        "CreatedDate": ("datetime", False),
    },
}
LOGIN_HOSTS = ("login.salesforce.com", "test.salesforce.com", "acme.my.salesforce.com")


class _Failure(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body


def _error(status: int, code: str, message: str, **extra: Any) -> _Failure:
    return _Failure(status, [{"errorCode": code, "message": message, **extra}])


class SalesforceEmulator(LocalServer):
    """The emulator's state and its HTTPS server (a background thread). Use as a context manager."""

    def __init__(
        self,
        fixture: Mapping[str, Any] | str | Path | None = None,
        *,
        latency_ms: float = 0.0,
        username: str = "integration@bookflow.test",
        password: str = "pw",
        security_token: str = "tok",
    ) -> None:
        self.latency_ms = latency_ms
        self.username, self.password, self.security_token = username, password, security_token
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.data: dict[str, dict[str, dict[str, Any]]] = {o: {} for o in _STANDARD}
        self.schema: dict[str, dict[str, dict[str, Any]]] = {}
        self.calls = 0
        self.logins = 0
        self.login_hosts: list[str] = []
        self.log: list[tuple[str, str]] = []
        self.failures: list[tuple[str, _Failure]] = []  # (path substring, failure), consumed once
        self.duplicate_rules: set[str] = set()
        self.sessions: set[str] = set()
        self.refresh_tokens: set[str] = {"refresh-1"}
        self._load(fixture)
        self._ca = trustme.CA()
        self._ca_file: Path | None = None

    # -- data ---------------------------------------------------------------------------------------

    def _load(self, fixture: Mapping[str, Any] | str | Path | None) -> None:
        if isinstance(fixture, str | Path):
            fixture = json.loads(Path(fixture).read_text())
        fixture = deepcopy(dict(fixture or {}))
        for obj, fields in _STANDARD.items():
            self.schema[obj] = {
                n: {"name": n, "type": t, "updateable": u, "createable": u or n == "Id"} for n, (t, u) in fields.items()
            }
        for obj, extra in (fixture.pop("fields", None) or {}).items():
            self.schema.setdefault(obj, {})
            for f in extra:
                self.schema[obj][f["name"]] = {"updateable": True, "createable": True, **f}
        for obj, rows in fixture.items():
            self.data.setdefault(obj, {})
            self.schema.setdefault(obj, {"Id": {"name": "Id", "type": "id", "updateable": False}})
            for row in rows:
                rec = dict(row)
                rec.setdefault("Id", self._new_id(obj))
                self.data[obj][rec["Id"]] = rec

    def _new_id(self, obj: str) -> str:
        return f"{PREFIXES.get(obj, 'a00')}{next(self._ids):012d}AAA"

    def records(self, obj: str) -> list[dict[str, Any]]:
        """The stored records of one object (copies)."""
        with self._lock:
            return [dict(r) for r in self.data.get(obj, {}).values()]

    def get(self, obj: str, record_id: str) -> dict[str, Any] | None:
        with self._lock:
            rec = self.data.get(obj, {}).get(record_id)
            return dict(rec) if rec else None

    # -- injected conditions --------------------------------------------------------------------------

    def fail_next(
        self,
        path_part: str,
        status: int = 500,
        code: str = "UNKNOWN_EXCEPTION",
        message: str = "An unexpected error occurred.",
    ) -> None:
        """The next request whose path contains ``path_part`` fails with this status and error."""
        self.failures.append((path_part, _error(status, code, message)))

    def delete_field(self, obj: str, name: str) -> None:
        """A field deleted in Salesforce after configuration: gone from describe, writes get INVALID_FIELD."""
        with self._lock:
            self.schema[obj].pop(name, None)

    def make_read_only(self, obj: str, name: str) -> None:
        """The integration user loses edit access to a field (a permission error on write)."""
        with self._lock:
            self.schema[obj][name].update(updateable=False, createable=False)

    def expire_sessions(self) -> None:
        """Every issued session is now invalid (401 INVALID_SESSION_ID)."""
        with self._lock:
            self.sessions.clear()

    def reset_counts(self) -> None:
        with self._lock:
            self.calls = 0
            self.logins = 0
            self.log.clear()

    # -- server ---------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The instance URL (``SALESFORCE_INSTANCE_URL``): the server's https URL."""
        return self.url

    @property
    def ca_file(self) -> str:
        assert self._ca_file is not None, "start() the emulator first"
        return str(self._ca_file)

    def tls_context(self) -> ssl.SSLContext:
        """A certificate from the emulator's own CA, valid for loopback and Salesforce's login hosts."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._ca.issue_cert("127.0.0.1", "localhost", *LOGIN_HOSTS).configure_cert(context)
        return context

    def start(self) -> "SalesforceEmulator":
        """Serve HTTPS and write the CA certificate to a file clients can trust (``ca_file``)."""
        self._ca_file_cm = self._ca.cert_pem.tempfile()
        self._ca_file = Path(self._ca_file_cm.__enter__())
        return super().start()

    def stop(self) -> None:
        super().stop()
        if self._ca_file is not None:
            self._ca_file_cm.__exit__(None, None, None)
            self._ca_file = None

    def requests_session(self) -> requests.Session:
        """A requests.Session trusting the emulator's CA, with Salesforce's login hosts sent to loopback.

        Like ``curl --resolve``: only where the TCP connection goes changes; the URL, Host header and
        TLS name checks are those of the real host.
        """
        s = requests.Session()
        s.trust_env = False  # REQUESTS_CA_BUNDLE and proxy variables would override verify= and loopback
        s.verify = self.ca_file
        for host in LOGIN_HOSTS:
            s.mount(f"https://{host}/", _ResolveAdapter(host, self.port))
        return s

    # -- request handling -----------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        """Serve one request in Salesforce's wire format, with its ``Sforce-Limit-Info`` header."""
        status, out, kind = self._answer(request.method, request.path, request.headers, request.body)
        payload = b"" if out is None else (out.encode() if kind == "xml" else json.dumps(out).encode())
        content_type = "text/xml" if kind == "xml" else "application/json;charset=UTF-8"
        limit_info = f"api-usage={self.calls}/15000"
        return Reply(status, payload, {"Content-Type": content_type, "Sforce-Limit-Info": limit_info})

    def _answer(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, Any, str]:
        """(status, body, content type) for one request."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        url = urlparse(raw_path)
        path = url.path
        with self._lock:
            self.log.append((method, raw_path))
            if path.startswith("/services/Soap/u/"):
                self.logins += 1
                self.login_hosts.append(headers.get("Host", ""))
                return self._soap_login(body)
            if path == "/services/oauth2/token":
                self.logins += 1
                self.login_hosts.append(headers.get("Host", ""))
                return self._oauth(body)
            self.calls += 1
            auth = headers.get("Authorization", "")
            if auth.removeprefix("Bearer ") not in self.sessions:
                return 401, [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}], "json"
            try:
                status, out = self._rest(method, path, url.query, json.loads(body) if body else None)
            except _Failure as f:
                status, out = f.status, f.body
            return status, out, "json"

    def _soap_login(self, body: bytes) -> tuple[int, Any, str]:
        text = body.decode()
        root = ET.fromstring(text)
        user = next((e.text for e in root.iter() if e.tag.endswith("username")), None)
        pw = next((e.text for e in root.iter() if e.tag.endswith("password")), None) or ""
        if user != self.username or pw != self.password + self.security_token:
            fault = (
                "<?xml version='1.0'?><soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/"
                "envelope/' xmlns:sf='urn:fault.partner.soap.sforce.com'><soapenv:Body><soapenv:Fault>"
                "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>INVALID_LOGIN: "
                "Invalid username, password, security token; or user locked out.</sf:exceptionMessage>"
                "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
            )
            return 500, fault, "xml"
        sid = self._issue_session()
        ok = (
            "<?xml version='1.0'?><soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/' "
            "xmlns='urn:partner.soap.sforce.com'><soapenv:Body><loginResponse><result>"
            f"<serverUrl>{self.base_url}/services/Soap/u/59.0/00D000000000001</serverUrl>"
            f"<sessionId>{sid}</sessionId></result></loginResponse></soapenv:Body></soapenv:Envelope>"
        )
        return 200, ok, "xml"

    def _oauth(self, body: bytes) -> tuple[int, Any, str]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        grant = form.get("grant_type")
        if grant == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
            return 200, {"access_token": self._issue_session(), "instance_url": self.base_url}, "json"
        if grant == "password" and form.get("username") == self.username:
            return 200, {"access_token": self._issue_session(), "instance_url": self.base_url}, "json"
        return 400, {"error": "invalid_grant", "error_description": "authentication failure"}, "json"

    def _issue_session(self) -> str:
        sid = f"00D!session{next(self._ids)}"
        self.sessions.add(sid)
        return sid

    def issue_access_token(self) -> str:
        """An access token as an OAuth flow would have produced (for OAuth credentials in tests)."""
        with self._lock:
            return self._issue_session()

    def _rest(self, method: str, path: str, query: str, body: Any) -> tuple[int, Any]:
        for i, (part, failure) in enumerate(self.failures):
            if part in path or part in unquote(query):
                del self.failures[i]
                raise failure
        rest = path.split("/services/data/", 1)[1].split("/", 1)[1] if "/services/data/" in path else ""
        parts = [p for p in rest.split("/") if p]
        if parts[:1] == ["query"]:
            q = parse_qs(query).get("q", [""])[0]
            return 200, self.query(q)
        if parts[:1] == ["composite"] and method == "POST":
            return 200, self._composite(body)
        if parts[:1] == ["sobjects"] and len(parts) >= 2:
            return self._sobject(method, parts[1:], body)
        raise _error(404, "NOT_FOUND", f"The requested resource does not exist: {path}")

    def _composite(self, body: Any) -> dict[str, Any]:
        out = []
        for sub in body.get("compositeRequest", []):
            url = urlparse(sub["url"])
            try:
                status, res = self._rest(sub.get("method", "GET"), url.path, url.query, sub.get("body"))
            except _Failure as f:
                status, res = f.status, f.body
            out.append({"body": res, "httpHeaders": {}, "httpStatusCode": status, "referenceId": sub["referenceId"]})
        return {"compositeResponse": out}

    # -- sObjects -------------------------------------------------------------------------------------

    def _sobject(self, method: str, parts: list[str], body: Any) -> tuple[int, Any]:
        obj = parts[0]
        if obj not in self.schema:
            raise _error(404, "NOT_FOUND", f"The requested resource does not exist: sobjects/{obj}")
        if parts[1:] == ["describe"]:
            return 200, self._describe(obj)
        if len(parts) == 1 and method == "POST":
            return 201, self._create(obj, body or {})
        record_id = parts[1] if len(parts) > 1 else ""
        rec = self.data.get(obj, {}).get(record_id)
        if rec is None:
            raise _error(404, "NOT_FOUND", "The requested resource does not exist")
        if method == "GET":
            return 200, self._render(obj, rec, list(rec))
        if method == "PATCH":
            self._check_writable(obj, body or {}, "updateable")
            rec.update(body or {})
            return 204, None
        if method == "DELETE":
            del self.data[obj][record_id]
            return 204, None
        raise _error(405, "METHOD_NOT_ALLOWED", f"{method} not allowed")

    def _describe(self, obj: str) -> dict[str, Any]:
        fields = []
        for f in self.schema[obj].values():
            fields.append(
                {
                    "name": f["name"],
                    "type": f["type"],
                    "updateable": f.get("updateable", True),
                    "createable": f.get("createable", True),
                    "length": f.get("length", 255),
                    "picklistValues": [{"value": v, "active": True, "label": v} for v in f.get("picklistValues", [])]
                    + [{"value": v, "active": False, "label": v} for v in f.get("inactivePicklistValues", [])],
                }
            )
        return {"name": obj, "fields": fields}

    def _check_writable(self, obj: str, values: Mapping[str, Any], need: str) -> None:
        schema = self.schema[obj]
        for name in values:
            if name not in schema:
                raise _error(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj}")
        denied = [n for n in values if not schema[n].get(need, True)]
        if denied:
            raise _error(
                400,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(denied)}. Please check the security "
                "settings of this field and verify that it is read/write for your profile or "
                "permission set.",
                fields=denied,
            )

    def _create(self, obj: str, values: dict[str, Any]) -> dict[str, Any]:
        self._check_writable(obj, values, "createable")
        if obj in self.duplicate_rules and values.get("Email"):
            dup = next(
                (r for r in self.data[obj].values() if (r.get("Email") or "").lower() == str(values["Email"]).lower()),
                None,
            )
            if dup is not None:
                match = {"matchRecords": [{"record": {"attributes": {"type": obj}, "Id": dup["Id"]}}]}
                raise _error(
                    400, "DUPLICATES_DETECTED", "Use one of these records?", duplicateResult={"matchResults": [match]}
                )
        rec = {**values, "Id": self._new_id(obj), "CreatedDate": _now()}
        self.data.setdefault(obj, {})[rec["Id"]] = rec
        return {"id": rec["Id"], "success": True, "errors": []}

    # -- queries --------------------------------------------------------------------------------------

    def query(self, soql: str) -> dict[str, Any]:
        """Run one SOQL query over the data, as the REST ``query`` resource answers it."""
        try:
            sel = parse(soql)
            rows = self._select(sel)
        except SoqlError as e:
            raise _error(400, e.code, e.message) from None
        return {"totalSize": len(rows), "done": True, "records": rows}

    def _field(self, obj: str, rec: Mapping[str, Any], path: str) -> Any:
        head, _, rest = path.partition(".")
        if not rest:
            if head not in self.schema.get(obj, {}):
                raise SoqlError("INVALID_FIELD", f"No such column '{head}' on entity '{obj}'")
            return rec.get(head)
        id_field = head[:-3] + "__c" if head.endswith("__r") else head + "Id"
        if id_field not in self.schema.get(obj, {}):
            raise SoqlError("INVALID_FIELD", f"Didn't understand relationship '{head}' on entity '{obj}'")
        ref = rec.get(id_field)
        if not ref:
            return None
        target = _BY_PREFIX.get(ref[:3], "")
        parent = self.data.get(target, {}).get(ref)
        return None if parent is None else self._field(target, parent, rest)

    def _select(self, sel: Select) -> list[dict[str, Any]]:
        def run(sub: Select) -> list[Any]:
            return [r[sub.fields[0][0]] for r in self._select(sub)]

        rows = [r for r in self.data.get(sel.obj, {}).values() if matches(sel.where, sel.obj, r, self._field, run)]
        aggregate = any(e.upper().startswith("COUNT(") for e, _ in sel.fields)
        if aggregate:
            return self._aggregate(sel, rows)
        for path, desc in reversed(sel.order_by):
            rows.sort(
                key=lambda r, p=path: (self._field(sel.obj, r, p) is None, self._field(sel.obj, r, p) or ""),
                reverse=desc,
            )
        rows = rows[: sel.limit] if sel.limit is not None else rows
        return [self._render(sel.obj, r, [e for e, _ in sel.fields]) for r in rows]

    def _aggregate(self, sel: Select, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if sel.fields == [("COUNT()", None)]:
            return []  # COUNT() alone answers through totalSize; unused by the adapter
        groups: Counter[tuple[Any, ...]] = Counter(
            tuple(self._field(sel.obj, r, g) for g in sel.group_by) for r in rows
        )
        out = []
        for key, n in groups.items():
            row: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
            expr_i = 0
            for expr, alias in sel.fields:
                if expr.upper().startswith("COUNT("):
                    row[alias or f"expr{expr_i}"] = n
                    expr_i += 1
                else:
                    row[alias or expr.split(".")[-1]] = key[sel.group_by.index(expr)]
            out.append(row)
        out.sort(key=lambda r: [r.get(g.split(".")[-1]) or "" for g in sel.group_by])
        return out[: sel.limit] if sel.limit is not None else out

    def _render(self, obj: str, rec: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": {"type": obj, "url": f"/services/data/v59.0/sobjects/{obj}/{rec['Id']}"}}
        for path in fields:
            head, _, rest = path.partition(".")
            if not rest:
                out[head] = self._field(obj, rec, head)
                continue
            id_field = head[:-3] + "__c" if head.endswith("__r") else head + "Id"
            self._field(obj, rec, path)  # validates the path
            ref = rec.get(id_field)
            parent = self.data.get(_BY_PREFIX.get((ref or "")[:3], ""), {}).get(ref or "")
            if parent is None:
                out[head] = None
                continue
            target = _BY_PREFIX[ref[:3]]
            nested = out.get(head) or {}
            nested.update(self._render(target, parent, [rest]))
            out[head] = nested
        return out


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class _ResolveAdapter(HTTPAdapter):
    """Send one host's requests to a loopback port, keeping the URL's host for Host and TLS checks."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        super().__init__()

    def get_connection_with_tls_context(self, request: Any, verify: Any, proxies: Any = None, cert: Any = None) -> Any:
        pool = super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert)
        pool.host, pool.port = "127.0.0.1", self._port
        pool.conn_kw["server_hostname"] = self._host
        pool.assert_hostname = self._host
        return pool

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        request.headers["Host"] = self._host
        return super().send(request, *args, **kwargs)

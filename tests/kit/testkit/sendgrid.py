"""A loopback SendGrid v3 ``POST /v3/mail/send`` that checks the JSON the sendgrid library sends.

It holds to the documented request schema (personalizations, from, subject, content with text/plain
before text/html, base64 attachments, Bearer auth) and answers like SendGrid: 202 with X-Message-Id,
403 for a sender that is not a verified Sender Identity, 429/5xx when told to fail.
"""

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from testkit.server import LocalServer, Reply, Request


@dataclass
class SentMail:
    to: str
    to_name: str | None
    from_email: str
    from_name: str | None
    subject: str
    text: str
    html: str | None
    attachments: list[dict[str, str]]
    custom_args: dict[str, str]
    message_id: str


class SchemaError(AssertionError):
    pass


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SchemaError(message)


def _parse(body: dict[str, Any], message_id: str) -> SentMail:
    """Check ``body`` against SendGrid's v3 mail/send schema; return what it asks to deliver."""
    personalizations = body.get("personalizations")
    _require(isinstance(personalizations, list) and len(personalizations) == 1, "one personalization expected")
    to = personalizations[0].get("to")
    _require(isinstance(to, list) and len(to) == 1 and "@" in to[0].get("email", ""), "personalizations[0].to")
    sender = body.get("from", {})
    _require("@" in sender.get("email", ""), "from.email missing")
    _require(isinstance(body.get("subject"), str) and body["subject"], "subject missing")
    content = body.get("content")
    _require(isinstance(content, list) and content, "content missing")
    types = [c.get("type") for c in content]
    _require(types[0] == "text/plain", "text/plain must come first (SendGrid rejects otherwise)")
    attachments = body.get("attachments", [])
    for attachment in attachments:
        _require({"content", "filename"} <= attachment.keys(), "attachment needs content and filename")
        base64.b64decode(attachment["content"], validate=True)
    by_type = {c["type"]: c["value"] for c in content}
    return SentMail(
        to=to[0]["email"],
        to_name=to[0].get("name"),
        from_email=sender["email"],
        from_name=sender.get("name"),
        subject=body["subject"],
        text=by_type["text/plain"],
        html=by_type.get("text/html"),
        attachments=attachments,
        custom_args=body.get("custom_args", {}),
        message_id=message_id,
    )


@dataclass(eq=False)
class SendGridEmulator(LocalServer):
    api_key: str
    verified_senders: set[str]
    sent: list[SentMail] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses to answer with, one per request
    delay_next: list[float] = field(default_factory=list)  # seconds to stall before answering (after accepting)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.start()

    def _error(self, status: int, message: str, field_name: str | None = None) -> Reply:
        body = {"errors": [{"message": message, "field": field_name, "help": None}]}
        return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def _scopes(self, request: Request) -> Reply:
        """GET /v3/scopes: the permissions of the calling API key (read-only; used by `ops doctor`)."""
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._error(401, "The provided authorization grant is invalid, expired, or revoked")
        return Reply(200, json.dumps({"scopes": ["mail.send"]}).encode(), {"Content-Type": "application/json"})

    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if request.method == "GET" and request.path == "/v3/scopes":
                return self._scopes(request)
            if request.method != "POST" or request.path != "/v3/mail/send":
                return self._error(404, f"no route {request.method} {request.path}")
            if request.headers.get("Authorization") != f"Bearer {self.api_key}":
                return self._error(401, "The provided authorization grant is invalid, expired, or revoked")
            if self.fail_next:
                status = self.fail_next.pop(0)
                return self._error(status, "Service unavailable" if status >= 500 else "Too many requests")
            try:
                mail = _parse(json.loads(request.body), f"sg-{uuid.uuid4().hex[:16]}")
            except (SchemaError, ValueError, KeyError) as invalid:
                return self._error(400, f"Bad Request: {invalid}")
            if mail.from_email not in self.verified_senders:
                return self._error(
                    403,
                    "The from address does not match a verified Sender Identity. Mail cannot be sent until this "
                    "error is resolved.",
                    "from",
                )
            self.sent.append(mail)
            delay = self.delay_next.pop(0) if self.delay_next else 0.0
        return Reply(202, b"", {"X-Message-Id": mail.message_id}, delay=delay)

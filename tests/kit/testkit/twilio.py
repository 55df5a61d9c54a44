"""A loopback Twilio Messages API (``POST /2010-04-01/Accounts/{sid}/Messages.json``).

It checks what the twilio library sends: HTTP basic auth with the account SID and auth token, a
form-encoded body with To, Body and MessagingServiceSid or From. It answers like Twilio: 201 with the
message resource, 400 with error 21211 for an invalid 'To' number, 21610 for a number that sent STOP.
"""

import json
import threading
import uuid
from base64 import b64decode
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from testkit.server import LocalServer, Reply, Request


@dataclass
class SentSms:
    to: str
    body: str
    sender: dict[str, str]
    sid: str


@dataclass(eq=False)
class TwilioEmulator(LocalServer):
    account_sid: str
    auth_token: str
    invalid_numbers: set[str] = field(default_factory=set)
    unsubscribed: set[str] = field(default_factory=set)
    sent: list[SentSms] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.start()

    def _error(self, status: int, code: int, message: str) -> Reply:
        body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        return b64decode(header[6:]).decode() == f"{self.account_sid}:{self.auth_token}"

    def _account(self, request: Request) -> Reply:
        """GET /2010-04-01/Accounts/{sid}.json: the account (read-only; used by `ops doctor`)."""
        if not self._authorized(request):
            return self._error(401, 20003, "Authenticate")
        body = {"sid": self.account_sid, "friendly_name": "Bookflow test", "status": "active", "type": "Full"}
        return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if request.method == "GET" and request.path == f"/2010-04-01/Accounts/{self.account_sid}.json":
                return self._account(request)
            if request.method != "POST" or request.path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
                return self._error(404, 20404, f"The requested resource {request.path} was not found")
            if not self._authorized(request):
                return self._error(401, 20003, "Authenticate")
            if request.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
                return self._error(400, 20001, "expected a form-encoded body")
            if self.fail_next:
                return self._error(self.fail_next.pop(0), 20500, "Internal Server Error")
            form = {k: v[0] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
            to, body = form.get("To", ""), form.get("Body", "")
            sender = {k: form[k] for k in ("MessagingServiceSid", "From") if k in form}
            if not to or not body or not sender:
                return self._error(400, 21604, "A 'To', 'Body' and 'From' or 'MessagingServiceSid' are required")
            if to in self.invalid_numbers:
                return self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
            if to in self.unsubscribed:
                return self._error(400, 21610, "Attempt to send to unsubscribed recipient")
            sid = "SM" + uuid.uuid4().hex
            self.sent.append(SentSms(to=to, body=body, sender=sender, sid=sid))
        resource = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": sender.get("From"),
            "messaging_service_sid": sender.get("MessagingServiceSid"),
            "body": body,
            "status": "accepted" if "MessagingServiceSid" in sender else "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        return Reply(201, json.dumps(resource).encode(), {"Content-Type": "application/json"})

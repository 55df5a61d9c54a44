"""The OAuth 2.0 authorization-code half every provider emulator shares: consent and the code grant.

``authorize`` plays the consent screen (granted at once): it checks the client and that PKCE is S256, and
redirects to ``redirect_uri`` with a one-time code and the caller's ``state``. ``redeem`` is the token
endpoint's ``authorization_code`` grant: the code once, for the same ``redirect_uri``, with the verifier
whose S256 hash is the challenge.
"""

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from testkit.server import Reply


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636 §4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def json_reply(body: dict, status: int = 200) -> Reply:
    return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


@dataclass
class ConsentScreen:
    """Codes handed out by the consent step, waiting for the token endpoint."""

    client_id: str
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    scopes_seen: list[str] = field(default_factory=list)

    def authorize(self, query: dict[str, str]) -> Reply:
        if query.get("client_id") != self.client_id or query.get("code_challenge_method") != "S256":
            return json_reply({"error": "invalid_request", "error_description": "unknown client or no PKCE S256"}, 400)
        if query.get("response_type") != "code" or not query.get("redirect_uri"):
            return json_reply({"error": "unsupported_response_type"}, 400)
        code = uuid.uuid4().hex
        self.codes[code] = {"challenge": query.get("code_challenge", ""), "redirect_uri": query["redirect_uri"]}
        self.scopes_seen.append(query.get("scope", ""))
        target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")})
        return Reply(302, b"", {"Location": target})

    def redeem(self, form: dict[str, str]) -> bool:
        """Whether the code grant in ``form`` is good (the code is spent either way)."""
        grant = self.codes.pop(form.get("code", ""), None)
        return (
            grant is not None
            and grant["redirect_uri"] == form.get("redirect_uri")
            and s256(form.get("code_verifier", "")) == grant["challenge"]
        )

"""Signing a webhook body: Cal.com's X-Cal-Signature-256 and the Standard Webhooks signature.

Cal.com: lowercase hex HMAC-SHA256 of the exact body bytes with the secret's UTF-8 bytes as key, or
the literal ``no-secret-provided`` when the subscription has no secret.

Standard Webhooks: ``v1,`` + base64 HMAC-SHA256 of ``{webhook-id}.{webhook-timestamp}.{body}``. The
``standardwebhooks`` verifier takes a ``whsec_<base64>`` secret, strips the prefix and base64-decodes
the rest (``b64decode(rest + "==")``). So a subscription secret that has that form is used decoded,
exactly as the verifier will; any other secret (Cal.com's are free text) is used as its UTF-8 bytes,
and the receiver verifies with ``"whsec_" + base64(secret)``.
"""

import base64
import binascii
import hashlib
import hmac

NO_SECRET = "no-secret-provided"


def cal_signature(secret: str | None, body: bytes) -> str:
    """The ``X-Cal-Signature-256`` header value for ``body``."""
    if not secret:
        return NO_SECRET
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_key(secret: str) -> bytes:
    """The HMAC key of the Standard Webhooks signature for ``secret`` (see the module docstring)."""
    if not secret.startswith("whsec_"):
        return secret.encode()
    try:
        key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    except (binascii.Error, ValueError):
        raise ValueError("a whsec_ secret must be base64 after the prefix") from None
    if not key:
        raise ValueError("the whsec_ secret is empty")
    return key


def standard_verifier_secret(secret: str) -> str:
    """The secret a Standard Webhooks verifier must be given to accept our signatures."""
    return secret if secret.startswith("whsec_") else "whsec_" + base64.b64encode(secret.encode()).decode()


def standard_signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secret: str | None, webhook_id: str, timestamp: int, body: bytes, content_type: str, version: str, user_agent: str
) -> dict[str, str]:
    """Every header of one delivery attempt. Without a secret there is no ``webhook-signature``."""
    headers = {
        "Content-Type": content_type,
        "User-Agent": user_agent,
        "X-Cal-Signature-256": cal_signature(secret, body),
        "X-Cal-Webhook-Version": version,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
    }
    if secret:
        headers["webhook-signature"] = standard_signature(secret, webhook_id, timestamp, body)
    return headers

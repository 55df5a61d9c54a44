"""Verifying that a provider event really comes from the provider: Stripe's and Daily's signatures.

Stripe: the ``stripe`` library checks ``Stripe-Signature`` (``t=…,v1=…``: HMAC-SHA256 of
``"{t}.{body}"`` with the endpoint secret) within a 5-minute tolerance.

Daily (docs.daily.co, "Webhooks"): the webhook's ``hmac`` secret is base64; each request carries
``X-Webhook-Timestamp`` and ``X-Webhook-Signature``, the base64 HMAC-SHA256 of ``"{timestamp}.{body}"``
keyed with the decoded secret. Daily has no Python library for this, so it is written out here.
"""

import base64
import binascii
import hashlib
import hmac
import time

import stripe
from pydantic import SecretStr

TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    """The request is not signed by the provider (or too old to trust); the message says which check failed."""


def verify_stripe(body: bytes, header: str | None, secret: SecretStr) -> None:
    """Raise BadSignature unless ``Stripe-Signature`` signs ``body`` with ``secret`` within 5 minutes."""
    try:
        stripe.WebhookSignature.verify_header(body, header, secret.get_secret_value(), TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as error:
        raise BadSignature(f"Stripe-Signature: {error.user_message or error}") from None
    except UnicodeDecodeError:
        raise BadSignature("the body is not UTF-8, so Stripe did not sign it") from None


def _daily_key(secret: SecretStr) -> bytes:
    value = secret.get_secret_value()
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        return value.encode()  # a secret set by hand in plain text


def _seconds(timestamp: str) -> float:
    value = float(timestamp)
    return value / 1000 if value > 100_000_000_000 else value  # milliseconds or seconds


def verify_daily(body: bytes, timestamp: str | None, signature: str | None, secret: SecretStr) -> None:
    """Raise BadSignature unless Daily's headers sign ``body`` with ``secret`` within 5 minutes."""
    if not timestamp or not signature:
        raise BadSignature("X-Webhook-Signature and X-Webhook-Timestamp: both are required")
    try:
        moment = _seconds(timestamp)
    except ValueError:
        raise BadSignature("X-Webhook-Timestamp: not a Unix time") from None
    expected = base64.b64encode(
        hmac.new(_daily_key(secret), timestamp.encode() + b"." + body, hashlib.sha256).digest()
    ).decode()
    if not hmac.compare_digest(expected, signature.strip()):
        raise BadSignature("X-Webhook-Signature: does not match the body")
    if abs(time.time() - moment) > TOLERANCE_SECONDS:
        raise BadSignature("X-Webhook-Timestamp: outside the 5-minute tolerance")

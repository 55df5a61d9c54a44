"""Sending one webhook attempt: SSRF check at send, signing, one POST over pooled connections, logging.

``AttemptSender`` is shared by the dispatcher's first attempts and DeliveryWorkflow's retries, so every
attempt is checked, signed, sent and logged the same way. It re-checks the URL against the SSRF rules,
resolving the host now and connecting to the address it checked, signs the exact bytes and never
follows a redirect. Plain-HTTP requests share one connection pool (keyed by the checked address, so
a pooled connection is only ever one we would open anyway); HTTPS gets a fresh connection per attempt,
because a TLS connection is verified for one host name while the pool is keyed by address. A
semaphore bounds the attempts in flight in this process.
"""

import asyncio
import email.utils
import ipaddress
import logging
import ssl
import time
from datetime import UTC, datetime
from importlib import metadata
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from activities import metrics
from activities.net import Resolver, checked_target, system_resolver
from domain.base import CamelModel
from domain.signing import signed_headers
from domain.triggers import FLAT_TRIGGERS
from domain.url_policy import IPAddress, OutboundPolicy, Target, UnresolvedHost, UrlRefused
from domain.webhooks import (
    RESPONSE_BODY_LIMIT,
    WEBHOOK_VERSION,
    Attempt,
    Delivery,
    DeliveryStatus,
    Outcome,
    Subscription,
    WebhookSettings,
    classify,
    final_status,
)
from store import webhooks as store
from templates.payloads.booking import with_subscription
from templates.webhook_body import JSON_TYPE, TemplateInvalid, compact_json, render_body

log = logging.getLogger("bookflow.webhooks")
# Attempts in flight at once in one worker process (each holds a socket and a little memory).
MAX_IN_FLIGHT = 64
# Idle pooled connections kept per process.
POOL_LIMITS = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=32, keepalive_expiry=30)


def _version() -> str:
    try:
        return metadata.version("bookflow")
    except metadata.PackageNotFoundError:
        return "0.1.0"


USER_AGENT = f"Bookflow/{_version()} (+webhooks)"


def now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


class SentAttempt(CamelModel):
    """One attempt as sent: its log entry, and the receiver's Retry-After (seconds) if it gave one."""

    attempt: Attempt
    retry_after: float | None = None


class _Response(CamelModel):
    status_code: int | None = None
    body: str | None = None
    retry_after: float | None = None
    error: str | None = None


def subscriber_policy(allow_private: bool) -> OutboundPolicy:
    """The outbound URL policy for webhook subscribers: private targets only in self-hosted mode."""
    return OutboundPolicy(allow_private, private_switch="BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE=true")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - now()).total_seconds())


def _pinned_url(target: Target, address: IPAddress) -> str:
    """``target``'s URL with its host replaced by the address we checked (no second DNS lookup)."""
    parts = urlsplit(target.url.strip())
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    return urlunsplit((parts.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def content_of(body: dict, sub: Subscription) -> tuple[bytes, str]:
    """The bytes to send: the subscriber's template if any (never for MEETING_*), else the JSON body."""
    personal = with_subscription(body, sub.echo())
    if sub.payload_template and personal.get("triggerEvent") not in FLAT_TRIGGERS:
        return render_body(sub.payload_template, personal)
    return compact_json(personal), JSON_TYPE


async def _head_of_body(reply: httpx.Response) -> str:
    """The first RESPONSE_BODY_LIMIT bytes of the response body, decoded leniently."""
    received = b""
    async for chunk in reply.aiter_raw():
        received += chunk
        if len(received) >= RESPONSE_BODY_LIMIT:
            break
    return received[:RESPONSE_BODY_LIMIT].decode("utf-8", errors="replace")


class AttemptSender:
    """Sends attempts (never raising for HTTP or policy problems) and logs them."""

    def __init__(self, settings: WebhookSettings, resolver: Resolver = system_resolver) -> None:
        self._settings, self._resolve = settings, resolver
        self._tls = ssl.create_default_context()
        # Created on first use, inside the worker's event loop.
        self._pool: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None

    async def attempt(
        self, delivery: Delivery, sub: Subscription | None, body: dict | None, series: int, number: int
    ) -> SentAttempt:
        """Send attempt ``number`` of ``series`` (abandoned without a request when ``sub`` is off)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        started, clock = now(), time.perf_counter()
        if sub is None or not sub.active:
            response, outcome = _Response(error="the subscription was deleted or deactivated"), Outcome.ABANDONED
        else:
            async with self._slots:
                response, outcome = await self._send(delivery, sub, body or {})
        attempt = Attempt(
            delivery_id=delivery.id,
            series=series,
            number=number,
            at=started,
            status_code=response.status_code,
            latency_ms=round((time.perf_counter() - clock) * 1000, 2),
            response_body=response.body,
            error=response.error,
            outcome=outcome,
        )
        return SentAttempt(attempt=attempt, retry_after=response.retry_after)

    async def _send(self, delivery: Delivery, sub: Subscription, body: dict) -> tuple[_Response, Outcome]:
        try:
            policy = subscriber_policy(self._settings.allow_private)
            target, addresses = await checked_target(sub.subscriber_url, policy, self._resolve)
        except UnresolvedHost as unresolved:
            return _Response(error=str(unresolved)), Outcome.RETRY
        except UrlRefused as refused:
            return _Response(error=f"refused by the URL policy: {refused}"), Outcome.FAILED
        try:
            content, content_type = content_of(body, sub)
        except TemplateInvalid as invalid:  # e.g. the sandbox refused an attribute: retrying cannot help
            return _Response(error=f"the payload template failed: {invalid}"), Outcome.FAILED
        secret = sub.secret.get_secret_value() if sub.secret else None
        headers = signed_headers(
            secret, delivery.id, int(time.time()), content, content_type, WEBHOOK_VERSION, USER_AGENT
        )
        response = await self._post(target, addresses[0], content, headers)
        return response, classify(response.status_code)

    def _client(self) -> httpx.AsyncClient:
        # trust_env=False: a proxy from the environment would bypass the address we checked.
        return httpx.AsyncClient(
            verify=self._tls,
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(self._settings.timeout_seconds),
            limits=POOL_LIMITS,
        )

    async def _post(self, target: Target, address: IPAddress, content: bytes, headers: dict[str, str]) -> _Response:
        if target.scheme == "https":
            async with self._client() as http:
                return await self._exchange(http, target, address, content, headers)
        if self._pool is None:
            self._pool = self._client()
        return await self._exchange(self._pool, target, address, content, headers)

    async def _exchange(
        self, http: httpx.AsyncClient, target: Target, address: IPAddress, content: bytes, headers: dict[str, str]
    ) -> _Response:
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        headers = headers | {"Host": _host_header(target)}
        url = _pinned_url(target, address)
        try:
            async with http.stream("POST", url, content=content, headers=headers, extensions=extensions) as reply:
                text = await _head_of_body(reply)
                return _Response(
                    status_code=reply.status_code,
                    body=text,
                    retry_after=_retry_after(reply.headers.get("retry-after")),
                )
        except httpx.HTTPError as failed:
            return _Response(error=f"{type(failed).__name__}: {failed}" if str(failed) else type(failed).__name__)


def status_after(outcome: Outcome, last: bool) -> DeliveryStatus:
    """The delivery's status once an attempt with ``outcome`` is logged (``last``: no retry follows)."""
    return final_status(outcome) if outcome is not Outcome.RETRY or last else DeliveryStatus.RETRYING


async def log_attempt(session: AsyncSession, delivery: Delivery, sent: Attempt, last: bool, new: bool = False) -> None:
    """Log one attempt and move its delivery on; a 410 also deactivates the subscription.

    ``new``: the delivery is not stored yet; it is inserted with this attempt (its first) already counted.
    """
    if new:
        store.add_attempted(session, delivery, sent, status_after(sent.outcome, last))
    else:
        await store.record_attempt(session, sent, status_after(sent.outcome, last))
    if sent.outcome is Outcome.GONE:
        await store.deactivate(session, delivery.subscription_id, sent.at)


def count_attempt(delivery: Delivery, sent: Attempt) -> None:
    """Count a logged attempt in the metrics (a delivered one with its latency since the event)."""
    if sent.outcome is Outcome.GONE:
        log.warning("subscription %s answered 410 Gone and was deactivated", delivery.subscription_id)
    since_event = (now() - delivery.created_at).total_seconds()
    metrics.delivery_outcome(sent.outcome.value, since_event if sent.outcome is Outcome.DELIVERED else None)

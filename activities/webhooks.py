"""Webhook delivery I/O: finding subscribers and starting deliveries, and each HTTP attempt.

``WebhookDispatcher`` is the BookingActivities' EventDispatcher: for every recorded event it finds the
active subscriptions (instance, user and event-type scope, one per subscriber URL), records a delivery
for each and starts its DeliveryWorkflow. ``WebhookActivities.attempt_delivery`` sends one attempt:
it re-checks the URL against the SSRF rules, resolving the host now and connecting to the address it
checked, signs the exact bytes, never follows a redirect, and logs the attempt.
"""

import contextlib
import email.utils
import ipaddress
import logging
import ssl
import time
import uuid
from datetime import UTC, datetime
from importlib import metadata
from urllib.parse import urlsplit, urlunsplit

import httpx
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from domain.base import CamelModel
from domain.booking import BookingEvent
from domain.payloads import ping_body, with_subscription
from domain.signing import signed_headers
from domain.triggers import FLAT_TRIGGERS
from domain.url_policy import IPAddress, Resolver, Target, UnresolvedHost, UrlRefused, check_url, system_resolver
from domain.webhooks import (
    RESPONSE_BODY_LIMIT,
    WEBHOOK_VERSION,
    Attempt,
    Delivery,
    DeliveryInput,
    DeliveryStatus,
    Outcome,
    Subscription,
    WebhookSettings,
    classify,
    delivery_id,
    final_status,
    workflow_id,
)
from store import bookings, events
from store import webhooks as store
from store.db import Database
from templates.webhook_body import JSON_TYPE, TemplateInvalid, compact_json, render_body

log = logging.getLogger("bookflow.webhooks")
DELIVERY_WORKFLOW = "DeliveryWorkflow"


def _version() -> str:
    try:
        return metadata.version("bookflow")
    except metadata.PackageNotFoundError:
        return "0.1.0"


USER_AGENT = f"Bookflow/{_version()} (+webhooks)"


class AttemptRequest(CamelModel):
    delivery_id: str
    series: int
    number: int
    # The schedule's last attempt records the final status itself (no separate finishing activity).
    last: bool = False


class AttemptResult(CamelModel):
    outcome: Outcome
    status_code: int | None = None
    retry_after: float | None = None


class FinishRequest(CamelModel):
    delivery_id: str
    status: DeliveryStatus


def _now() -> datetime:
    return datetime.now(UTC)


class WebhookDispatcher:
    """Starts one DeliveryWorkflow per (event, subscriber); safe to call again for the same event."""

    def __init__(self, db: Database, client: Client, task_queue: str, settings: WebhookSettings) -> None:
        self._db, self._client, self._task_queue, self._settings = db, client, task_queue, settings

    async def dispatch(self, event: BookingEvent) -> None:
        """Deliver ``event`` to every subscriber (EventDispatcher)."""
        async with self._db.sessions() as session:
            organizer, event_type = event.organizer_id, event.event_type_id
            if organizer is None and (booking := await bookings.get(session, event.booking_uid)) is not None:
                organizer, event_type = booking.organizer.id, booking.event_type.id
            subscribers = await store.subscribers_for(session, event.trigger, organizer, event_type)
        if not subscribers:
            return
        deliveries = [
            Delivery(
                id=delivery_id(event.event_id, sub.id),
                event_id=event.event_id,
                subscription_id=sub.id,
                trigger=event.trigger,
                created_at=event.created_at,
                updated_at=event.created_at,
            )
            for sub in subscribers
        ]
        async with self._db.transaction() as session:
            for delivery in deliveries:
                await store.add_delivery(session, delivery)
        for delivery in deliveries:
            await self._start(delivery, series=1)

    async def _start(self, delivery: Delivery, series: int) -> str:
        wf_id = workflow_id(delivery.event_id, delivery.subscription_id, series)
        start = DeliveryInput(
            delivery_id=delivery.id,
            series=series,
            schedule=self._settings.schedule,
            jitter=self._settings.jitter,
            timeout_seconds=self._settings.timeout_seconds,
        )
        # Already started (a retried dispatch or a second redelivery click): nothing to do.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self._client.start_workflow(
                DELIVERY_WORKFLOW,
                start,
                id=wf_id,
                task_queue=self._task_queue,
                # A finished delivery must not run again under the same id: that would deliver twice.
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                request_eager_start=True,
            )
        return wf_id

    async def redeliver(self, delivery_id_: str) -> str:
        """Start a new attempt series for a delivery (same webhook-id); returns the workflow id."""
        async with self._db.transaction() as session:
            series = await store.start_series(session, delivery_id_, _now())
            delivery = await store.get_delivery(session, delivery_id_)
        assert delivery is not None
        return await self._start(delivery, series)

    async def ping(self, subscription_id: str) -> str:
        """Send a test event to one subscription; returns the delivery id."""
        async with self._db.transaction() as session:
            sub = await store.get_subscription(session, subscription_id)
            if sub is None:
                raise KeyError(subscription_id)
            now = _now()
            event_id = f"ping:{uuid.uuid4().hex}"
            delivery = Delivery(
                id=delivery_id(event_id, sub.id),
                event_id=event_id,
                subscription_id=sub.id,
                trigger="PING",
                created_at=now,
                updated_at=now,
                body=ping_body(now),
            )
            await store.add_delivery(session, delivery)
        await self._start(delivery, series=1)
        return delivery.id


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
    return max(0.0, (moment - _now()).total_seconds())


def _pinned_url(target: Target, address: IPAddress) -> str:
    """``target``'s URL with its host replaced by the address we checked (no second DNS lookup)."""
    parts = urlsplit(target.url.strip())
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    return urlunsplit((parts.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


class _Response(CamelModel):
    status_code: int | None = None
    body: str | None = None
    retry_after: float | None = None
    error: str | None = None


class WebhookActivities:
    def __init__(self, db: Database, settings: WebhookSettings, resolver: Resolver = system_resolver) -> None:
        self._db, self._settings, self._resolve = db, settings, resolver
        self._tls = ssl.create_default_context()

    @activity.defn
    async def attempt_delivery(self, request: AttemptRequest) -> AttemptResult:
        """Send one attempt of a delivery, log it, and say what it means (never raises for HTTP)."""
        async with self._db.sessions() as session:
            delivery = await store.get_delivery(session, request.delivery_id)
            if delivery is None:
                raise ApplicationError(f"delivery {request.delivery_id} does not exist", non_retryable=True)
            sub = await store.get_subscription(session, delivery.subscription_id)
            event = None if delivery.body is not None else await events.get(session, delivery.event_id)
        started, clock = _now(), time.perf_counter()
        if sub is None or not sub.active:
            response, outcome = _Response(error="the subscription was deleted or deactivated"), Outcome.ABANDONED
        else:
            body = delivery.body if delivery.body is not None else event.body if event else None
            if body is None:
                raise ApplicationError(f"event {delivery.event_id} is not in the event log", non_retryable=True)
            response, outcome = await self._send(delivery, sub, body)
        attempt = Attempt(
            delivery_id=delivery.id,
            series=request.series,
            number=request.number,
            at=started,
            status_code=response.status_code,
            latency_ms=round((time.perf_counter() - clock) * 1000, 2),
            response_body=response.body,
            error=response.error,
            outcome=outcome,
        )
        settled = outcome is not Outcome.RETRY or request.last
        status = final_status(outcome) if settled else DeliveryStatus.RETRYING
        async with self._db.transaction() as session:
            await store.record_attempt(session, attempt, status)
            if outcome is Outcome.GONE:
                await store.deactivate(session, delivery.subscription_id, attempt.at)
        if outcome is Outcome.GONE:
            log.warning("subscription %s answered 410 Gone and was deactivated", delivery.subscription_id)
        return AttemptResult(outcome=outcome, status_code=response.status_code, retry_after=response.retry_after)

    @activity.defn
    async def finish_delivery(self, request: FinishRequest) -> None:
        """Record a delivery's final status."""
        async with self._db.transaction() as session:
            await store.set_status(session, request.delivery_id, request.status, _now())

    async def _send(self, delivery: Delivery, sub: Subscription, body: dict) -> tuple[_Response, Outcome]:
        try:
            target, addresses = await check_url(sub.subscriber_url, self._settings.allow_private, self._resolve)
        except UnresolvedHost as unresolved:
            return _Response(error=str(unresolved)), Outcome.RETRY
        except UrlRefused as refused:
            return _Response(error=f"refused by the URL policy: {refused}"), Outcome.FAILED
        try:
            content, content_type = _content(body, sub)
        except TemplateInvalid as invalid:  # e.g. the sandbox refused an attribute: retrying cannot help
            return _Response(error=f"the payload template failed: {invalid}"), Outcome.FAILED
        secret = sub.secret.get_secret_value() if sub.secret else None
        headers = signed_headers(
            secret, delivery.id, int(time.time()), content, content_type, WEBHOOK_VERSION, USER_AGENT
        )
        response = await self._post(target, addresses[0], content, headers)
        return response, classify(response.status_code)

    async def _post(self, target: Target, address: IPAddress, content: bytes, headers: dict[str, str]) -> _Response:
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        headers = headers | {"Host": _host_header(target)}
        timeout = httpx.Timeout(self._settings.timeout_seconds)
        # trust_env=False: a proxy from the environment would bypass the address we checked.
        async with httpx.AsyncClient(
            verify=self._tls, trust_env=False, follow_redirects=False, timeout=timeout
        ) as http:
            try:
                async with http.stream(
                    "POST", _pinned_url(target, address), content=content, headers=headers, extensions=extensions
                ) as reply:
                    text = await _head_of_body(reply)
                    return _Response(
                        status_code=reply.status_code,
                        body=text,
                        retry_after=_retry_after(reply.headers.get("retry-after")),
                    )
            except httpx.HTTPError as failed:
                return _Response(error=f"{type(failed).__name__}: {failed}" if str(failed) else type(failed).__name__)


async def _head_of_body(reply: httpx.Response) -> str:
    """The first RESPONSE_BODY_LIMIT bytes of the response body, decoded leniently."""
    received = b""
    async for chunk in reply.aiter_raw():
        received += chunk
        if len(received) >= RESPONSE_BODY_LIMIT:
            break
    return received[:RESPONSE_BODY_LIMIT].decode("utf-8", errors="replace")


def _content(body: dict, sub: Subscription) -> tuple[bytes, str]:
    """The bytes to send: the subscriber's template if any (never for MEETING_*), else the JSON body."""
    personal = with_subscription(body, sub.echo())
    if sub.payload_template and personal.get("triggerEvent") not in FLAT_TRIGGERS:
        return render_body(sub.payload_template, personal)
    return compact_json(personal), JSON_TYPE

"""The metrics endpoint of a spawned `bookflow worker` shows every family moved by real work; tracing
reaches an OTLP receiver."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities import metrics
from domain.config import Host
from domain.reminders import ReminderWorkflow
from domain.triggers import Trigger
from domain.webhooks import Attempt, Delivery, DeliveryStatus, Outcome, Subscription
from store import messages, webhooks
from store.db import Database
from testkit.hubspot import HubSpotEmulator
from testkit.processes import process_env, spawned_worker
from testkit.sendgrid import SendGridEmulator
from testkit.server import LoopbackServer, Reply, Request
from testkit.stack import Stack, event_type, eventually, running_api, seed, soon
from tests.crm_integration.support import routing_form
from tests.ops.support import SENDER, SENDGRID_KEY, ops_stack, outbox_settings
from worker import delivery_health, telemetry

HUBSPOT_TOKEN = "pat-na1-telemetry"
BOOKED, ROUTED = 81, 82
PHONE = "+14155550123"
Samples = dict[tuple[str, tuple], float]


def _declared_families() -> dict[str, str]:
    """Every family activities/metrics.py declares, with the sample that counts it (…_total or …_count)."""
    declared = [m for m in vars(metrics).values() if isinstance(m, MetricWrapperBase)]
    assert len(declared) >= 10, declared  # bookings 2, webhooks 2, reminders 3, CRM 2, routing 1
    described = [m.describe()[0] for m in declared]
    return {f.name: f.name + ("_count" if f.type == "histogram" else "_total") for f in described}


def _samples(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _scrape(url: str) -> Samples:
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200
    return _samples(response.text)


def _total(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


def _reminders() -> ReminderWorkflow:
    """A confirmation email (sent), and an SMS to an attendee who had sent STOP (skipped: opted out)."""
    return ReminderWorkflow.model_validate(
        {
            "id": 1,
            "name": "confirmation",
            "trigger": {"type": "newEvent"},
            "steps": [
                {"stepNumber": 1, "action": "email_attendee"},
                {"stepNumber": 2, "action": "sms_attendee"},
            ],
        }
    )


def _worker_env(
    env: WorkflowEnvironment, db: Database, task_queue: str, data_dir: Path, sendgrid: str, hubspot: str
) -> dict[str, str]:
    """The environment of `bookflow worker`: the test's dev server and store, the providers' emulators."""
    return process_env(
        env.client.service_client.config.target_host,
        env.client.namespace,
        db.url,
        task_queue,
        data_dir,
        SENDGRID_API_KEY=SENDGRID_KEY,
        SENDGRID_EMAIL=SENDER,
        BOOKFLOW_SENDGRID_HOST=sendgrid,
        HUBSPOT_ACCESS_TOKEN=HUBSPOT_TOKEN,
        HUBSPOT_API_BASE_URL=hubspot,
    )


async def _book_route_and_subscribe(stack: Stack, healthy: str, failing: str) -> dict[str, str]:
    subscriptions = {}
    for name, url in (("healthy", healthy), ("failing", failing)):
        answer = await stack.http.post("/v2/webhooks", json={"subscriberUrl": url, "triggers": ["BOOKING_CREATED"]})
        assert answer.status_code == 201, answer.text
        async with stack.db.sessions() as session:  # metrics label a subscription by its string id
            stored = await webhooks.get_subscription(session, str(answer.json()["data"]["id"]))
        subscriptions[name] = stored.id
    async with stack.db.transaction() as session:
        await messages.set_opt_out(session, PHONE, True, datetime.now(UTC), "twilio:21610")
    attendee = {"name": "Bo Booker", "email": "bo@acme.com", "timeZone": "Europe/Rome", "phoneNumber": PHONE}
    await stack.book(BOOKED, soon(3600).replace(microsecond=0), attendee=attendee)
    assert (await stack.http.post("/v2/routing-forms", json=routing_form(ROUTED))).status_code == 201
    submitted = await stack.http.post("/v2/routing-forms/crm-form/responses", json={"email": "kim@acme.com"})
    assert submitted.status_code == 201, submitted.text
    return subscriptions


def _short(samples: Samples, subscriptions: dict[str, str]) -> list[str]:
    """The expected movements not (yet) shown: each family moved for the reason its name gives."""
    expected = [
        ("bookflow_events_recorded_total", {"trigger": "BOOKING_CREATED"}, 1),
        ("bookflow_booking_transitions_total", {"status": "ACCEPTED"}, 1),
        ("bookflow_webhook_deliveries_total", {"outcome": "delivered"}, 1),
        ("bookflow_webhook_deliveries_total", {"outcome": "retry"}, 1),
        ("bookflow_webhook_delivery_latency_seconds_count", {}, 1),
        ("bookflow_reminders_sent_total", {"channel": "email", "provider": "sendgrid"}, 1),
        ("bookflow_reminder_lateness_seconds_count", {}, 1),
        ("bookflow_reminders_skipped_total", {"reason": "opted_out"}, 1),
        # The 429 is one failed call; Temporal's retry after its Retry-After is the second.
        ("bookflow_crm_calls_total", {"provider": "hubspot", "operation": "created"}, 2),
        ("bookflow_crm_errors_total", {"provider": "hubspot", "operation": "created"}, 1),
        ("bookflow_crm_calls_total", {"provider": "hubspot", "operation": "find_owner"}, 1),
        ("bookflow_routing_decisions_total", {"route": "fallback"}, 1),
        # The outage is visible while the deliveries retry: per subscription, and in total.
        (delivery_health.SUBSCRIPTION_FAILING, {"subscription": subscriptions["failing"]}, 1),
        (delivery_health.DELIVERIES_FAILING, {}, 1),
    ]
    return [f"{name}{labels} < {least}" for name, labels, least in expected if _total(samples, name, **labels) < least]


async def test_a_spawned_worker_serves_every_family_moved_by_real_work(
    temporal_env: WorkflowEnvironment, sqlite_db: Database, task_queue: str, tmp_path: Path
):
    families = _declared_families()
    healthy = LoopbackServer(lambda _r: Reply(200, b"ok"))
    failing = LoopbackServer(lambda _r: Reply(500, b"down"))
    sendgrid = SendGridEmulator(api_key=SENDGRID_KEY, verified_senders={SENDER})
    with HubSpotEmulator(access_token=HUBSPOT_TOKEN) as hubspot:
        owner = hubspot.add_owner("ada@example.com")
        hubspot.add_object("contacts", {"email": "kim@acme.com", "hubspot_owner_id": owner})
        # One refused CRM call (counted as an error), which Temporal retries after its Retry-After.
        hubspot.inject_fault("POST", "/crm/v3/objects/meetings", status=429, times=1, retry_after="1")
        await seed(
            sqlite_db,
            event_type(BOOKED, workflows=[_reminders()], crm_sync=["hubspot"]),
            event_type(ROUTED, hosts=[Host(user_id=1)], scheduling_type="roundRobin", crm_owner_lookup="hubspot"),
        )
        env = _worker_env(temporal_env, sqlite_db, task_queue, tmp_path, sendgrid.url, hubspot.base_url)
        try:
            async with (
                spawned_worker("worker", env, tmp_path) as worker,
                running_api(temporal_env.client, sqlite_db, task_queue) as stack,
            ):
                await worker.wait_ready()
                url = worker.url + "/metrics"
                before = await _scrape(url)
                assert all(_total(before, sample) == 0 for sample in families.values()), before
                subs = await _book_route_and_subscribe(stack, healthy.url, failing.url)

                def moved(s: Samples) -> bool:
                    return all(_total(s, sample) > 0 for sample in families.values()) and not _short(s, subs)

                after = await eventually(lambda: _scrape(url), moved, timeout=90)
        finally:
            for server in (healthy, failing, sendgrid):
                server.close()
    assert _short(after, subs) == []
    # Exactly once where once is right; the healthy subscription is not failing.
    assert _total(after, "bookflow_reminders_sent_total", channel="email", provider="sendgrid") == 1
    assert _total(after, "bookflow_reminders_skipped_total", reason="opted_out") == 1
    assert _total(after, "bookflow_crm_errors_total", provider="hubspot", operation="created") == 1
    assert _total(after, "bookflow_routing_decisions_total", route="fallback") == 1
    assert _total(after, delivery_health.SUBSCRIPTION_FAILING, subscription=subs["healthy"]) == 0
    assert len(sendgrid.sent) == 1
    # Temporal's own metrics, about this worker's task queue, from the same endpoint.
    sdk = {name for name, labels in after if name.startswith("temporal_") and ("task_queue", task_queue) in labels}
    assert any("workflow_completed" in n or "workflow_task" in n for n in sdk), sorted(sdk)[:20]


async def _gauges(health: delivery_health.DeliveryHealth) -> Samples:
    """Collect as the metrics server does: from another thread than the store's loop."""
    families = await asyncio.to_thread(lambda: list(health.collect()))
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


async def test_failing_gauges_follow_the_store_from_first_failure_to_recovery(sqlite_db: Database):
    now = datetime.now(UTC)
    health = delivery_health.DeliveryHealth()
    async with sqlite_db.transaction() as session:
        for sub in ("sub-down", "sub-up"):
            await webhooks.save_subscription(
                session,
                Subscription(
                    id=sub,
                    subscriber_url="http://127.0.0.1:9/",
                    triggers=[Trigger.BOOKING_CREATED],
                    created_at=now,
                    updated_at=now,
                ),
            )
        for n in (1, 2):
            await webhooks.add_delivery(
                session,
                Delivery(
                    id=f"d-{n}",
                    event_id=f"e-{n}",
                    subscription_id="sub-down",
                    trigger="BOOKING_CREATED",
                    created_at=now,
                    updated_at=now,
                ),
            )

    async def attempt(delivery: str, outcome: Outcome, status: DeliveryStatus) -> None:
        async with sqlite_db.transaction() as session:
            record = Attempt(delivery_id=delivery, series=1, number=1, at=now, latency_ms=1, outcome=outcome)
            await webhooks.record_attempt(session, record, status)

    assert await _gauges(health) == {}  # no worker watching: nothing served
    async with health.watching(sqlite_db):
        failing = ("bookflow_webhook_subscription_failing", (("subscription", "sub-down"),))
        healthy = ("bookflow_webhook_subscription_failing", (("subscription", "sub-up"),))
        total = ("bookflow_webhook_deliveries_failing", ())
        assert await _gauges(health) == {failing: 0, healthy: 0, total: 0}
        await attempt("d-1", Outcome.RETRY, DeliveryStatus.RETRYING)
        await attempt("d-2", Outcome.RETRY, DeliveryStatus.RETRYING)
        assert await _gauges(health) == {failing: 2, healthy: 0, total: 2}  # from the first failure on
        await attempt("d-1", Outcome.DELIVERED, DeliveryStatus.DELIVERED)
        assert await _gauges(health) == {failing: 1, healthy: 0, total: 1}
        assert list(health.collect()) == []  # asked on the store's own loop: refused, not deadlocked


async def test_tracing_exports_workflow_spans_over_otlp(temporal_env, sqlite_db, task_queue):
    received: list[Request] = []

    def collect(request: Request) -> Reply:
        received.append(request)
        return Reply(200, b"", {"Content-Type": "application/x-protobuf"})

    receiver = LoopbackServer(collect)
    try:
        interceptors = telemetry.tracing_interceptors(receiver.url)
        assert interceptors, "tracing should be on when an OTLP endpoint is given"
        client = await Client.connect(
            temporal_env.client.service_client.config.target_host,
            namespace=temporal_env.client.namespace,
            data_converter=pydantic_data_converter,
            interceptors=interceptors,
        )
        await seed(sqlite_db, event_type(72))
        async with ops_stack(client, sqlite_db, task_queue, outbox_settings()) as stack:
            booking = await stack.book(72, soon(3600))
            await eventually(lambda: stack.triggers(booking["uid"]), lambda t: t == ["BOOKING_CREATED"])
        from opentelemetry import trace

        await asyncio.to_thread(trace.get_tracer_provider().force_flush)
        bodies = b"".join(r.body for r in received if r.path == "/v1/traces")
        assert b"StartWorkflow:BookingWorkflow" in bodies
        assert b"RunActivity:commit_transition" in bodies
    finally:
        from opentelemetry import trace

        # Spans still buffered would otherwise be posted to the closed receiver at interpreter exit.
        await asyncio.to_thread(trace.get_tracer_provider().shutdown)
        receiver.close()
    assert telemetry.tracing_interceptors(None) == []

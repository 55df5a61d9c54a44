"""The metrics endpoint serves Temporal's SDK metrics and ours; tracing reaches an OTLP receiver."""

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities import metrics
from tests.emulators.loopback import LoopbackServer, Reply, Request
from tests.ops.support import ops_stack, outbox_settings
from tests.support.stack import event_type, eventually, seed, soon
from worker import telemetry


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _scrape(url: str) -> dict[tuple[str, tuple], float]:
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200
    return _samples(response.text)


async def test_metrics_endpoint_serves_sdk_and_bookflow_counters(temporal_env, sqlite_db, task_queue):
    endpoint = telemetry.start_metrics(0)
    try:
        client = await Client.connect(
            temporal_env.client.service_client.config.target_host,
            namespace=temporal_env.client.namespace,
            data_converter=pydantic_data_converter,
            runtime=endpoint.runtime,
        )
        created = ("bookflow_events_recorded_total", (("trigger", "BOOKING_CREATED"),))
        accepted = ("bookflow_booking_transitions_total", (("status", "ACCEPTED"),))
        before = await _scrape(endpoint.url)
        await seed(sqlite_db, event_type(71))
        async with ops_stack(client, sqlite_db, task_queue, outbox_settings()) as stack:
            for hours in (1, 2):
                await stack.book(71, soon(3600 * hours))
            after = await eventually(
                lambda: _scrape(endpoint.url), lambda s: s.get(created, 0) >= before.get(created, 0) + 2
            )
        assert after[accepted] >= before.get(accepted, 0) + 2
        # Temporal's own metrics from the same endpoint, about this worker's task queue.
        sdk = {name for name, labels in after if name.startswith("temporal_") and ("task_queue", task_queue) in labels}
        assert any("workflow_completed" in n or "workflow_task" in n for n in sdk), sorted(sdk)[:20]
        # The other features' metrics, through the helpers they call, are served by the same endpoint.
        metrics.delivery_outcome("delivered", 0.2)
        metrics.reminder_sent("email", "ops-test", 1.5)
        metrics.reminder_skipped("ops-test")
        metrics.crm_call("ops-test", "find_owner", failed=True)
        metrics.routing_decision("ops-test")
        served = await _scrape(endpoint.url)
        for sample in (
            ("bookflow_webhook_deliveries_total", (("outcome", "delivered"),)),
            ("bookflow_webhook_delivery_latency_seconds_count", ()),
            ("bookflow_reminders_sent_total", (("channel", "email"), ("provider", "ops-test"))),
            ("bookflow_reminders_skipped_total", (("reason", "ops-test"),)),
            ("bookflow_reminder_lateness_seconds_count", ()),
            ("bookflow_crm_calls_total", (("operation", "find_owner"), ("provider", "ops-test"))),
            ("bookflow_crm_errors_total", (("operation", "find_owner"), ("provider", "ops-test"))),
            ("bookflow_routing_decisions_total", (("route", "ops-test"),)),
        ):
            assert served.get(sample, 0) >= 1, sample
    finally:
        endpoint.close()


async def test_tracing_exports_workflow_spans_over_otlp(temporal_env, sqlite_db, task_queue, monkeypatch):
    received: list[Request] = []

    def collect(request: Request) -> Reply:
        received.append(request)
        return Reply(200, b"", {"Content-Type": "application/x-protobuf"})

    receiver = LoopbackServer(collect)
    monkeypatch.setenv(telemetry.OTLP_ENDPOINT, receiver.url)
    try:
        interceptors = telemetry.tracing_interceptors()
        assert interceptors, "tracing should be on when OTEL_EXPORTER_OTLP_ENDPOINT is set"
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
    monkeypatch.delenv(telemetry.OTLP_ENDPOINT)
    assert telemetry.tracing_interceptors() == []

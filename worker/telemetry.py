"""Metrics and tracing for the worker and the API.

One Prometheus endpoint (`--metrics-port`) serves Temporal's SDK metrics and Bookflow's own
(activities/metrics.py). The SDK exports through its Rust core on a private loopback port; our
endpoint reads that and serves it beside ours, so operators scrape one target.

Tracing: when OTEL_EXPORTER_OTLP_ENDPOINT is set, spans for every client call, workflow and activity
go through temporalio's TracingInterceptor to that OTLP/HTTP endpoint (OTEL_SERVICE_NAME names us).
"""

import os
import socket
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from temporalio.client import Interceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

OTLP_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Combined(Collector):
    """Our metrics (the default registry) plus the SDK's, read from its private endpoint at scrape time."""

    def __init__(self, sdk_url: str) -> None:
        self._sdk_url = sdk_url

    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()
        try:
            with urllib.request.urlopen(self._sdk_url, timeout=2) as answer:
                text = answer.read().decode()
        except OSError:
            return  # the SDK's exporter is not up yet: serve ours alone rather than fail the scrape
        yield from text_string_to_metric_families(text)


@dataclass
class MetricsEndpoint:
    """A running metrics endpoint and the Temporal runtime whose metrics it serves."""

    port: int
    runtime: Runtime
    _server: WSGIServer
    _thread: Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start_metrics(port: int, host: str = "127.0.0.1") -> MetricsEndpoint:
    """Serve metrics on ``host:port``; clients connected with ``endpoint.runtime`` report SDK metrics there."""
    sdk_address = f"127.0.0.1:{_free_loopback_port()}"
    runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=sdk_address)))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Combined(f"http://{sdk_address}/metrics"))
    server, thread = start_http_server(port, addr=host, registry=registry)
    return MetricsEndpoint(server.server_port, runtime, server, thread)


def install_metrics(port: int) -> MetricsEndpoint:
    """Start the endpoint and make its runtime the process default, so `connect()` reports to it.

    Must run before the first Temporal client is created. BOOKFLOW_METRICS_HOST picks the interface
    (default 127.0.0.1; 0.0.0.0 to let a Prometheus on another host scrape it).
    """
    endpoint = start_metrics(port, os.environ.get("BOOKFLOW_METRICS_HOST", "127.0.0.1"))
    Runtime.set_default(endpoint.runtime, error_if_already_set=False)
    return endpoint


_tracing_installed = False


def tracing_interceptors() -> list[Interceptor]:
    """[TracingInterceptor] exporting over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else []."""
    if not os.environ.get(OTLP_ENDPOINT):
        return []
    _install_tracer_provider()
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]


def _install_tracer_provider() -> None:
    global _tracing_installed
    if _tracing_installed:
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS) itself and posts to {endpoint}/v1/traces.
    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "bookflow")})
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _tracing_installed = True

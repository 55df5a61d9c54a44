"""Metrics and tracing for the worker and the API.

One Prometheus endpoint (`--metrics-port`) serves Temporal's SDK metrics and Bookflow's own
(activities/metrics.py), and the worker's `/health` and `/ready` (worker/health.py). The SDK exports
through its Rust core on a private loopback port; our endpoint reads that and serves it beside ours,
so operators scrape one target.

Tracing: when OTEL_EXPORTER_OTLP_ENDPOINT is set, spans for every client call, workflow and activity
go through temporalio's TracingInterceptor to that OTLP/HTTP endpoint (OTEL_SERVICE_NAME names us).
"""

import socket
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from threading import Thread
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from temporalio.client import Interceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from worker.health import WorkerProbes

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
    probes: WorkerProbes
    _server: WSGIServer
    _thread: Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes and probes every few seconds would drown the worker's own log lines."""


def start_metrics(port: int, host: str = "127.0.0.1") -> MetricsEndpoint:
    """Serve metrics on ``host:port``; clients connected with ``endpoint.runtime`` report SDK metrics there.

    ``endpoint.probes`` answers /health and /ready on the same port once the worker reports to it.
    """
    sdk_address = f"127.0.0.1:{_free_loopback_port()}"
    runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=sdk_address)))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Combined(f"http://{sdk_address}/metrics"))
    probes = WorkerProbes()

    class Server(ThreadingWSGIServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    server = make_server(host, port, probes.wsgi(make_wsgi_app(registry)), Server, handler_class=_Quiet)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return MetricsEndpoint(server.server_port, runtime, probes, server, thread)


def install_metrics(port: int, host: str = "127.0.0.1") -> MetricsEndpoint:
    """Start the endpoint and make its runtime the process default, so `connect()` reports to it.

    Must run before the first Temporal client is created. ``host`` (BOOKFLOW_METRICS_HOST) picks the
    interface: 0.0.0.0 lets a Prometheus on another host scrape it.
    """
    endpoint = start_metrics(port, host)
    Runtime.set_default(endpoint.runtime, error_if_already_set=False)
    return endpoint


_tracing_installed = False


def tracing_interceptors(otlp_endpoint: str | None, service_name: str = "bookflow") -> list[Interceptor]:
    """[TracingInterceptor] exporting over OTLP/HTTP to ``otlp_endpoint`` (OTEL_EXPORTER_OTLP_ENDPOINT), else []."""
    if not otlp_endpoint:
        return []
    _install_tracer_provider(otlp_endpoint, service_name)
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]


def _install_tracer_provider(otlp_endpoint: str, service_name: str) -> None:
    global _tracing_installed
    if _tracing_installed:
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # Given explicitly, the endpoint is used as is: the traces path is ours to add, as the exporter would.
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter = OTLPSpanExporter(endpoint=otlp_endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _tracing_installed = True

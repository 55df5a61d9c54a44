"""`bookflow dev`, `bookflow worker`, `bookflow api`: run the whole stack, or one part of it."""

import asyncio
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import typer
from temporalio.client import Client

from store import config as config_store
from store.db import Database
from worker.cli.common import DataDir, settings
from worker.cli.config_cmd import apply_file
from worker.devserver import DevServer
from worker.runtime import run_api, run_worker
from worker.settings import Settings
from worker.telemetry import install_metrics
from worker.temporal import connect

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "config.yaml"

Port = Annotated[int, typer.Option("--port", help="The API's port.")]
Host = Annotated[str, typer.Option("--host", help="The API's address.")]
MetricsPort = Annotated[
    int | None, typer.Option("--metrics-port", help="Serve Prometheus metrics (Temporal SDK + Bookflow) on this port.")
]


def _metrics(port: int | None) -> None:
    if port is not None:
        endpoint = install_metrics(port)
        typer.echo(f"Metrics     {endpoint.url}")


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _load_examples_once(db: Database) -> None:
    """On a fresh data dir, load examples/ so a newcomer has event types to book."""
    async with db.sessions() as session:
        if await config_store.list_event_types(session):
            return
    if EXAMPLES.exists():
        await apply_file(db, EXAMPLES)
        typer.echo(f"loaded example configuration from {EXAMPLES}")


async def _serve(settings: Settings, parts: Callable[[Client, Database, asyncio.Event], list[Awaitable[None]]]) -> None:
    db = Database(settings.database)
    try:
        await db.migrate()
        client = await connect(settings)
        stop = _stop_on_signals()
        await asyncio.gather(*parts(client, db, stop))
    finally:
        await db.dispose()


async def _dev(settings: Settings, host: str, port: int, temporal_port: int, ui_port: int) -> None:
    server = DevServer(settings.data_dir / "temporal.db", port=temporal_port, ui_port=ui_port)
    await server.start()
    try:
        settings.temporal_address = server.address
        db = Database(settings.database)
        await db.migrate()
        await _load_examples_once(db)
        await db.dispose()
        typer.echo(f"Temporal    {server.address}   (UI http://127.0.0.1:{ui_port})")
        typer.echo(f"API         http://{host}:{port}   (try GET /health)")
        typer.echo(f"Database    {settings.database}")
        typer.echo("Worker      polling task queue " + settings.task_queue)
        typer.echo("Press Ctrl-C to stop everything.")
        await _serve(
            settings,
            lambda client, db, stop: [
                run_worker(client, db, settings, stop),
                run_api(client, db, settings, host, port, stop),
            ],
        )
    finally:
        server.stop()
        typer.echo("stopped: API, worker and Temporal dev server")


def register(app: typer.Typer) -> None:
    @app.command("dev")
    def dev(
        port: Port = 8000,
        host: Host = "127.0.0.1",
        temporal_port: Annotated[int, typer.Option(help="The Temporal dev server's gRPC port.")] = 7233,
        ui_port: Annotated[int, typer.Option(help="The Temporal UI's port.")] = 8233,
        data_dir: DataDir = None,
        metrics_port: MetricsPort = None,
    ) -> None:
        """Run the embedded stack: Temporal dev server, a worker and the API, until Ctrl-C."""
        _metrics(metrics_port)
        asyncio.run(_dev(settings(data_dir), host, port, temporal_port, ui_port))

    @app.command("worker")
    def worker(data_dir: DataDir = None, metrics_port: MetricsPort = None) -> None:
        """Run a worker against TEMPORAL_ADDRESS and BOOKFLOW_DATABASE_URL."""
        s = settings(data_dir)
        typer.echo(f"worker polling {s.task_queue} on {s.temporal_address}")
        _metrics(metrics_port)
        asyncio.run(_serve(s, lambda client, db, stop: [run_worker(client, db, s, stop)]))

    @app.command("api")
    def api(
        port: Port = 8000, host: Host = "127.0.0.1", data_dir: DataDir = None, metrics_port: MetricsPort = None
    ) -> None:
        """Serve the HTTP API against TEMPORAL_ADDRESS and BOOKFLOW_DATABASE_URL."""
        s = settings(data_dir)
        typer.echo(f"API on http://{host}:{port}")
        _metrics(metrics_port)
        asyncio.run(_serve(s, lambda client, db, stop: [run_api(client, db, s, host, port, stop)]))

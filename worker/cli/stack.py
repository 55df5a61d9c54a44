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
from worker.cli.common import DataDir, fail, settings
from worker.cli.config_cmd import apply_file
from worker.cli.keys_cmd import ensure_dev_keys
from worker.dev_caldav import connect_users, serve_radicale
from worker.devserver import DevServer
from worker.health import WorkerProbes
from worker.runtime import run_api, run_worker
from worker.settings import Settings
from worker.settings.secret_key import GENERATE_HINT, generate_secret_key
from worker.telemetry import install_metrics
from worker.temporal import connect

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "config.yaml"

Port = Annotated[int, typer.Option("--port", help="The API's port.")]
Host = Annotated[str, typer.Option("--host", help="The API's address.")]
MetricsPort = Annotated[
    int | None, typer.Option("--metrics-port", help="Serve Prometheus metrics (Temporal SDK + Bookflow) on this port.")
]


def _metrics(port: int | None, settings: Settings) -> WorkerProbes | None:
    """Serve metrics (and the worker's /health and /ready) on ``port``; the probes, for the worker to update."""
    if port is None:
        return None
    endpoint = install_metrics(port, settings.telemetry.metrics_host)
    typer.echo(f"Metrics     {endpoint.url}")
    return endpoint.probes


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
    db = Database(settings.database, settings.secret_keys())
    try:
        await db.migrate()
        client = await connect(settings)
        stop = _stop_on_signals()
        await asyncio.gather(*parts(client, db, stop))
    finally:
        await db.dispose()


async def _dev(
    settings: Settings,
    host: str,
    port: int,
    temporal_port: int,
    ui_port: int,
    probes: WorkerProbes | None,
    caldav: bool = False,
) -> None:
    server = DevServer(settings.data_dir / "temporal.db", port=temporal_port, ui_port=ui_port)
    await server.start()
    try:
        settings.temporal_address = server.address
        db = Database(settings.database, settings.secret_keys())
        await db.migrate()
        await _load_examples_once(db)
        if caldav:
            await _dev_caldav(settings, db)
        dev_keys = await ensure_dev_keys(db, settings.data_dir)
        await db.dispose()
        typer.echo(f"Temporal    {server.address}   (UI http://127.0.0.1:{ui_port})")
        typer.echo(f"API         http://{host}:{port}   (try GET /health)")
        typer.echo(f"Database    {settings.database}")
        typer.echo("Worker      polling task queue " + settings.task_queue)
        if dev_keys is not None:
            typer.echo(f"API keys    {dev_keys}   (load: . {dev_keys}; send: Authorization: Bearer $BOOKFLOW_KEY)")
        typer.echo("Press Ctrl-C to stop everything.")
        await _serve(
            settings,
            lambda client, db, stop: [
                run_worker(client, db, settings, stop, probes),
                run_api(client, db, settings, host, port, stop),
            ],
        )
    finally:
        server.stop()
        typer.echo("stopped: API, worker and Temporal dev server")


async def _dev_caldav(settings: Settings, db: Database) -> None:
    """Radicale in the data dir with a calendar per user, each selected and set as the user's destination."""
    server = serve_radicale(settings.data_dir / "radicale", {"type": "none"})
    base = f"http://127.0.0.1:{server.server_address[1]}"
    urls = await connect_users(db, base)
    # The calendar server is on loopback: allow private outbound URLs for this run (webhooks too).
    settings.webhooks = settings.webhooks.model_copy(update={"allow_private": True})
    typer.echo(f"CalDAV      {base}   (Radicale, any password; calendars: {', '.join(urls) or 'none'})")


def _require_secret_key(settings: Settings, command: str) -> None:
    """`bookflow worker` and `bookflow api` refuse to start without a key (one line naming it)."""
    if settings.access.secret_key is None:
        raise fail(f"BOOKFLOW_SECRET_KEY is not set; bookflow {command} needs it. Fix: {GENERATE_HINT}")


def _dev_secret_key(settings: Settings) -> None:
    """The dev stack's key: BOOKFLOW_SECRET_KEY, else the data dir's, else a new one saved there (0600)."""
    if settings.access.secret_key is None:
        key = generate_secret_key(settings.data_dir)
        settings.access = settings.access.model_copy(update={"secret_key": key})
        typer.echo(f"generated a secret key in {settings.data_dir / 'secret-key'}")


def register(app: typer.Typer) -> None:
    @app.command("dev")
    def dev(
        port: Port = 8000,
        host: Host = "127.0.0.1",
        temporal_port: Annotated[int, typer.Option(help="The Temporal dev server's gRPC port.")] = 7233,
        ui_port: Annotated[int, typer.Option(help="The Temporal UI's port.")] = 8233,
        data_dir: DataDir = None,
        metrics_port: MetricsPort = None,
        caldav: Annotated[
            bool, typer.Option("--caldav", help="Also run a CalDAV server with a calendar for each user.")
        ] = False,
    ) -> None:
        """Run the embedded stack: Temporal dev server, a worker and the API, until Ctrl-C."""
        s = settings(data_dir)
        _dev_secret_key(s)
        probes = _metrics(metrics_port, s)
        asyncio.run(_dev(s, host, port, temporal_port, ui_port, probes, caldav))

    @app.command("worker")
    def worker(data_dir: DataDir = None, metrics_port: MetricsPort = None) -> None:
        """Run a worker against TEMPORAL_ADDRESS and BOOKFLOW_DATABASE_URL (needs BOOKFLOW_SECRET_KEY)."""
        s = settings(data_dir)
        _require_secret_key(s, "worker")
        typer.echo(f"worker polling {s.task_queue} on {s.temporal_address}")
        probes = _metrics(metrics_port, s)
        asyncio.run(_serve(s, lambda client, db, stop: [run_worker(client, db, s, stop, probes)]))

    @app.command("api")
    def api(
        port: Port = 8000, host: Host = "127.0.0.1", data_dir: DataDir = None, metrics_port: MetricsPort = None
    ) -> None:
        """Serve the HTTP API against TEMPORAL_ADDRESS and BOOKFLOW_DATABASE_URL (needs BOOKFLOW_SECRET_KEY)."""
        s = settings(data_dir)
        _require_secret_key(s, "api")
        typer.echo(f"API on http://{host}:{port}")
        _metrics(metrics_port, s)
        asyncio.run(_serve(s, lambda client, db, stop: [run_api(client, db, s, host, port, stop)]))

"""Running the parts: a worker and the API, each until asked to stop."""

import asyncio
import contextlib
import logging

import uvicorn
from temporalio.client import Client

from api.app import create_app
from api.context import ApiContext
from api.health import readiness
from store.db import Database
from worker.config_checks import ConfigValidators
from worker.console_ops import WorkerConsoleOperations
from worker.console_workbench import RouteWorkbench
from worker.delivery_health import DELIVERY_HEALTH
from worker.health import WorkerProbes
from worker.orphans import reconciling
from worker.settings import Settings
from worker.temporal import build_worker, cache_workflow_bytecode

log = logging.getLogger("bookflow")


class _EmbeddedServer(uvicorn.Server):
    """Uvicorn without its own signal handlers: the process that embeds it owns Ctrl-C."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


async def run_worker(
    client: Client, db: Database, settings: Settings, stop: asyncio.Event, probes: WorkerProbes | None = None
) -> None:
    """Poll the task queue until ``stop`` is set, then stop polling, let in-flight activities finish
    (up to BOOKFLOW_SHUTDOWN_GRACE_SECONDS) and return. ``probes`` (the metrics port's /health and
    /ready) follow the worker: ready while it polls, not ready once it drains.
    """
    cache_workflow_bytecode(settings.data_dir / "bytecode")
    worker = build_worker(client, db, settings.task_queue, settings=settings)
    orphans = reconciling(client, db, settings.task_queue, settings.keep_open_minutes)
    async with worker, DELIVERY_HEALTH.watching(db), orphans:
        if probes is not None:
            probes.serving(asyncio.get_running_loop(), lambda: readiness(client, db))
        await stop.wait()
        if probes is not None:
            probes.draining()


async def run_api(client: Client, db: Database, settings: Settings, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve the HTTP API until ``stop`` is set, then let requests in flight finish (for the grace period)."""
    ctx = ApiContext(
        db=db,
        temporal=client,
        task_queue=settings.task_queue,
        keep_open_minutes=settings.keep_open_minutes,
        checks=ConfigValidators(),
        config=settings.api_config(),
        operations=WorkerConsoleOperations(db, client, settings),
        workbench=RouteWorkbench(),
    )
    # On SIGTERM: stop accepting, let requests in flight finish within the same grace as the worker's activities.
    config = uvicorn.Config(
        create_app(ctx),
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )
    server = _EmbeddedServer(config)

    async def stop_when_asked() -> None:
        await stop.wait()
        server.should_exit = True

    watcher = asyncio.create_task(stop_when_asked())
    try:
        await server.serve()
    finally:
        watcher.cancel()
    if not server.started:
        raise OSError(f"the API could not listen on {host}:{port}")

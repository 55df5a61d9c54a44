"""Running the parts: a worker and the API, each until asked to stop."""

import asyncio
import contextlib
import logging

import uvicorn
from temporalio.client import Client

from api.app import create_app
from api.context import ApiContext
from store.db import Database
from worker.config_checks import ConfigValidators
from worker.settings import Settings
from worker.temporal import build_worker

log = logging.getLogger("bookflow")


class _EmbeddedServer(uvicorn.Server):
    """Uvicorn without its own signal handlers: the process that embeds it owns Ctrl-C."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


async def run_worker(client: Client, db: Database, settings: Settings, stop: asyncio.Event) -> None:
    """Poll the task queue until ``stop`` is set, then finish in-flight work and return."""
    worker = build_worker(client, db, settings.task_queue)
    async with worker:
        await stop.wait()


async def run_api(client: Client, db: Database, settings: Settings, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve the HTTP API until ``stop`` is set."""
    ctx = ApiContext(
        db=db,
        temporal=client,
        task_queue=settings.task_queue,
        keep_open_minutes=settings.keep_open_minutes,
        checks=ConfigValidators(),
    )
    config = uvicorn.Config(create_app(ctx), host=host, port=port, log_level="warning", lifespan="off")
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

"""Health for orchestrators: `/health` (the process is alive) and `/ready` (it can do its work).

Ready means Temporal answers its health check and the database answers a query with its schema at the
newest migration. A probe that is not ready answers 503 naming each part that is not. The worker serves
the same two answers on its metrics port (worker/telemetry.py) from the same ``readiness`` check.
"""

import asyncio
import functools
from datetime import timedelta

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Connection, text
from temporalio.client import Client

from api.context import context
from api.errors import envelope
from store.db import Database, alembic_config

VERSION = "0.1.0"
# A probe answers within an orchestrator's usual 5 s probe timeout, even when a dependency hangs.
CHECK_TIMEOUT = timedelta(seconds=2)

router = APIRouter()


class Readiness(BaseModel):
    """What each dependency answered: "ok", or what is wrong with it."""

    temporal: str
    database: str

    @property
    def problems(self) -> list[str]:
        return [f"{part}: {state}" for part, state in self.model_dump().items() if state != "ok"]

    @property
    def ready(self) -> bool:
        return not self.problems


@functools.cache
def _migrations() -> ScriptDirectory:
    # The migration scripts ship with the code, so they never change while the process runs.
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def _applied_revisions(connection: Connection) -> tuple[str, ...]:
    return MigrationContext.configure(connection).get_current_heads()


def _schema_state(applied: tuple[str, ...]) -> str:
    """Ok when every migration of this code is applied (``applied``: the database's current heads)."""
    migrations = _migrations()
    known = {script.revision for script in migrations.walk_revisions()}
    if unknown := sorted(set(applied) - known):
        return f"schema at revisions this code does not know ({', '.join(unknown)})"
    done = {script.revision for head in applied for script in migrations.iterate_revisions(head, "base")}
    missing = sorted(known - done)
    return f"not migrated (missing {', '.join(missing)})" if missing else "ok"


async def temporal_state(client: Client) -> str:
    """Ok when Temporal's frontend answers its health check in time, else why not."""
    try:
        serving = await client.service_client.check_health(timeout=CHECK_TIMEOUT)
    except Exception as error:  # any failure to reach it is the answer, not a crash of the probe
        return f"unreachable at {client.service_client.config.target_host} ({type(error).__name__})"
    return "ok" if serving else "not serving"


async def database_state(db: Database) -> str:
    """Ok when the database answers and its schema is at the newest migration, else why not."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT.total_seconds()), db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            applied = await connection.run_sync(_applied_revisions)
    except Exception as error:  # unreachable, refused or timed out: the driver's message may hold the URL
        return f"unreachable ({type(error).__name__})"
    return _schema_state(applied)


async def readiness(client: Client, db: Database) -> Readiness:
    """Both dependencies checked at once."""
    temporal, database = await asyncio.gather(temporal_state(client), database_state(db))
    return Readiness(temporal=temporal, database=database)


@router.get("/health")
async def health() -> dict:
    """Alive: the process answers. Orchestrators restart it when this fails."""
    return {"status": "success", "data": {"version": VERSION}}


@router.get("/ready", response_model=None)
async def ready(request: Request) -> JSONResponse | dict:
    """Ready: Temporal reachable, database reachable and migrated; else 503 naming what is not."""
    ctx = context(request)
    state = await readiness(ctx.temporal, ctx.db)
    if not state.ready:
        return envelope(503, "not ready: " + "; ".join(state.problems), "NOT_READY")
    return {"status": "success", "data": state.model_dump()}

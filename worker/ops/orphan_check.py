"""`bookflow ops doctor`'s line on bookings without a workflow (a reservation nobody runs).

Read-only: it lists reservations no workflow has committed for longer than the reconciler's grace,
then asks Temporal about each; it starts nothing (the worker's reconciler does, worker/orphans.py).
"""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from store.db import sync_url
from store.orphans import untouched_uids
from worker.ops.checks import Check
from worker.orphans import GRACE, INTERVAL

NAME = "Bookings without a workflow"
SHOWN = 10


def _untouched(url: str) -> list[str] | None:
    """Uids of reservations still untouched after the reconciler should have adopted them; None: no table."""
    parsed = make_url(sync_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return None
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            if "bookings" not in inspect(connection).get_table_names():
                return None
            cutoff = datetime.now(UTC) - GRACE - INTERVAL * 2
            return list(connection.execute(untouched_uids(cutoff)).scalars())
    finally:
        engine.dispose()


async def _missing(client: Client, uids: list[str]) -> list[str]:
    missing = []
    for uid in uids:
        try:
            await client.get_workflow_handle(uid).describe()
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                missing.append(uid)
    return missing


async def orphan_check(database_url: str, client: Client | None) -> Check:
    """Fail when a booking holds its slot with no workflow; warn when its workflow exists but never ran."""
    try:
        uids = await asyncio.to_thread(_untouched, database_url)
    except SQLAlchemyError as down:
        return Check(NAME, "skip", f"the database is unreachable ({str(down).splitlines()[0]})")
    if uids is None:
        return Check(NAME, "skip", "the bookings table does not exist in this database")
    if not uids:
        return Check(NAME, "pass", "every booking's workflow has taken it up")
    if client is None:
        return Check(NAME, "warn", f"{len(uids)} booking(s) not taken up by a workflow; Temporal is unreachable")
    missing = await _missing(client, uids)
    if missing:
        shown = ", ".join(missing[:SHOWN]) + (" …" if len(missing) > SHOWN else "")
        fix = "run `bookflow worker` (its reconciler starts them within a minute); if one runs, see its log"
        return Check(NAME, "fail", f"{len(missing)} booking(s) hold a slot with no workflow: {shown}", fix)
    fix = "start a worker polling this task queue (`bookflow worker`)"
    return Check(NAME, "warn", f"{len(uids)} booking workflow(s) started but never run by a worker", fix)

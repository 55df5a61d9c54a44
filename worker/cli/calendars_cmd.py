"""`bookflow calendars list|status|sync|disconnect`: connected calendars, their sync health, a sync now.

``status`` shows each connection's last sync, stored event count and error (Cal.com's ``syncErrorCount``,
``syncErrorAt``, ``error``); ``sync`` asks the connection's CalendarSyncWorkflow for a sync and prints its
report; ``disconnect`` stops the sync and removes the connection with its stored events.
"""

import contextlib
import json
from typing import Annotated

import typer
from rich.table import Table
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from domain.calendars import CalendarConnection, ConnectedCalendar, SyncStart, sync_workflow_id
from store import calendars as store
from store.db import Database
from worker.cli.common import DataDir, fail, settings, with_database
from worker.cli.output import AsJson
from worker.ops.render import id_column, show
from worker.temporal import connect

app = typer.Typer(help="Calendar connections: list, sync health, sync now, disconnect.", no_args_is_help=True)
UserOption = Annotated[int | None, typer.Option("--user", help="Only this user's connections.")]


async def _listing(db: Database, user: int | None) -> list[tuple[CalendarConnection, list[ConnectedCalendar]]]:
    async with db.sessions() as session:
        connections = await store.list_connections(session, user)
        return [(c, await store.calendars_of(session, c.id)) for c in connections]


def _stamp(value: object) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"  # type: ignore[attr-defined]


@app.command("list")
def list_calendars(user: UserOption = None, as_json: AsJson = False, data_dir: DataDir = None) -> None:
    """Every connection and its calendars (the credentials are never shown)."""
    found = with_database(settings(data_dir), lambda db: _listing(db, user))
    if as_json:
        rows = [c.wire() | {"calendars": [x.wire() for x in calendars]} for c, calendars in found]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table()
    id_column(table, "id", [str(c.id) for c, _ in found])
    for column in ("user", "integration", "url", "calendars"):
        table.add_column(column, overflow="fold")
    for connection, calendars in found:
        names = ", ".join(c.name for c in calendars) or "-"
        table.add_row(str(connection.id), str(connection.user_id), connection.integration, connection.url, names)
    show(table)


@app.command("status")
def status(user: UserOption = None, as_json: AsJson = False, data_dir: DataDir = None) -> None:
    """Each connection's sync health: status, last sync, stored events, errors."""
    found = with_database(settings(data_dir), lambda db: _listing(db, user))
    if as_json:
        rows = [c.wire() | {"eventCount": sum(x.event_count for x in calendars)} for c, calendars in found]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table()
    id_column(table, "id", [str(c.id) for c, _ in found])
    for column in ("status", "last sync", "events", "errors", "last error at", "error"):
        table.add_column(column, overflow="fold")
    for connection, calendars in found:
        table.add_row(
            str(connection.id),
            connection.status,
            _stamp(connection.last_sync_at),
            str(sum(c.event_count for c in calendars)),
            str(connection.sync_error_count),
            _stamp(connection.sync_error_at),
            connection.error or "-",
        )
    show(table)


async def _sync(client: Client, task_queue: str, connection: CalendarConnection, interval: float) -> dict:
    handle = await client.start_workflow(
        "CalendarSyncWorkflow",
        SyncStart(connection_id=connection.id, interval_seconds=interval),
        id=sync_workflow_id(connection),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return await handle.execute_update("sync_now", True, result_type=dict)


@app.command("sync")
def sync(
    connection_id: Annotated[int | None, typer.Argument(help="A connection id (default: every connection).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Sync now (through the running worker) and print each connection's report as one JSON line."""
    s = settings(data_dir)

    async def run(db: Database) -> list[dict]:
        async with db.sessions() as session:
            connections = await store.list_connections(session)
        chosen = [c for c in connections if connection_id is None or c.id == connection_id]
        if not chosen:
            raise fail(f"no calendar connection {connection_id}" if connection_id else "no calendar connections")
        client = await connect(s)
        return [await _sync(client, s.task_queue, c, s.calendars.sync_interval_seconds) for c in chosen]

    reports = with_database(s, run)
    for report in reports:
        typer.echo(json.dumps(report))
    if not all(r.get("ok") for r in reports):
        raise typer.Exit(code=1)


@app.command("disconnect")
def disconnect(connection_id: int, data_dir: DataDir = None) -> None:
    """Stop the connection's sync and remove it with its calendars, stored events and selections."""
    s = settings(data_dir)

    async def run(db: Database) -> CalendarConnection | None:
        async with db.transaction() as session:
            connection = await store.get_connection(session, connection_id)
            if connection is None:
                return None
            await store.delete_connection(session, connection_id)
        with contextlib.suppress(RPCError, OSError, RuntimeError):  # no worker or server: nothing to stop
            client = await connect(s)
            await client.get_workflow_handle(sync_workflow_id(connection)).signal("stop")
        return connection

    if with_database(s, run) is None:
        raise fail(f"no calendar connection {connection_id}")
    typer.echo(f"disconnected {connection_id}")

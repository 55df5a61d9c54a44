"""`bookflow ops …`: the on-call engineer's commands. Parsing and printing only; see worker/ops/."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from temporalio.client import Client
from temporalio.service import RPCError

from store.db import Database
from worker.cli.common import DataDir, fail, settings
from worker.ops import render, repair
from worker.ops import replay as replays
from worker.ops.doctor import run_checks
from worker.ops.explain import explain
from worker.ops.failures import FailedQuery, find_failed
from worker.ops.history import NoResetPoint
from worker.ops.kinds import Kind
from worker.ops.repair import ResetTo
from worker.ops.timespec import parse_since
from worker.settings import Settings
from worker.temporal import connect

T = TypeVar("T")

app = typer.Typer(help="Find failed work, explain it, retry or reset it, replay histories, check health.")


def _with_client(s: Settings, work: Callable[[Client], Awaitable[T]]) -> T:
    async def run() -> T:
        return await work(await connect(s))

    try:
        return asyncio.run(run())
    except RPCError as error:
        raise fail(f"Temporal refused: {error.message} ({error.status.name})") from None
    except RuntimeError as error:
        if "connect" in str(error).lower():
            raise fail(f"cannot reach Temporal at {s.temporal_address}: {error}") from None
        raise


@app.command("failed")
def failed(
    since: Annotated[
        str | None, typer.Option(help="Only failures since this time (ISO 8601) or age (30m, 2h, 1d).")
    ] = None,
    kind: Annotated[Kind | None, typer.Option(help="Only this kind of workflow.")] = None,
    event_type: Annotated[int | None, typer.Option("--event-type", help="Only bookings of this event type id.")] = None,
    stuck_after: Annotated[
        float, typer.Option(help="Seconds an activity must have been retrying for its workflow to count as stuck.")
    ] = 300,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 200,
    data_dir: DataDir = None,
) -> None:
    """List failed, timed-out and terminated workflows and running ones stuck retrying, newest first."""
    try:
        moment = parse_since(since) if since else None
    except ValueError as error:
        raise fail(str(error)) from None
    query = FailedQuery(moment, kind, event_type, timedelta(seconds=stuck_after), limit)
    rows = _with_client(settings(data_dir), lambda client: find_failed(client, query))
    render.console().print(render.failed_table(rows))


@app.command("show")
def show(
    workflow_id: Annotated[str, typer.Argument(help="A workflow id (a booking's is its uid).")],
    data_dir: DataDir = None,
) -> None:
    """One workflow on one screen: state, agenda, event log, deliveries, and the failing error with its stack."""
    s = settings(data_dir)

    async def gather(client: Client):
        db = Database(s.database)
        try:
            return await explain(client, db, workflow_id, timedelta(minutes=s.keep_open_minutes))
        finally:
            await db.dispose()

    render.console().print(render.explanation(_with_client(s, gather)))


@app.command("retry")
def retry(
    workflow_id: Annotated[str, typer.Argument(help="The stuck workflow's id.")], data_dir: DataDir = None
) -> None:
    """Make a stuck workflow's failing activities try again now (after you fixed the cause)."""
    retried = _with_client(settings(data_dir), lambda client: repair.retry_now(client, workflow_id))
    if not retried:
        typer.echo(f"{workflow_id}: no activity is failing; nothing to retry")
        return
    for item in retried:
        typer.echo(
            f"{workflow_id}: {item.activity_type} (activity {item.activity_id}, "
            f"was on attempt {item.attempt}) retries now"
        )


@app.command("reset")
def reset(
    workflow_id: Annotated[str | None, typer.Argument(help="The workflow to reset (or use --query).")] = None,
    to: Annotated[ResetTo, typer.Option(help="Where to go back to.")] = ResetTo.LAST_WORKFLOW_TASK,
    query: Annotated[str | None, typer.Option(help="A visibility query: reset every workflow it matches.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only list what would be reset.")] = False,
    reason: Annotated[str, typer.Option(help="Recorded in the workflow's history.")] = "bookflow ops reset",
    data_dir: DataDir = None,
) -> None:
    """Reset a workflow (or every one matching --query) so it runs again from an earlier point.

    Side effects already done are not repeated: activities reach the same idempotency keys.
    """
    if (workflow_id is None) == (query is None):
        raise fail("reset: give either a workflow id or --query, not both")
    s = settings(data_dir)
    if workflow_id is not None:
        try:
            done = _with_client(s, lambda client: repair.reset(client, workflow_id, to, reason=reason))
        except NoResetPoint as error:
            raise fail(f"{workflow_id}: {error}") from None
        typer.echo(f"{workflow_id}: reset to event {done.event_id} ({to.value}); new run {done.new_run_id}")
        return
    assert query is not None
    found = _with_client(s, lambda client: repair.matching(client, query))
    typer.echo(f"{len(found)} workflow(s) match {query!r}:")
    for execution in found:
        status = execution.status.name if execution.status else "?"
        typer.echo(f"  {execution.id}  {execution.workflow_type}  {status}")
    if dry_run or not found:
        return
    if not yes and not typer.confirm(f"Reset these {len(found)} workflow(s) to {to.value}?"):
        raise typer.Exit(1)

    async def batch(client: Client) -> int:
        failures = 0
        async for number, item in _numbered(repair.reset_many(client, found, to, reason)):
            if item.done:
                typer.echo(f"[{number}/{len(found)}] {item.workflow_id}: reset to event {item.done.event_id}")
            else:
                failures += 1
                typer.secho(f"[{number}/{len(found)}] {item.workflow_id}: not reset: {item.error}", fg=typer.colors.RED)
        return failures

    if _with_client(s, batch):
        raise typer.Exit(1)


async def _numbered(items):
    number = 0
    async for item in items:
        number += 1
        yield number, item


@app.command("replay")
def replay(
    workflow_id: Annotated[
        str | None, typer.Argument(help="Replay this workflow's history (or use --query/--file).")
    ] = None,
    query: Annotated[str | None, typer.Option(help="Replay every workflow this visibility query matches.")] = None,
    file: Annotated[list[Path] | None, typer.Option(help="Replay a saved history file (repeatable).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many histories from --query.")] = 100,
    data_dir: DataDir = None,
) -> None:
    """Replay histories against the current workflow code; any non-determinism is reported (exit 1)."""
    if workflow_id is None and query is None and not file:
        raise fail("replay: give a workflow id, --query or --file")

    async def run(client: Client | None):
        histories = [replays.load(p) for p in file or []]
        if client is not None and workflow_id is not None:
            histories += await replays.fetch(client, [workflow_id])
        if client is not None and query is not None:
            histories += await replays.fetch_matching(client, query, limit)
        return await replays.replay_histories(histories)

    if workflow_id is None and query is None:
        outcomes = asyncio.run(run(None))
    else:
        outcomes = _with_client(settings(data_dir), run)
    bad = [o for o in outcomes if not o.ok]
    for outcome in outcomes:
        if outcome.ok:
            typer.echo(f"ok    {outcome.workflow_id}")
        else:
            typer.secho(f"FAIL  {outcome.workflow_id}: {outcome.error}", fg=typer.colors.RED)
    typer.echo(f"{len(outcomes) - len(bad)} of {len(outcomes)} histories replay against the current code")
    if bad:
        raise typer.Exit(1)


@app.command("export-history")
def export_history(
    workflow_id: Annotated[str, typer.Argument(help="The workflow whose history to save.")],
    name: Annotated[str | None, typer.Option(help="File name without .json (default: type and id).")] = None,
    directory: Annotated[Path, typer.Option("--dir", help="Where to save it.")] = replays.HISTORIES,
    data_dir: DataDir = None,
) -> None:
    """Save a workflow's history into tests/histories/ so the replay tests keep it working."""
    path = _with_client(settings(data_dir), lambda client: replays.export(client, workflow_id, name, directory))
    typer.echo(f"saved {path}")


@app.command("doctor")
def doctor(data_dir: DataDir = None) -> None:
    """Check Temporal, search attributes, the database, providers, webhooks and backlogs; exit 1 on a failure."""
    results = asyncio.run(run_checks(settings(data_dir)))
    for check in results:
        mark = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP", "warn": "WARN"}[check.outcome]
        color = {"pass": typer.colors.GREEN, "fail": typer.colors.RED}.get(check.outcome)
        typer.secho(f"{mark}  {check.name}: {check.detail}", fg=color)
        if check.fix and check.outcome in ("fail", "warn"):
            typer.echo(f"      fix: {check.fix}")
    if any(c.outcome == "fail" for c in results):
        raise typer.Exit(1)

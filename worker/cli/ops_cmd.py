"""`bookflow ops …`: the on-call engineer's commands. Parsing and printing only; see worker/ops/."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError

from api.operations import FailedRow
from store.db import Database
from worker.cli.common import DataDir, fail, settings
from worker.cli.output import AsJson, echo_json
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
from worker.settings.catalog import effective, markdown_table
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
        float,
        typer.Option(help="Seconds an activity (or a webhook delivery) must have been retrying to count as stuck."),
    ] = 300,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 200,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """List failed, timed-out and terminated workflows (latest runs), running ones stuck retrying, and
    webhook deliveries retrying or ended undelivered, newest first."""
    try:
        moment = parse_since(since) if since else None
    except ValueError as error:
        raise fail(str(error)) from None
    query = FailedQuery(moment, kind, event_type, timedelta(seconds=stuck_after), limit)
    s = settings(data_dir)

    async def find(client: Client) -> list[FailedRow]:
        db = Database(s.database, s.secret_keys())
        try:
            return await find_failed(client, query, db, s.webhooks.schedule)
        finally:
            await db.dispose()

    rows = _with_client(s, find)
    if as_json:
        echo_json(rows)
        return
    render.show(render.failed_table(rows))


@app.command("show")
def show(
    workflow_id: Annotated[str, typer.Argument(help="A workflow id (a booking's is its uid).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (camelCase fields).")] = False,
    data_dir: DataDir = None,
) -> None:
    """One workflow on one screen: state, agenda, event log, deliveries, and the failing error with its stack."""
    s = settings(data_dir)

    async def gather(client: Client):
        db = Database(s.database, s.secret_keys())
        try:
            return await explain(client, db, workflow_id, timedelta(minutes=s.keep_open_minutes))
        finally:
            await db.dispose()

    found = _with_client(s, gather)
    if as_json:
        echo_json(found)
        return
    render.console().print(render.explanation(found))


def _matched(s: Settings, query: str) -> list[WorkflowExecution]:
    """The runs a batch acts on (each workflow's latest run, once), saying which workflows it leaves alone."""
    matched = _with_client(s, lambda client: repair.matching(client, query))
    for workflow_id, run_id in matched.superseded.items():
        typer.echo(f"  {workflow_id}: left alone, the query matched only runs its latest run ({run_id}) replaced")
    return matched.latest


async def _reset_plan(client: Client, execution: WorkflowExecution, to: ResetTo) -> str:
    try:
        plan = await repair.plan_reset(client, execution.id, to, execution.run_id)
    except NoResetPoint as error:
        return f"cannot: {error}"
    return f"to event {plan.event_id}"


def _confirm(question: str, yes: bool) -> None:
    if not yes and not typer.confirm(question):
        raise typer.Exit(1)


def _print_retried(workflow_id: str, items: list[repair.Retried], verb: str) -> None:
    if not items:
        typer.echo(f"{workflow_id}: no activity is failing; nothing to retry")
    for item in items:
        typer.echo(
            f"{workflow_id}: {item.activity_type} (activity {item.activity_id}, was on attempt {item.attempt}) {verb}"
        )


@app.command("retry")
def retry(
    workflow_id: Annotated[str | None, typer.Argument(help="The stuck workflow's id (or use --query).")] = None,
    query: Annotated[str | None, typer.Option(help="A visibility query: retry every workflow it matches.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (with --query).")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only say what would retry; change nothing.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Make a stuck workflow's failing activities try again now (after you fixed the cause)."""
    if (workflow_id is None) == (query is None):
        raise fail("retry: give either a workflow id or --query, not both")
    s = settings(data_dir)
    verb = "would retry now (dry run: nothing changed)" if dry_run else "retries now"
    if workflow_id is not None:
        retried = _with_client(s, lambda client: repair.retry_now(client, workflow_id, dry_run=dry_run))
        _print_retried(workflow_id, retried, verb)
        return
    assert query is not None
    ids = [execution.id for execution in _matched(s, query)]
    planned = {i: _with_client(s, lambda client, i=i: repair.failing_activities(client, i))[1] for i in ids}
    failing = [i for i in ids if planned[i]]
    typer.echo(f"{len(ids)} workflow(s) match {query!r}; {len(failing)} with failing activities:")
    for i in failing:
        _print_retried(i, planned[i], "would retry now" if dry_run else "to retry")
    if dry_run or not failing:
        return
    _confirm(f"Retry the failing activities of these {len(failing)} workflow(s) now?", yes)
    for i in failing:
        _print_retried(i, _with_client(s, lambda client, i=i: repair.retry_now(client, i)), verb)


@app.command("reset")
def reset(
    workflow_id: Annotated[str | None, typer.Argument(help="The workflow to reset (or use --query).")] = None,
    to: Annotated[ResetTo, typer.Option(help="Where to go back to.")] = ResetTo.LAST_WORKFLOW_TASK,
    query: Annotated[str | None, typer.Option(help="A visibility query: reset every workflow it matches.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (with --query).")] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Only say what would be reset, and to which event; change nothing.")
    ] = False,
    reason: Annotated[str, typer.Option(help="Recorded in the workflow's history.")] = "bookflow ops reset",
    data_dir: DataDir = None,
) -> None:
    """Reset a workflow (or every one matching --query, each once, its latest run) so it runs again from an
    earlier point.

    Side effects already done are not repeated: activities reach the same idempotency keys.
    """
    if (workflow_id is None) == (query is None):
        raise fail("reset: give either a workflow id or --query, not both")
    s = settings(data_dir)
    if workflow_id is not None:
        try:
            if dry_run:
                plan = _with_client(s, lambda client: repair.plan_reset(client, workflow_id, to))
                typer.echo(
                    f"{workflow_id}: would reset run {plan.run_id} to event {plan.event_id} ({to.value}); "
                    "dry run: nothing changed"
                )
                return
            done = _with_client(s, lambda client: repair.reset(client, workflow_id, to, reason=reason))
        except NoResetPoint as error:
            raise fail(f"{workflow_id}: {error}") from None
        typer.echo(f"{workflow_id}: reset to event {done.event_id} ({to.value}); new run {done.new_run_id}")
        return
    assert query is not None
    found = _matched(s, query)
    typer.echo(f"{len(found)} workflow(s) match {query!r} (each once, its latest run):")
    for execution in found:
        status = execution.status.name if execution.status else "?"
        where = _with_client(s, lambda client, e=execution: _reset_plan(client, e, to)) if dry_run else ""
        typer.echo(f"  {execution.id}  {execution.workflow_type}  {status}  run {execution.run_id}  {where}".rstrip())
    if dry_run:
        typer.echo(f"dry run: would reset {len(found)} workflow(s) to {to.value}; nothing changed")
        return
    if not found:
        return
    _confirm(f"Reset these {len(found)} workflow(s) to {to.value}?", yes)

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
    directory: Annotated[Path, typer.Option("--dir", help="Where to save it (in a checkout: tests/histories).")],
    name: Annotated[str | None, typer.Option(help="File name without .json (default: type and id).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Save a workflow's history as a file; in tests/histories/ the replay tests keep it working."""
    path = _with_client(settings(data_dir), lambda client: replays.export(client, workflow_id, directory, name))
    typer.echo(f"saved {path}")


@app.command("doctor")
def doctor(
    data_dir: DataDir = None,
    show_config: Annotated[
        bool, typer.Option("--show-config", help="First print every setting in effect (secrets masked).")
    ] = False,
) -> None:
    """Check Temporal, search attributes, the database, providers, webhooks and backlogs; exit 1 on a failure."""
    s = settings(data_dir)
    if show_config:
        for setting, value in effective(s):
            typer.echo(f"{setting.name}={value}")
        typer.echo("")
    results = asyncio.run(run_checks(s))
    for check in results:
        mark = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP", "warn": "WARN"}[check.outcome]
        color = {"pass": typer.colors.GREEN, "fail": typer.colors.RED}.get(check.outcome)
        typer.secho(f"{mark}  {check.name}: {check.detail}", fg=color)
        if check.fix and check.outcome in ("fail", "warn"):
            typer.echo(f"      fix: {check.fix}")
    if any(c.outcome == "fail" for c in results):
        raise typer.Exit(1)


@app.command("settings-table")
def settings_table() -> None:
    """Print the table of every setting (variable, default, meaning) that docs/settings.md holds."""
    typer.echo(markdown_table(), nl=False)

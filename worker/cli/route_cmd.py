"""`bookflow route explain|test|replay`: why a response was routed, what-if decisions and replay."""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from rich.progress import Progress

from activities.routing import decide_with_crm
from domain.routing_forms import AnswerError, RoutingDecision, RoutingForm, validate_answers
from routing.replay import ReplayReport, StoredResponse, replay
from routing.validation import FormValidationError, validate_form
from store import config as config_store
from store import routing as routing_store
from store.db import Database
from store.routing_context import load_context
from worker.cli.common import DataDir, fail, settings, with_database
from worker.cli.route_render import decision_lines, replay_lines

app = typer.Typer(help="Explain, test and replay routing-form decisions.", no_args_is_help=True)


class RouteCommandError(Exception):
    """A problem the command reports (unknown form, bad answers, invalid rules), naming what is wrong."""


async def _form(db: Database, form_id: str) -> RoutingForm:
    async with db.sessions() as session:
        form = await routing_store.get_form(session, form_id)
    if form is None:
        raise RouteCommandError(f"--form: routing form {form_id!r} does not exist")
    return form


async def explain(db: Database, response_id: int) -> RoutingDecision:
    """The stored decision of a response, with its trace."""
    async with db.sessions() as session:
        stored = await routing_store.get_response(session, response_id)
    if stored is None or stored.decision is None:
        raise RouteCommandError(f"RESPONSE_ID: response {response_id} does not exist or is not decided yet")
    return stored.decision


async def test_answers(db: Database, form_id: str, answers: dict[str, Any]) -> RoutingDecision:
    """Decide ``answers`` under the stored form and context, storing and firing nothing (no CRM call)."""
    form = await _form(db, form_id)
    try:
        values = validate_answers(form, answers)
    except AnswerError as bad:
        raise RouteCommandError(f"answers: {bad}") from None
    async with db.sessions() as session:
        context = await load_context(session, datetime.now(UTC))
        event_types = {e.id: e for e in await config_store.list_event_types(session)}
    return await decide_with_crm(form, values, context, event_types, {})


def _new_rules(current: RoutingForm, path: Path) -> RoutingForm:
    """The form under test: a whole form, or just ``routes`` (and ``fields``) laid over the stored one."""
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise RouteCommandError(f"--rules: cannot read {path}: {error}") from None
    if not isinstance(document, dict):
        raise RouteCommandError(f"--rules: {path} must hold a form or a mapping with 'routes'")
    merged = current.model_dump(mode="json", by_alias=True) | document
    merged |= {"id": current.id, "version": current.version + 1}
    try:
        return RoutingForm.model_validate(merged)
    except ValidationError as invalid:
        raise RouteCommandError(f"--rules: {path}: {invalid.errors()[0]['msg']}") from None


async def replay_rules(
    db: Database, form_id: str, rules: Path, since: datetime | None, progress: Callable[[int, int], None] | None = None
) -> ReplayReport:
    """Re-decide the form's stored responses (since ``since``) under ``rules``; stores nothing."""
    candidate = _new_rules(await _form(db, form_id), rules)
    async with db.sessions() as session:
        attributes = await routing_store.list_attributes(session)
        stored = await routing_store.decided_responses(session, form_id, since)
        context = await load_context(session, datetime.now(UTC))
    try:
        validate_form(candidate, attributes)
    except FormValidationError as refused:
        raise RouteCommandError(f"--rules: {refused}") from None
    responses = [StoredResponse(id=r.id, values=r.values, decision=r.decision) for r in stored if r.decision]
    total = len(responses)
    return replay(candidate, responses, context, (lambda n: progress(n, total)) if progress else None)


def _run(work: Callable[[Database], Any], data_dir: Path | None) -> Any:
    try:
        return with_database(settings(data_dir), work)
    except RouteCommandError as error:
        raise fail(str(error)) from None


def _print_decision(decision: RoutingDecision, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(decision.wire(), indent=2))
    else:
        typer.echo("\n".join(decision_lines(decision)))


AsJson = Annotated[bool, typer.Option("--json", help="Print the decision and trace as JSON.")]


@app.command("explain")
def explain_command(
    response_id: Annotated[int, typer.Argument(metavar="RESPONSE_ID")],
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Show how a stored response was routed: every route tried, attributes, CRM owner, host, and why."""
    _print_decision(_run(lambda db: explain(db, response_id), data_dir), as_json)


@app.command("test")
def test_command(
    form: Annotated[str, typer.Option("--form", help="The routing form id.")],
    answers: Annotated[Path, typer.Option("--answers", help="A JSON file of answers keyed by field identifier.")],
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Decide ANSWERS without storing or firing anything, and print the decision and its trace."""
    try:
        document = json.loads(answers.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise fail(f"--answers: cannot read {answers}: {error}") from None
    if not isinstance(document, dict):
        raise fail(f"--answers: {answers} must hold a JSON object keyed by field identifier")
    _print_decision(_run(lambda db: test_answers(db, form, document), data_dir), as_json)


@app.command("replay")
def replay_command(
    form: Annotated[str, typer.Option("--form", help="The routing form id.")],
    rules: Annotated[Path, typer.Option("--rules", help="YAML: a whole form, or its new 'routes'.")],
    since: Annotated[
        datetime | None, typer.Option("--since", help="Only responses submitted at or after this time.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Re-decide stored responses under new rules and show which decisions change, old → new."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    with Progress(transient=True) as bar:
        task = bar.add_task("re-deciding", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = _run(lambda db: replay_rules(db, form, rules, since, advance), data_dir)
    typer.echo("\n".join(replay_lines(report)))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="route")

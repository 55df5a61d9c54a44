"""`bookflow route explain|test|replay`: why a response was routed, what-if decisions and replay."""

import difflib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer
import yaml
from pydantic import ValidationError
from rich.progress import Progress

from activities.routing import consult_crm
from domain.routing_forms import AnswerError, RoutingDecision, RoutingForm, validate_answers
from domain.yaml_text import load_yaml
from routing.conditions import FailedCondition, failed_conditions
from routing.replay import ReplayReport, StoredResponse, replay
from routing.validation import FormValidationError, validate_form
from store import config as config_store
from store import routing as routing_store
from store.db import Database
from store.routing_context import load_context
from worker.cli.common import DataDir, fail, settings, with_database
from worker.cli.operator import operator
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


class Explained(NamedTuple):
    """A decision with what explains it: the answers and each unmatched route's first failed condition."""

    decision: RoutingDecision
    answers: dict[str, Any]
    failures: list[FailedCondition]


def _explained(form: RoutingForm, values: dict[str, Any], decision: RoutingDecision) -> Explained:
    fields = form.field_by_id()
    answers = {(fields[k].key if k in fields else k): v for k, v in values.items()}
    return Explained(decision, answers, failed_conditions(form, values, decision))


async def explain(db: Database, response_id: int) -> Explained:
    """The stored decision of a response, with its trace, its answers and why each earlier route failed."""
    async with db.sessions() as session:
        stored = await routing_store.get_response(session, response_id)
        form = await routing_store.get_form(session, stored.form_id, stored.form_version) if stored else None
    if stored is None or stored.decision is None or form is None:
        raise RouteCommandError(f"RESPONSE_ID: response {response_id} does not exist or is not decided yet")
    return _explained(form, stored.values, stored.decision)


async def test_answers(db: Database, form_id: str, answers: dict[str, Any]) -> Explained:
    """Decide ``answers`` under the stored form and context, storing and firing nothing (no CRM call)."""
    return await decide_answers(db, await _form(db, form_id), answers)


async def decide_answers(db: Database, form: RoutingForm, answers: dict[str, Any]) -> Explained:
    """Decide ``answers`` under ``form`` (stored, or a draft being edited in the console), storing nothing."""
    try:
        values = validate_answers(form, answers)
    except AnswerError as bad:
        raise RouteCommandError(f"answers: {bad}") from None
    async with db.sessions() as session:
        context = await load_context(session, datetime.now(UTC))
        event_types = {e.id: e for e in await config_store.list_event_types(session)}
    return _explained(form, values, (await consult_crm(form, values, context, event_types, {})).decision)


def _new_rules(current: RoutingForm, path: Path) -> RoutingForm:
    """The form under test: a whole form, or just ``routes`` (and ``fields``) laid over the stored one."""
    try:
        document = load_yaml(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise RouteCommandError(f"--rules: cannot read {path}: {error}") from None
    if not isinstance(document, dict):
        raise RouteCommandError(f"--rules: {path} must hold a form or a mapping with 'routes'")
    merged = current.model_dump(mode="json", by_alias=True) | document
    merged |= {"id": current.id, "version": current.version + 1}
    try:
        return RoutingForm.model_validate(merged)
    except ValidationError as invalid:
        problems = [f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg']}" for e in invalid.errors()]
        hint = " (give a form, or a mapping with 'routes' and 'fields'; not a whole configuration file)"
        raise RouteCommandError(f"--rules: {path}: " + "; ".join(problems) + hint) from None


async def replay_rules(
    db: Database, form_id: str, rules: Path, since: datetime | None, progress: Callable[[int, int], None] | None = None
) -> ReplayReport:
    """Re-decide the form's stored responses (since ``since``) under ``rules``; stores nothing."""
    return await replay_form(db, _new_rules(await _form(db, form_id), rules), since, progress)


async def replay_form(
    db: Database,
    candidate: RoutingForm,
    since: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayReport:
    """Re-decide the stored responses of ``candidate``'s form under ``candidate`` (a draft); stores nothing."""
    form_id = candidate.id
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


def _print_decision(explained: Explained, as_json: bool) -> None:
    if as_json:
        document = explained.decision.wire() | {
            "answers": explained.answers,
            "failedConditions": [f.wire() for f in explained.failures],
        }
        typer.echo(json.dumps(document, indent=2))
    else:
        typer.echo("\n".join(decision_lines(explained.decision, explained.answers, explained.failures)))


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


async def versions(db: Database, form_id: str) -> list[routing_store.FormVersion]:
    """Every stored version of the form (also of a deleted one), oldest first."""
    async with db.sessions() as session:
        found = await routing_store.list_versions(session, form_id)
    if not found:
        raise RouteCommandError(f"FORM_ID: routing form {form_id!r} has no versions")
    return found


def _version(found: list[routing_store.FormVersion], number: int | None, what: str) -> routing_store.FormVersion:
    if number is None:
        return found[-1]
    chosen = next((v for v in found if v.version == number), None)
    if chosen is None:
        numbers = ", ".join(str(v.version) for v in found)
        raise RouteCommandError(f"{what}: version {number} does not exist (versions: {numbers})")
    return chosen


def _form_text(form: RoutingForm) -> list[str]:
    document = form.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude={"version"})
    return yaml.safe_dump(document, sort_keys=False).splitlines(keepends=True)


def form_diff(before: RoutingForm, after: RoutingForm, before_name: str, after_name: str) -> list[str]:
    """A unified diff of two forms' content (YAML), the version numbers left out."""
    return list(difflib.unified_diff(_form_text(before), _form_text(after), fromfile=before_name, tofile=after_name))


async def diff_versions(db: Database, form_id: str, old: int, new: int | None) -> list[str]:
    """A unified diff of two versions' content (``new`` defaults to the latest)."""
    found = await versions(db, form_id)
    before, after = _version(found, old, "OLD"), _version(found, new, "NEW")
    return form_diff(
        before.form,
        after.form,
        f"{form_id} v{before.version} ({before.author or 'unknown'}, {before.created_at:%Y-%m-%d %H:%M})",
        f"{form_id} v{after.version} ({after.author or 'unknown'}, {after.created_at:%Y-%m-%d %H:%M})",
    )


async def rollback(db: Database, form_id: str, number: int, author: str) -> RoutingForm:
    """Make version ``number``'s content live again, as a new version (history is never rewritten)."""
    found = await versions(db, form_id)
    chosen = _version(found, number, "VERSION")
    async with db.transaction() as session:
        attributes = await routing_store.list_attributes(session)
        event_types = await config_store.list_event_types(session)
        try:
            hidden = {e.id for e in event_types if e.hidden}
            validate_form(chosen.form, attributes, {e.id for e in event_types}, hidden)
        except FormValidationError as refused:
            raise RouteCommandError(f"VERSION: version {number} cannot route today: {refused}") from None
        restored = chosen.form.model_copy(update={"version": found[-1].version + 1})
        return await routing_store.save_form(session, restored, author=author)


@app.command("versions")
def versions_command(form_id: Annotated[str, typer.Argument(metavar="FORM_ID")], data_dir: DataDir = None) -> None:
    """List a form's versions with their author and time (the live one marked *)."""
    found = _run(lambda db: versions(db, form_id), data_dir)
    for v in found:
        live = "*" if v is found[-1] else " "
        typer.echo(f"{live} v{v.version:<4} {v.created_at.isoformat(timespec='seconds')}  {v.author or 'unknown'}")


@app.command("diff")
def diff_command(
    form_id: Annotated[str, typer.Argument(metavar="FORM_ID")],
    old: Annotated[int, typer.Argument(metavar="OLD", help="The older version.")],
    new: Annotated[int | None, typer.Argument(metavar="NEW", help="The newer version (default: the latest).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Show what changed between two versions of a form (a unified diff of their YAML)."""
    lines = _run(lambda db: diff_versions(db, form_id, old, new), data_dir)
    typer.echo("".join(lines) if lines else "no difference", nl=not lines)


@app.command("rollback")
def rollback_command(
    form_id: Annotated[str, typer.Argument(metavar="FORM_ID")],
    version: Annotated[int, typer.Argument(metavar="VERSION", help="The version whose content to restore.")],
    data_dir: DataDir = None,
) -> None:
    """Restore an earlier version's content as a new version (checked as any save is)."""
    saved = _run(lambda db: rollback(db, form_id, version, operator()), data_dir)
    typer.echo(f"routing form {form_id}: version {version} restored as version {saved.version}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="route")

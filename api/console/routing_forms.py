"""Routing forms in the console: the caller's forms, an editor with a condition builder, a simulator,
replay over past responses, and versions with a diff and one-click rollback.

Every read and every save goes through the API's own route functions (api/routing_forms.py), so the
console can do exactly what the caller's key could: an owner sees only their own forms (another's is a
404), saves are validated as a PATCH is, and the version grows by one with the caller as its author.
Attribute routing and weights name org attributes, which only admins may read: they are shown to admins
only, and an owner posting them is refused (403).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api import routing_forms as forms_api
from api.access import Caller, owns_event_type
from api.console.deps import CurrentConsoleUser
from api.console.form_editor import (
    ACTION_TYPES,
    FIELD_TYPES,
    OPERATOR_LABELS,
    ConditionRow,
    FieldRow,
    FormRows,
    OptionRow,
    Posted,
    RawRuleError,
    RouteRow,
    form_document,
    form_rows,
    new_id,
    posted_rows,
    takes_list,
)
from api.console.render import page, see_other
from api.console.workbench import FormProblem, ReplayOutcome, Simulation
from api.context import ApiContext, Ctx
from api.errors import ApiError, describe
from domain.routing_forms import Attribute, FormField, RoutingForm
from store import config as config_store
from store import routing as routing_store

router = APIRouter(prefix="/console/routing-forms", include_in_schema=False)
FORM = "/{form_id}"
COMMANDS = ("save", "simulate", "replay")


@router.get("")
async def list_forms(request: Request, ctx: Ctx, caller: CurrentConsoleUser) -> HTMLResponse:
    """The caller's forms (an admin: every form), as GET /v2/routing-forms lists them."""
    listed = await forms_api.list_forms(ctx, caller)
    return page(request, "routing_forms.html", caller, title="Routing forms", forms=listed.data)


# -- the editor's page ------------------------------------------------------------------------------


class Problems:
    """Save-time problems placed beside what they name: the form, a field, a route (and its conditions)."""

    def __init__(self) -> None:
        self.top: list[str] = []
        self.fields: dict[int, list[str]] = {}
        self.routes: dict[int, list[str]] = {}
        self.rule_fields: dict[int, set[str]] = {}  # per route: the field ids whose conditions are wrong

    def __bool__(self) -> bool:
        return bool(self.top or self.fields or self.routes)

    def add_validation(self, errors: list[dict[str, Any]]) -> None:
        """Pydantic's errors, each placed by its location (``routes.1.action`` → route 1)."""
        for error in errors:
            loc = error.get("loc", ())
            message = describe([error | {"loc": loc[2:] if len(loc) > 1 and isinstance(loc[1], int) else loc}])
            if len(loc) > 1 and loc[0] == "routes" and isinstance(loc[1], int):
                self.routes.setdefault(loc[1], []).append(message)
            elif len(loc) > 1 and loc[0] == "fields" and isinstance(loc[1], int):
                self.fields.setdefault(loc[1], []).append(message)
            else:
                self.top.append(message)

    def add_checks(self, found: list[FormProblem], rows: FormRows) -> None:
        """The engine's problems, placed by the route (name or id) and field (identifier) they name."""
        routes = {r.label: i for i, r in enumerate(rows.routes)}
        fields = {(f.identifier or f.label): f for f in rows.fields}
        for problem in found:
            index = routes.get(problem.route or "")
            if index is None:
                self.top.append(str(problem))
                continue
            text = f"field {problem.field!r}: {problem.message}" if problem.field else problem.message
            self.routes.setdefault(index, []).append(text)
            field = fields.get(problem.field or "")
            self.rule_fields.setdefault(index, set()).add(field.id if field else problem.field or "")


def _builder_data(
    ctx: ApiContext, rows: FormRows, attributes: list[Attribute], caller: Caller
) -> dict[str, Any] | None:
    """What the page's script needs to keep each condition fitting its field: operators per field
    (the engine's table), option ids and labels, each operator's arity and label."""
    bench = ctx.workbench
    if bench is None:
        return None
    fields, used = {}, set()
    for row in rows.fields:
        try:
            field = FormField.model_validate(_field_for_table(row))
        except ValidationError:
            continue  # a field still being written (no label yet): conditions cannot name it until saved
        operators = bench.field_operators(field)
        used.update(operators)
        fields[row.id] = {
            "label": row.label,
            "type": row.type,
            "numeric": row.type == "number",
            "options": [{"id": o.key, "label": o.label} for o in field.options],
            "operators": operators,
        }
    table: dict[str, Any] = {"fields": fields, "attributes": {}}
    if caller.admin:
        field_refs = [{"id": f"{{field:{f.id}}}", "label": f"the answer to “{f.label}”"} for f in rows.fields]
        for attribute in attributes:
            operators = bench.attribute_operators(attribute)
            used.update(operators)
            options = [{"id": o.id, "label": o.value} for o in attribute.options]
            table["attributes"][attribute.id] = {
                "label": attribute.name,
                "type": attribute.type,
                "numeric": attribute.type == "NUMBER",
                "options": options + field_refs if options else [],
                "operators": operators,
            }
    table["operators"] = {
        op: {"label": OPERATOR_LABELS.get(op, op), "arity": bench.operator_arity(op), "list": takes_list(op)}
        for op in sorted(used)
    }
    return table


def _field_for_table(row: FieldRow) -> dict[str, Any]:
    options = [{"id": o.id or None, "label": o.label} for o in row.options if o.label]
    return {"id": row.id, "label": row.label or row.id, "identifier": row.identifier or None, "type": row.type} | (
        {"options": options} if options else {}
    )


async def _lookups(ctx: ApiContext, caller: Caller) -> tuple[list[Attribute], list[dict[str, Any]]]:
    """The org's attributes (for admins only) and the event types the caller may route to."""
    async with ctx.db.sessions() as session:
        attributes = await routing_store.list_attributes(session) if caller.admin else []
        event_types = await config_store.list_event_types(session)
    offered = [{"id": e.id, "title": f"{e.title} ({e.slug})"} for e in event_types if owns_event_type(caller, e)]
    return attributes, offered


async def _readable_form(ctx: ApiContext, form_id: str, caller: Caller) -> RoutingForm:
    """The live form through GET /v2/routing-forms/{id}: a 404 for another user's form, as the API answers."""
    return RoutingForm.model_validate((await forms_api.get_form(form_id, ctx, caller)).data)


async def _editor(
    request: Request,
    ctx: ApiContext,
    caller: Caller,
    form: RoutingForm,
    rows: FormRows,
    problems: Problems | None = None,
    **results: Any,
) -> HTMLResponse:
    """The editor page. A draft with problems is shown with 200, not 400: a browser logs every 4xx page
    as a console error, and the problems are on the page, beside what they name."""
    attributes, event_types = await _lookups(ctx, caller)
    known_event_types = {e["id"] for e in event_types}
    for route in rows.routes:  # a route may point at an event type the caller cannot list: still show it
        if route.event_type_id.isdigit() and int(route.event_type_id) not in known_event_types:
            event_types.append({"id": int(route.event_type_id), "title": f"event type {route.event_type_id}"})
    data = _builder_data(ctx, rows, attributes, caller)
    return page(
        request,
        "routing_form_edit.html",
        caller,
        title=f"{form.name} · routing form",
        form=form,
        rows=rows,
        problems=problems or Problems(),
        builder=data,
        attributes=attributes,
        event_types=event_types,
        field_types=FIELD_TYPES,
        action_types=ACTION_TYPES,
        operator_labels=OPERATOR_LABELS,
        takes_list=takes_list,
        saved=request.query_params.get("saved"),
        simulation=results.get("simulation"),
        replay=results.get("replay"),
        answers=results.get("answers", {}),
    )


@router.get(FORM)
async def edit_form(request: Request, form_id: str, ctx: Ctx, caller: CurrentConsoleUser) -> HTMLResponse:
    """The editor, showing the live version."""
    form = await _readable_form(ctx, form_id, caller)
    return await _editor(request, ctx, caller, form, form_rows(form))


# -- posting the editor: save, simulate, replay, or add a row ---------------------------------------


def _with_blank_row(rows: FormRows, command: str) -> None:
    """Add the empty row a button asked for (``add-condition:1``); the page works without script."""
    what, _, where = command.partition(":")
    index = int(where) if where.isdigit() else -1
    if what == "add-field":
        rows.fields.append(FieldRow(id=new_id("f")))
    elif what == "add-route":
        rows.routes.insert(max(0, len(rows.routes) - 1), RouteRow(id=new_id("r")))  # before the fallback
    elif what == "add-option" and 0 <= index < len(rows.fields):
        rows.fields[index].options.append(OptionRow(id=new_id("o")))
    elif what == "add-condition" and 0 <= index < len(rows.routes):
        rows.routes[index].conditions.append(ConditionRow(id=new_id("c")))
    elif what == "add-attribute-condition" and 0 <= index < len(rows.routes):
        rows.routes[index].attribute_conditions.append(ConditionRow(id=new_id("c")))


def _incomplete(rows: FormRows, problems: Problems) -> None:
    """A condition with a field but no operator or value would be dropped (and match everyone): refuse it."""
    for index, route in enumerate(rows.routes):
        for condition in route.conditions + route.attribute_conditions:
            if not condition.field:
                continue
            needs = 0 if condition.operator in ("is_empty", "is_not_empty") else 1
            if not condition.operator or len(condition.values) < needs:
                what = "an operator" if not condition.operator else "a value"
                problems.routes.setdefault(index, []).append(f"a condition on {condition.field!r} needs {what}")
                problems.rule_fields.setdefault(index, set()).add(condition.field)


def _refuse_admin_parts(posted: Posted, caller: Caller) -> None:
    """Attribute routing and weights are admin-only: hidden from owners, and refused when posted."""
    if caller.admin:
        return
    admin_only = (".a.", ".aconj", ".weights", ".skip_owner")
    if any(key.startswith("r.") and any(part in key for part in admin_only) for key in posted.names()):
        raise ApiError(403, "attribute routing and weights: only an admin may change them")


def _answers(posted: Posted, draft: RoutingForm) -> dict[str, Any]:
    """The simulator's answers (``sim.<field id>``), keyed by field id as the engine takes them."""
    answers: dict[str, Any] = {}
    for field in draft.fields:
        key = f"sim.{field.id}"
        if field.type == "checkbox" and not field.options:
            answers[field.id] = posted.has(key)
        elif field.type in ("multiselect", "checkbox"):
            if chosen := posted.all(key):
                answers[field.id] = chosen
        elif value := posted.get(key):
            answers[field.id] = value
    return answers


def _draft(stored: RoutingForm, document: dict[str, Any], problems: Problems) -> RoutingForm | None:
    """The edited form as the API would parse it (None, with the problems placed, when it does not parse)."""
    try:
        return RoutingForm.model_validate(stored.wire() | document | {"version": stored.version + 1})
    except ValidationError as invalid:
        problems.add_validation(list(invalid.errors()))
        return None


@router.post(FORM, response_model=None)
async def post_form(
    request: Request,
    form_id: str,
    ctx: Ctx,
    caller: CurrentConsoleUser,
    command: Annotated[str, Form(alias="command", max_length=100)] = "save",
) -> HTMLResponse | RedirectResponse:
    """Save the posted form (as PATCH /v2/routing-forms/{id} does), or simulate, replay, or add a row."""
    stored = await _readable_form(ctx, form_id, caller)
    posted = Posted((await request.form()).multi_items())
    _refuse_admin_parts(posted, caller)
    if command not in COMMANDS and not command.startswith("add-"):
        raise ApiError(400, f"command: {command!r} is not one of {', '.join(COMMANDS)} or add-…")
    rows = posted_rows(posted, form_id)
    if command.startswith("add-"):
        _with_blank_row(rows, command)
        return await _editor(request, ctx, caller, stored, rows)
    problems = Problems()
    _incomplete(rows, problems)
    try:
        document = form_document(rows, stored, caller.admin)
    except RawRuleError as bad:
        problems.top.append(str(bad))
        return await _editor(request, ctx, caller, stored, rows, problems)
    draft = _draft(stored, document, problems)
    if draft is not None and ctx.workbench is not None:
        async with ctx.db.sessions() as session:  # what the API's PATCH checks against (api/routing_forms.py)
            known = await routing_store.list_attributes(session)
            event_types = await config_store.list_event_types(session)
        ids, hidden = {e.id for e in event_types}, {e.id for e in event_types if e.hidden}
        problems.add_checks(ctx.workbench.form_problems(draft, known, ids, hidden), rows)
    if problems or draft is None:
        return await _editor(request, ctx, caller, stored, rows, problems)
    if command == "simulate":
        answers = _answers(posted, draft)
        simulation = await _simulate(ctx, draft, answers)
        return await _editor(request, ctx, caller, stored, rows, simulation=simulation, answers=answers)
    if command == "replay":
        outcome = await _replay(ctx, draft)
        return await _editor(request, ctx, caller, stored, rows, replay=outcome)
    try:
        saved = await forms_api.update_form(form_id, ctx, caller, document)
    except ApiError as refused:
        if refused.status != 400:
            raise
        problems.top.append(refused.message)
        return await _editor(request, ctx, caller, stored, rows, problems)
    return see_other(f"/console/routing-forms/{form_id}?saved={saved.data['version']}")


async def _simulate(ctx: ApiContext, draft: RoutingForm, answers: dict[str, Any]) -> Simulation:
    if ctx.workbench is None:
        return Simulation(error="the simulator is not available in this process")
    return await ctx.workbench.simulate(ctx.db, draft, answers)


async def _replay(ctx: ApiContext, draft: RoutingForm) -> ReplayOutcome:
    if ctx.workbench is None:
        return ReplayOutcome(error="replay is not available in this process")
    return await ctx.workbench.replay(ctx.db, draft)


# -- versions, diff, rollback -----------------------------------------------------------------------


@router.get(FORM + "/versions")
async def versions(
    request: Request, form_id: str, ctx: Ctx, caller: CurrentConsoleUser, diff: int | None = None, error: str = ""
) -> HTMLResponse:
    """Every version (newest first), and the diff of ``?diff=N`` against the live version."""
    form = await _readable_form(ctx, form_id, caller)
    async with ctx.db.sessions() as session:
        found = await routing_store.list_versions(session, form_id)
    lines: list[str] = []
    if diff is not None:
        chosen = next((v for v in found if v.version == diff), None)
        if chosen is None:
            raise ApiError(404, f"diff: routing form {form_id} has no version {diff}")
        if ctx.workbench is not None:
            lines = ctx.workbench.diff(chosen.form, form, f"v{chosen.version}", f"v{form.version} (live)")
    return page(
        request,
        "routing_form_versions.html",
        caller,
        error=error,
        restored=request.query_params.get("restored"),
        title=f"{form.name} · versions",
        form=form,
        versions=list(reversed(found)),
        diff_version=diff,
        diff_lines=lines,
    )


@router.post(FORM + "/rollback", response_model=None)
async def rollback(
    request: Request,
    form_id: str,
    ctx: Ctx,
    caller: CurrentConsoleUser,
    version: Annotated[int, Form(ge=1, le=2**31)],
) -> HTMLResponse | RedirectResponse:
    """Make an earlier version's content live again as a new version, through the API's PATCH."""
    old = RoutingForm.model_validate((await forms_api.get_form(form_id, ctx, caller, version)).data)
    body = {k: v for k, v in old.wire().items() if k not in ("id", "version")}
    try:
        saved = await forms_api.update_form(form_id, ctx, caller, body)
    except ApiError as refused:
        if refused.status != 400:
            raise
        return await versions(request, form_id, ctx, caller, error=f"version {version} cannot be restored: {refused}")
    return see_other(f"/console/routing-forms/{form_id}?saved={saved.data['version']}&restored={version}")

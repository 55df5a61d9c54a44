"""Console (admin only): CRM field mappings per event type, and the sync-error list.

The editor shows one row per mapping (moment, object, field, type, value, when). When the CRM's
credentials are set, the org's fields are offered from its describe (the field input suggests them, and
a table lists each field's type and active picklist values); without them only the save-time rules run.
"Check" validates without saving and "Save" validates then stores the event type's mappings in the
``crm`` section, both through the code `bookflow crm validate` runs (``ctx.operations``); every problem
is shown beside the mapping it names. The error list is GET /v2/crm/errors' data.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from api.access import Caller
from api.console.deps import ConsoleAdmin, operations
from api.console.render import page
from api.context import ApiContext, Ctx
from api.errors import ApiError
from api.operations import CrmProvider, MappingProblem
from domain.base import CamelModel
from store import config as config_store
from store import crm as crm_store

router = APIRouter(prefix="/console/crm", include_in_schema=False)
PROVIDERS: tuple[CrmProvider, ...] = ("salesforce", "hubspot")


class MappingRow(CamelModel):
    """One editor row: a mapping as typed, and the problems that name it."""

    on: str = "booking"
    object: str = "event"
    field: str = ""
    type: str = "text"
    value: str = ""
    when: str = "every_booking"
    problems: list[MappingProblem] = []

    @classmethod
    def from_stored(cls, mapping: dict[str, Any]) -> "MappingRow":
        """A stored mapping as the editor types it (a checkbox's boolean as ``true``/``false``)."""
        return cls.model_validate({k: str(v).lower() if isinstance(v, bool) else v for k, v in mapping.items()})

    @property
    def name(self) -> str:
        """How a problem names this mapping: ``on.object.field``."""
        return f"{self.on}.{self.object}.{self.field}"

    def mapping(self) -> dict[str, Any]:
        """The mapping document entry (a checkbox's value is a boolean)."""
        value: str | bool = self.value
        if self.type == "checkbox" and self.value.lower() in ("true", "false"):
            value = self.value.lower() == "true"
        return {
            "on": self.on,
            "object": self.object,
            "field": self.field,
            "type": self.type,
            "value": value,
            "when": self.when,
        }


def stored_mappings(section: dict[str, Any], provider: CrmProvider, event_type_id: int) -> list[dict[str, Any]]:
    """An event type's mappings for ``provider`` from the stored crm section (its stored form spells
    out every default, so it is read here without crm/'s models)."""
    entry = next((e for e in section.get("eventTypes") or [] if e.get("eventTypeId") == event_type_id), None)
    if entry is None:
        return []
    if provider == "salesforce":
        document = (entry.get("salesforce") or {}).get("fieldMappings") or {}
    else:
        document = ((entry.get("hubspot") or {}).get("sync") or {}).get("mappings") or {}
    return list(document.get("mappings") or [])


def place_problems(rows: list[MappingRow], problems: list[MappingProblem]) -> list[MappingProblem]:
    """Put each problem beside the row it names (by on.object.field, or #n); return those naming none."""
    unplaced = []
    for problem in problems:
        row = next((r for r in rows if r.name.lower() == problem.mapping.lower()), None)
        if row is None and problem.mapping.startswith("#"):
            number = problem.mapping[1:].split(" ", 1)[0]
            row = rows[int(number) - 1] if number.isdigit() and 0 < int(number) <= len(rows) else None
        if row is None:
            unplaced.append(problem)
        else:
            row.problems.append(problem)
    return unplaced


async def _event_type_or_404(ctx: ApiContext, event_type_id: int) -> None:
    async with ctx.db.sessions() as session:
        if await config_store.get_event_type(session, event_type_id) is None:
            raise ApiError(404, f"Event type with id={event_type_id} not found")


def _provider(provider: str) -> CrmProvider:
    if provider not in PROVIDERS:
        raise ApiError(404, f"no CRM named {provider!r}: salesforce or hubspot")
    return provider  # type: ignore[return-value]


async def _editor(
    request: Request,
    ctx: ApiContext,
    caller: Caller,
    provider: CrmProvider,
    event_type_id: int,
    rows: list[MappingRow],
    problems: list[MappingProblem],
    notice: str = "",
) -> HTMLResponse:
    ops = operations(ctx)
    try:
        fields = await ops.crm_fields(provider, event_type_id)
        describe_error = None
    except Exception as failed:  # an unreachable org must not hide the editor; say why nothing is offered
        fields, describe_error = None, f"the {provider} describe failed: {failed}"
    values = {
        "provider": provider,
        "event_type_id": event_type_id,
        "rows": [*rows, MappingRow()],  # one blank row to add a mapping
        "general": place_problems(rows, problems),
        "choices": ops.crm_choices(),
        "fields": fields,
        "describe_error": describe_error,
        "notice": notice,
        "title": f"CRM mappings: event type {event_type_id}, {provider}",
    }
    return page(request, "crm_mappings.html", caller, status=422 if problems else 200, **values)


@router.get("", response_class=HTMLResponse)
async def crm_page(request: Request, ctx: Ctx, caller: ConsoleAdmin) -> HTMLResponse:
    """Every event type with its count of mappings per CRM, and which CRMs are connected."""
    async with ctx.db.sessions() as session:
        event_types = await config_store.list_event_types(session)
        section = await crm_store.get_config(session)
    counts = {(et.id, p): len(stored_mappings(section, p, et.id)) for et in event_types for p in PROVIDERS}
    values = {
        "event_types": event_types,
        "counts": counts,
        "providers": PROVIDERS,
        "connected": operations(ctx).crm_connected(),
        "title": "CRM",
    }
    return page(request, "crm.html", caller, **values)


@router.get("/errors", response_class=HTMLResponse)
async def errors_page(
    request: Request,
    ctx: Ctx,
    caller: ConsoleAdmin,
    provider: Annotated[str, Query(max_length=16)] = "",
    booking_uid: Annotated[str, Query(alias="bookingUid", max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> HTMLResponse:
    """GET /v2/crm/errors' data; the filter form sends "" for "any"."""
    crm = _provider(provider) if provider else None
    async with ctx.db.sessions() as session:
        found = await crm_store.list_errors(session, limit=limit, provider=crm, booking_uid=booking_uid or None)
    values = {"errors": found, "provider": provider, "booking_uid": booking_uid, "title": "CRM sync errors"}
    return page(request, "crm_errors.html", caller, **values)


@router.get("/{event_type_id}/{provider}", response_class=HTMLResponse)
async def mappings_page(
    request: Request, event_type_id: int, provider: str, ctx: Ctx, caller: ConsoleAdmin
) -> HTMLResponse:
    """The editor with the event type's stored mappings for ``provider``."""
    crm = _provider(provider)
    await _event_type_or_404(ctx, event_type_id)
    async with ctx.db.sessions() as session:
        section = await crm_store.get_config(session)
    rows = [MappingRow.from_stored(m) for m in stored_mappings(section, crm, event_type_id)]
    return await _editor(request, ctx, caller, crm, event_type_id, rows, [])


@router.post("/{event_type_id}/{provider}", response_class=HTMLResponse)
async def mappings_submit(
    request: Request,
    event_type_id: int,
    provider: str,
    ctx: Ctx,
    caller: ConsoleAdmin,
    on: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
    object: Annotated[list[str], Form()] = [],  # noqa: B006
    field: Annotated[list[str], Form()] = [],  # noqa: B006
    type: Annotated[list[str], Form()] = [],  # noqa: B006
    value: Annotated[list[str], Form()] = [],  # noqa: B006
    when: Annotated[list[str], Form()] = [],  # noqa: B006
    action: Annotated[str, Form()] = "check",
) -> HTMLResponse:
    """Check (validate only) or save the rows; a row without a field name is left out."""
    crm = _provider(provider)
    await _event_type_or_404(ctx, event_type_id)
    columns = (on, object, field, type, value, when)
    if len({len(c) for c in columns}) != 1:
        raise ApiError(400, "mappings: every row needs on, object, field, type, value and when")
    rows = [
        MappingRow(on=o, object=ob, field=f.strip(), type=t, value=v, when=w)
        for o, ob, f, t, v, w in zip(*columns, strict=True)
        if f.strip()
    ]
    mappings = [row.mapping() for row in rows]
    ops = operations(ctx)
    if action == "save":
        problems = await ops.save_crm_mappings(crm, event_type_id, mappings)
        notice = "" if problems else f"saved {len(rows)} mappings"
    else:
        problems = await ops.crm_mapping_problems(crm, event_type_id, mappings)
        notice = "" if problems else "no problems found (not saved yet)"
    return await _editor(request, ctx, caller, crm, event_type_id, rows, problems, notice)

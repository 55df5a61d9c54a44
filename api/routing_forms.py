"""`/v2/routing-forms`: forms (create, read, edit), submissions decided server-side, and their traces.

The router also carries `/v2/attributes` and `/v2/bookings/{uid}/wrong-assignment` (one include).
"""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api import attributes, wrong_assignment
from api.access import Caller, CurrentUser, may_act_for, owns_form
from api.context import ApiContext, Ctx
from api.errors import ApiError, describe
from api.schemas import Envelope
from domain.routing_forms import AnswerError, RoutingDecision, RoutingForm, validate_answers
from domain.routing_responses import RoutingResponseInput, api_answer, response_workflow_id, submitter_email
from store import config as config_store
from store import crm as crm_store
from store import routing
from store.routing import StoredResponseRecord

router = APIRouter()
forms = APIRouter(prefix="/v2/routing-forms", tags=["routing forms"])

RESPONSE_WORKFLOW = "RoutingResponseWorkflow"
DECISION_TIMEOUT_SECONDS = 30


def _parse_form(document: dict[str, Any]) -> RoutingForm:
    try:
        return RoutingForm.model_validate(document)
    except ValidationError as invalid:
        raise ApiError(400, describe(invalid.errors())) from None


async def _validated(ctx: ApiContext, form: RoutingForm) -> RoutingForm:
    """``form`` if it can route (else a 400 naming the form, the route, the field and the fix)."""
    async with ctx.db.sessions() as session:
        known = await routing.list_attributes(session)
        event_types = await config_store.list_event_types(session)
    ids, hidden = {e.id for e in event_types}, {e.id for e in event_types if e.hidden}
    if problems := ctx.checks.routing_form_problems(form, known, ids, hidden):
        raise ApiError(400, f"routing form {form.id!r}: " + "; ".join(problems))
    return form


async def _form(ctx: ApiContext, form_id: str, caller: Caller | None = None) -> RoutingForm:
    """The form, or a 404 (also when ``caller`` is given and does not own it)."""
    async with ctx.db.sessions() as session:
        form = await routing.get_form(session, form_id)
    if form is None or (caller is not None and not owns_form(caller, form)):
        raise ApiError(404, f"Routing form {form_id} not found")
    return form


@forms.post("", status_code=201)
async def create_form(ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]) -> Envelope:
    # A user's key makes forms of that user; a form without a user (the organisation's) takes an admin key.
    defaults = {"id": str(uuid.uuid4())} | ({} if caller.admin else {"userId": caller.user_id})
    form = await _validated(ctx, _parse_form(defaults | body | {"version": 1}))
    if not caller.admin:
        may_act_for(caller, form.user_id, "userId")
    async with ctx.db.transaction() as session:
        if await routing.get_form(session, form.id) is not None:
            raise ApiError(409, f"id: routing form {form.id} already exists; PATCH it instead")
        saved = await routing.save_form(session, form, author=_author(caller))
    return Envelope(data=saved.wire())


@forms.get("")
async def list_forms(ctx: Ctx, caller: CurrentUser) -> Envelope:
    async with ctx.db.sessions() as session:
        found = await routing.list_forms(session)
    return Envelope(data=[f.wire() for f in found if owns_form(caller, f)])


def _author(caller: Caller) -> str:
    """A version's author: the API key's user."""
    return f"user:{caller.username} (id {caller.user_id})"


@forms.get("/{form_id}")
async def get_form(
    form_id: str, ctx: Ctx, caller: CurrentUser, version: Annotated[int | None, Query(ge=1, le=2**31)] = None
) -> Envelope:
    """The form as it is now, or as it was at ``?version=N``."""
    form = await _form(ctx, form_id, caller)
    if version is None:
        return Envelope(data=form.wire())
    async with ctx.db.sessions() as session:
        old = await routing.get_form(session, form_id, version)
    if old is None:
        raise ApiError(404, f"version: routing form {form_id} has no version {version} (latest is {form.version})")
    return Envelope(data=old.wire())


@forms.get("/{form_id}/versions")
async def list_versions(form_id: str, ctx: Ctx, caller: CurrentUser) -> Envelope:
    """Every version of the form, oldest first, with its author and time (the form itself: ``?version=N``)."""
    await _form(ctx, form_id, caller)
    async with ctx.db.sessions() as session:
        versions = await routing.list_versions(session, form_id)
    return Envelope(
        data=[{"version": v.version, "createdAt": v.created_at.isoformat(), "author": v.author} for v in versions]
    )


@forms.delete("/{form_id}")
async def delete_form(form_id: str, ctx: Ctx, caller: CurrentUser) -> Envelope:
    """Delete the form; its versions and responses are kept (and stay readable by an admin)."""
    await _form(ctx, form_id, caller)
    async with ctx.db.transaction() as session:
        await routing.delete_form(session, form_id)
    return Envelope(data={"id": form_id, "deleted": True})


@forms.patch("/{form_id}")
async def update_form(form_id: str, ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]) -> Envelope:
    """Change some of a form's top-level fields; the stored version grows by one."""
    if "id" in body and body["id"] != form_id:
        raise ApiError(400, "id: a form's id cannot change")
    current = await _form(ctx, form_id, caller)
    changed = await _validated(ctx, _parse_form(current.wire() | body | {"version": current.version + 1}))
    if not caller.admin:
        may_act_for(caller, changed.user_id, "userId")  # no handing it to another user
    async with ctx.db.transaction() as session:
        saved = await routing.save_form(session, changed, author=_author(caller))
    return Envelope(data=saved.wire())


# -- responses --------------------------------------------------------------------------------------


async def _decide(ctx: ApiContext, stored: StoredResponseRecord) -> RoutingDecision:
    """Start the response's workflow and wait for its decision."""
    handle = await ctx.temporal.start_workflow(
        RESPONSE_WORKFLOW,
        RoutingResponseInput(response_id=stored.id, form_filler_id=stored.form_filler_id),
        id=response_workflow_id(stored.form_filler_id),
        task_queue=ctx.task_queue,
    )
    update = handle.execute_update("decision", result_type=RoutingDecision)
    return await asyncio.wait_for(update, DECISION_TIMEOUT_SECONDS)


@forms.post("/{form_id}/responses", status_code=201)
async def submit(form_id: str, ctx: Ctx, answers: Annotated[dict[str, Any], Body()], request: Request) -> Envelope:
    """Check the answers, store the response, decide it (workflow) and answer with the routing."""
    form = await _form(ctx, form_id)
    if form.disabled:
        raise ApiError(409, f"Routing form {form_id} is disabled")
    try:
        values = validate_answers(form, answers)
    except AnswerError as bad:
        raise ApiError(400, str(bad)) from None
    async with ctx.db.transaction() as session:
        stored, token = await routing.add_response(
            session, form, answers, values, submitter_email(form, values), datetime.now(UTC)
        )
        # The configured geo headers (CF-IPCountry, ...) feed the CRM owner lookup's tiebreakers.
        await crm_store.save_request_geo(session, stored.id, request.headers)
    try:
        decision = await _decide(ctx, stored)
    except (TimeoutError, WorkflowUpdateFailedError, RPCError):
        message = f"response {stored.id} is stored but not routed yet: the workflow engine is slow or down"
        raise ApiError(503, message) from None
    return Envelope(data=api_answer(stored.id, decision, token))


def response_out(stored: StoredResponseRecord) -> dict[str, Any]:
    """A stored response with its decision and the full trace of why."""
    return {
        "id": stored.id,
        "formId": stored.form_id,
        "formVersion": stored.form_version,
        "response": stored.answers,
        "values": stored.values,
        "routedToBookingUid": stored.booking_uid,
        "chosenRouteId": stored.decision.route_id if stored.decision else None,
        "decision": stored.decision.wire() if stored.decision else None,
        "trace": stored.decision.trace.wire() if stored.decision else None,
        "createdAt": stored.created_at.isoformat(),
    }


RESPONSES_PAGE = 50


@forms.get("/{form_id}/responses")
async def list_responses(
    form_id: str,
    ctx: Ctx,
    caller: CurrentUser,
    take: Annotated[int, Query(ge=1, le=250)] = RESPONSES_PAGE,
    cursor: Annotated[str | None, Query(max_length=64, pattern=r"^[0-9]+$")] = None,
) -> Envelope:
    """The form's responses, newest first, ``take`` at a time; ``cursor`` is the previous page's ``nextCursor``."""
    await _form(ctx, form_id, caller)
    async with ctx.db.sessions() as session:
        before = None
        if cursor is not None:
            last = await routing.get_response(session, int(cursor))
            if last is None or last.form_id != form_id:
                raise ApiError(400, f"cursor: {cursor} is not a response of routing form {form_id}")
            before = (last.created_at, last.id)
        page = await routing.list_responses(session, form_id, take, before)
    next_cursor = str(page[-1].id) if len(page) == take else None
    return Envelope(data={"responses": [response_out(r) for r in page], "nextCursor": next_cursor})


@forms.get("/{form_id}/responses/{response_id}")
async def get_response(form_id: str, response_id: int, ctx: Ctx) -> Envelope:
    """A stored response (answers, decision, trace), to anyone holding its id, as in Cal.com.

    Public because response ids are random 53-bit integers, known only to the submitter (and the form's
    owner); the answer never carries the booking token or its hash.
    """
    await _form(ctx, form_id)
    async with ctx.db.sessions() as session:
        stored = await routing.get_response(session, response_id)
    if stored is None or stored.form_id != form_id:
        raise ApiError(404, f"Response {response_id} of routing form {form_id} not found")
    return Envelope(data=response_out(stored))


router.include_router(forms)
router.include_router(attributes.router)
router.include_router(wrong_assignment.router)

"""`/v2/routing-forms`: forms (create, read, edit), submissions decided server-side, and their traces.

The router also carries `/v2/attributes` and `/v2/bookings/{uid}/wrong-assignment` (one include).
"""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api import attributes, wrong_assignment
from api.context import ApiContext, context
from api.errors import ApiError, describe
from api.schemas import Envelope
from domain.routing_forms import AnswerError, RoutingDecision, RoutingForm, validate_answers
from domain.routing_responses import RoutingResponseInput, api_answer, response_workflow_id, submitter_email
from store import crm as crm_store
from store import routing
from store.routing import StoredResponseRecord

router = APIRouter()
forms = APIRouter(prefix="/v2/routing-forms", tags=["routing forms"])
Ctx = Annotated[ApiContext, Depends(context)]

RESPONSE_WORKFLOW = "RoutingResponseWorkflow"
DECISION_TIMEOUT_SECONDS = 30


def _parse_form(document: dict[str, Any]) -> RoutingForm:
    try:
        return RoutingForm.model_validate(document)
    except ValidationError as invalid:
        raise ApiError(400, describe(invalid.errors())) from None


async def _validated(ctx: ApiContext, form: RoutingForm) -> RoutingForm:
    """``form`` if it can route (else a 400 naming the route and the field)."""
    async with ctx.db.sessions() as session:
        known = await routing.list_attributes(session)
    if problems := ctx.checks.routing_form_problems(form, known):
        raise ApiError(400, "; ".join(problems))
    return form


async def _form(ctx: ApiContext, form_id: str) -> RoutingForm:
    async with ctx.db.sessions() as session:
        form = await routing.get_form(session, form_id)
    if form is None:
        raise ApiError(404, f"Routing form {form_id} not found")
    return form


@forms.post("", status_code=201)
async def create_form(ctx: Ctx, body: Annotated[dict[str, Any], Body()]) -> Envelope:
    form = await _validated(ctx, _parse_form({"id": str(uuid.uuid4())} | body | {"version": 1}))
    async with ctx.db.transaction() as session:
        if await routing.get_form(session, form.id) is not None:
            raise ApiError(409, f"id: routing form {form.id} already exists; PATCH it instead")
        saved = await routing.save_form(session, form)
    return Envelope(data=saved.wire())


@forms.get("")
async def list_forms(ctx: Ctx) -> Envelope:
    async with ctx.db.sessions() as session:
        return Envelope(data=[f.wire() for f in await routing.list_forms(session)])


@forms.get("/{form_id}")
async def get_form(form_id: str, ctx: Ctx) -> Envelope:
    return Envelope(data=(await _form(ctx, form_id)).wire())


@forms.patch("/{form_id}")
async def update_form(form_id: str, ctx: Ctx, body: Annotated[dict[str, Any], Body()]) -> Envelope:
    """Change some of a form's top-level fields; the stored version grows by one."""
    if "id" in body and body["id"] != form_id:
        raise ApiError(400, "id: a form's id cannot change")
    current = await _form(ctx, form_id)
    changed = await _validated(ctx, _parse_form(current.wire() | body | {"version": current.version + 1}))
    async with ctx.db.transaction() as session:
        saved = await routing.save_form(session, changed)
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
        stored = await routing.add_response(
            session, form, answers, values, submitter_email(form, values), datetime.now(UTC)
        )
        # The configured geo headers (CF-IPCountry, ...) feed the CRM owner lookup's tiebreakers.
        await crm_store.save_request_geo(session, stored.id, request.headers)
    try:
        decision = await _decide(ctx, stored)
    except (TimeoutError, WorkflowUpdateFailedError, RPCError):
        message = f"response {stored.id} is stored but not routed yet: the workflow engine is slow or down"
        raise ApiError(503, message) from None
    return Envelope(data=api_answer(stored.id, decision))


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


@forms.get("/{form_id}/responses/{response_id}")
async def get_response(form_id: str, response_id: int, ctx: Ctx) -> Envelope:
    async with ctx.db.sessions() as session:
        stored = await routing.get_response(session, response_id)
    if stored is None or stored.form_id != form_id:
        raise ApiError(404, f"Response {response_id} of routing form {form_id} not found")
    return Envelope(data=response_out(stored))


router.include_router(forms)
router.include_router(attributes.router)
router.include_router(wrong_assignment.router)

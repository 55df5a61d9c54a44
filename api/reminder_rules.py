"""`/v2/event-types/{id}/workflows`: an event type's reminder rules, each checked completely before saving.

A rule whose template names an unknown variable or fails to render is refused with a 400 naming the
step, the part and the position, so it never reaches a booking.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import ValidationError

from api.access import CurrentUser
from api.context import ApiContext, Ctx
from api.errors import ApiError, describe
from api.event_types import owned_event_type
from api.schemas import Envelope
from domain.config import EventType
from domain.reminders import ReminderWorkflow
from store import config

router = APIRouter(prefix="/v2/event-types/{event_type_id}/workflows", tags=["reminders"])


def _rule(event_type: EventType, workflow_id: int) -> ReminderWorkflow:
    found = next((w for w in event_type.workflows if w.id == workflow_id), None)
    if found is None:
        raise ApiError(404, f"Workflow with id={workflow_id} not found on event type {event_type.id}")
    return found


def _validated(ctx: ApiContext, event_type: EventType, data: dict[str, Any]) -> ReminderWorkflow:
    """The rule in ``data``, or a 400 naming every problem (shape first, then templates)."""
    try:
        rule = ReminderWorkflow.model_validate(data)
    except ValidationError as invalid:
        raise ApiError(400, describe(invalid.errors())) from None
    if problems := ctx.checks.reminder_rule_problems(rule, event_type):
        raise ApiError(400, "; ".join(problems))
    return rule


async def _save(ctx: ApiContext, event_type: EventType, workflows: list[ReminderWorkflow]) -> None:
    updated = EventType.model_validate(event_type.model_dump() | {"workflows": workflows})
    async with ctx.db.transaction() as session:
        await config.upsert_event_type(session, updated)


@router.get("")
async def list_workflows(event_type_id: int, ctx: Ctx, caller: CurrentUser) -> Envelope:
    return Envelope(data=[w.wire() for w in (await owned_event_type(ctx, event_type_id, caller)).workflows])


@router.get("/{workflow_id}")
async def get_workflow(event_type_id: int, workflow_id: int, ctx: Ctx, caller: CurrentUser) -> Envelope:
    return Envelope(data=_rule(await owned_event_type(ctx, event_type_id, caller), workflow_id).wire())


@router.post("", status_code=201)
async def create_workflow(
    event_type_id: int, ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]
) -> Envelope:
    """Add a rule; its id is the next free one unless the body gives one."""
    event_type = await owned_event_type(ctx, event_type_id, caller)
    body = {"id": max((w.id for w in event_type.workflows), default=0) + 1} | body
    rule = _validated(ctx, event_type, body)
    if any(w.id == rule.id for w in event_type.workflows):
        raise ApiError(409, f"id: workflow {rule.id} already exists on event type {event_type_id}")
    await _save(ctx, event_type, [*event_type.workflows, rule])
    return Envelope(data=rule.wire())


@router.patch("/{workflow_id}")
async def update_workflow(
    event_type_id: int, workflow_id: int, ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]
) -> Envelope:
    """Change a rule; fields left out keep their value, ``steps`` replaces the whole list."""
    event_type = await owned_event_type(ctx, event_type_id, caller)
    current = _rule(event_type, workflow_id)
    if body.get("id", workflow_id) != workflow_id:
        raise ApiError(400, "id: a workflow's id cannot change")
    rule = _validated(ctx, event_type, current.wire() | body)
    await _save(ctx, event_type, [rule if w.id == workflow_id else w for w in event_type.workflows])
    return Envelope(data=rule.wire())


@router.delete("/{workflow_id}")
async def delete_workflow(event_type_id: int, workflow_id: int, ctx: Ctx, caller: CurrentUser) -> Envelope:
    """Remove a rule from the event type; bookings already made keep the rules they were made with."""
    event_type = await owned_event_type(ctx, event_type_id, caller)
    rule = _rule(event_type, workflow_id)
    await _save(ctx, event_type, [w for w in event_type.workflows if w.id != workflow_id])
    return Envelope(data=rule.wire())

"""`/v2/event-types`: Cal.com's event type fields, including the lifecycle ones."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import ValidationError
from sqlalchemy import func, select

from api.access import Caller, CurrentUser, may_act_for, owns_event_type
from api.context import ApiContext, Ctx
from api.errors import ApiError, describe
from api.event_type_output import rendered, rendered_one
from api.schemas import Envelope
from domain.config import EventType
from store import availability, config
from store.config import EventTypeRow

router = APIRouter(prefix="/v2/event-types", tags=["event types"])


def _validated(ctx: ApiContext, data: dict[str, Any]) -> EventType:
    try:
        event_type = EventType.model_validate(data)
    except ValidationError as invalid:
        raise ApiError(400, describe(invalid.errors())) from None
    # Reminder templates are checked before saving, like every other field.
    if problems := ctx.checks.event_type_problems(event_type):
        raise ApiError(400, "; ".join(problems))
    return event_type


async def _hosts_exist(ctx: ApiContext, event_type: EventType) -> None:
    async with ctx.db.sessions() as session:
        for index, host in enumerate(event_type.hosts):
            if await config.get_user(session, host.user_id) is None:
                raise ApiError(400, f"hosts.{index}.userId: user {host.user_id} does not exist")
        if event_type.schedule_id is not None:
            schedule = await availability.get_schedule(session, event_type.schedule_id)
            if schedule is None or schedule.owner_id not in {h.user_id for h in event_type.hosts}:
                raise ApiError(400, f"scheduleId: schedule {event_type.schedule_id} is not a schedule of a host")


async def owned_event_type(ctx: ApiContext, event_type_id: int, caller: Caller) -> EventType:
    """The event type if ``caller`` owns it (or is an admin); a 404 otherwise, as if it did not exist."""
    async with ctx.db.sessions() as session:
        event_type = await config.get_event_type(session, event_type_id)
    if event_type is None or not owns_event_type(caller, event_type):
        raise ApiError(404, f"Event type with id={event_type_id} not found")
    return event_type


async def _save(ctx: ApiContext, event_type: EventType) -> None:
    await _hosts_exist(ctx, event_type)
    async with ctx.db.transaction() as session:
        await config.upsert_event_type(session, event_type)


# A field and its alias: sending one in a PATCH replaces what the other said (Cal.com's name or Bookflow's).
ALIASES = {"locations": "location", "location": "locations", "confirmationPolicy": "requiresConfirmation",
           "requiresConfirmation": "confirmationPolicy"}  # fmt: skip


def _superseded(body: dict[str, Any]) -> set[str]:
    return {ALIASES[k] for k in body if k in ALIASES and ALIASES[k] not in body}


@router.get("")
async def list_event_types(ctx: Ctx, caller: CurrentUser) -> Envelope:
    async with ctx.db.sessions() as session:
        found = await config.list_event_types(session)
    return Envelope(data=await rendered(ctx, [e for e in found if owns_event_type(caller, e)]))


@router.get("/{event_type_id}")
async def get_event_type(event_type_id: int, ctx: Ctx, caller: CurrentUser) -> Envelope:
    return Envelope(data=await rendered_one(ctx, await owned_event_type(ctx, event_type_id, caller)))


@router.post("", status_code=201)
async def create_event_type(ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]) -> Envelope:
    if "id" not in body:
        async with ctx.db.sessions() as session:
            body = {**body, "id": (await session.scalar(select(func.max(EventTypeRow.id))) or 0) + 1}
    if "hosts" not in body:  # Cal.com's body names no hosts: the key's user hosts it
        body = {**body, "hosts": [{"userId": caller.user_id}]}
    event_type = _validated(ctx, body)
    may_act_for(caller, event_type.hosts[0].user_id, "hosts.0.userId")
    async with ctx.db.sessions() as session:
        if await config.get_event_type(session, event_type.id) is not None:
            raise ApiError(409, f"id: event type {event_type.id} already exists")
    await _save(ctx, event_type)
    return Envelope(data=await rendered_one(ctx, event_type))


@router.patch("/{event_type_id}")
async def update_event_type(
    event_type_id: int, ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]
) -> Envelope:
    current = await owned_event_type(ctx, event_type_id, caller)
    if body.get("id", event_type_id) != event_type_id:
        raise ApiError(400, "id: an event type's id cannot change")
    event_type = _validated(ctx, {k: v for k, v in current.wire().items() if k not in _superseded(body)} | body)
    may_act_for(caller, event_type.hosts[0].user_id, "hosts.0.userId")  # no handing it to another user
    await _save(ctx, event_type)
    return Envelope(data=await rendered_one(ctx, event_type))


@router.delete("/{event_type_id}")
async def delete_event_type(event_type_id: int, ctx: Ctx, caller: CurrentUser) -> Envelope:
    """Delete the event type; its existing bookings keep their own copy of it and live on."""
    event_type = await owned_event_type(ctx, event_type_id, caller)
    async with ctx.db.transaction() as session:
        await config.delete_event_type(session, event_type_id)
    return Envelope(data=await rendered_one(ctx, event_type))

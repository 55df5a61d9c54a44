"""`/v2/event-types`: Cal.com's event type fields, including the lifecycle ones."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import ValidationError
from sqlalchemy import func, select

from api.context import ApiContext, context
from api.errors import ApiError, describe
from api.schemas import Envelope
from domain.config import EventType
from store import config
from store.config import EventTypeRow

router = APIRouter(prefix="/v2/event-types", tags=["event types"])
Ctx = Annotated[ApiContext, Depends(context)]


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


async def _get(ctx: ApiContext, event_type_id: int) -> EventType:
    async with ctx.db.sessions() as session:
        event_type = await config.get_event_type(session, event_type_id)
    if event_type is None:
        raise ApiError(404, f"Event type with id={event_type_id} not found")
    return event_type


async def _save(ctx: ApiContext, event_type: EventType) -> None:
    await _hosts_exist(ctx, event_type)
    async with ctx.db.transaction() as session:
        await config.upsert_event_type(session, event_type)


@router.get("")
async def list_event_types(ctx: Ctx) -> Envelope:
    async with ctx.db.sessions() as session:
        return Envelope(data=[e.wire() for e in await config.list_event_types(session)])


@router.get("/{event_type_id}")
async def get_event_type(event_type_id: int, ctx: Ctx) -> Envelope:
    return Envelope(data=(await _get(ctx, event_type_id)).wire())


@router.post("", status_code=201)
async def create_event_type(ctx: Ctx, body: Annotated[dict[str, Any], Body()]) -> Envelope:
    if "id" not in body:
        async with ctx.db.sessions() as session:
            body = {**body, "id": (await session.scalar(select(func.max(EventTypeRow.id))) or 0) + 1}
    event_type = _validated(ctx, body)
    async with ctx.db.sessions() as session:
        if await config.get_event_type(session, event_type.id) is not None:
            raise ApiError(409, f"id: event type {event_type.id} already exists")
    await _save(ctx, event_type)
    return Envelope(data=event_type.wire())


@router.patch("/{event_type_id}")
async def update_event_type(event_type_id: int, ctx: Ctx, body: Annotated[dict[str, Any], Body()]) -> Envelope:
    current = await _get(ctx, event_type_id)
    if body.get("id", event_type_id) != event_type_id:
        raise ApiError(400, "id: an event type's id cannot change")
    event_type = _validated(ctx, current.wire() | body)
    await _save(ctx, event_type)
    return Envelope(data=event_type.wire())


@router.delete("/{event_type_id}")
async def delete_event_type(event_type_id: int, ctx: Ctx) -> Envelope:
    """Delete the event type; its existing bookings keep their own copy of it and live on."""
    event_type = await _get(ctx, event_type_id)
    async with ctx.db.transaction() as session:
        await config.delete_event_type(session, event_type_id)
    return Envelope(data=event_type.wire())

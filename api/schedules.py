"""`/v2/schedules` (Cal.com API 2024-06-11): a user's weekly hours and date overrides."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import ValidationError

from api.access import Caller, CurrentUser
from api.context import ApiContext, Ctx
from api.errors import ApiError, describe
from api.schemas import Envelope
from domain.schedules import Schedule, ScheduleFields
from store import availability

router = APIRouter(prefix="/v2/schedules", tags=["schedules"])


def _fields(data: dict[str, Any]) -> ScheduleFields:
    try:
        return ScheduleFields.model_validate(data)
    except ValidationError as invalid:
        raise ApiError(400, describe(invalid.errors())) from None


def schedule_out(schedule: Schedule) -> dict[str, Any]:
    """Cal.com's ScheduleOutput_2024_06_11."""
    data = schedule.wire()
    order = ("id", "ownerId", "name", "timeZone", "availability", "isDefault", "overrides")
    return {key: data[key] for key in order}


async def _owned(ctx: ApiContext, schedule_id: int, caller: Caller) -> Schedule:
    async with ctx.db.sessions() as session:
        schedule = await availability.get_schedule(session, schedule_id)
    if schedule is None or not (caller.admin or schedule.owner_id == caller.user_id):
        raise ApiError(404, f"Schedule with id={schedule_id} not found")
    return schedule


@router.post("", status_code=201)
async def create_schedule(ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]) -> Envelope:
    """Create a schedule for the key's user; ``isDefault`` makes it the one event types use by default."""
    fields = _fields(body)
    async with ctx.db.transaction() as session:
        schedule = await availability.create_schedule(session, caller.user_id, fields)
    return Envelope(data=schedule_out(schedule))


@router.get("")
async def list_schedules(ctx: Ctx, caller: CurrentUser) -> Envelope:
    async with ctx.db.sessions() as session:
        found = await availability.list_schedules(session, caller.user_id)
    return Envelope(data=[schedule_out(s) for s in found])


@router.get("/default")
async def default_schedule(ctx: Ctx, caller: CurrentUser) -> Envelope:
    """The user's default schedule, or ``null`` when they have none (then Cal.com's Mon-Fri 09-17 applies)."""
    async with ctx.db.sessions() as session:
        found = [s for s in await availability.list_schedules(session, caller.user_id) if s.is_default]
    return Envelope(data=schedule_out(found[0]) if found else None)


@router.get("/{schedule_id}")
async def get_schedule(schedule_id: int, ctx: Ctx, caller: CurrentUser) -> Envelope:
    return Envelope(data=schedule_out(await _owned(ctx, schedule_id, caller)))


@router.patch("/{schedule_id}")
async def update_schedule(
    schedule_id: int, ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]
) -> Envelope:
    """Change the fields sent; the others keep their values."""
    current = await _owned(ctx, schedule_id, caller)
    unchanged = current.model_dump(by_alias=True, mode="json", exclude={"id", "owner_id"})
    fields = _fields(unchanged | body)
    async with ctx.db.transaction() as session:
        schedule = await availability.update_schedule(session, schedule_id, fields)
    return Envelope(data=schedule_out(schedule))


@router.delete("/{schedule_id}")
async def delete_schedule(schedule_id: int, ctx: Ctx, caller: CurrentUser) -> dict[str, str]:
    await _owned(ctx, schedule_id, caller)
    async with ctx.db.transaction() as session:
        await availability.delete_schedule(session, schedule_id)
    return {"status": "success"}

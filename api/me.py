"""`/v2/me`: the key's user reads and changes their profile (time zone, default schedule, booking limits)."""

from typing import Any

from fastapi import APIRouter, Response
from pydantic import EmailStr, Field, field_validator

from api.access import Caller, CurrentUser
from api.context import ApiContext, Ctx
from api.errors import ApiError
from api.schemas import Envelope
from domain.base import CamelModel
from domain.config import User
from domain.schedules import UserBookingLimits
from domain.text_bounds import NAME
from domain.zones import check_time_zone
from store import availability, config

router = APIRouter(prefix="/v2/me", tags=["me"])


class UpdateMe(CamelModel):
    """The profile fields Bookflow keeps (Cal.com's UpdateManagedUserInput, those parts)."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    email: EmailStr | None = None
    time_zone: str | None = Field(default=None, max_length=NAME)
    default_schedule_id: int | None = Field(default=None, ge=1)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return check_time_zone(value) if value is not None else None


def me_out(user: User) -> dict[str, Any]:
    """Cal.com's MeOutput (fields Bookflow does not keep are null or Cal.com's defaults)."""
    limits = user.booking_limits or UserBookingLimits()
    return {
        "id": user.id,
        "username": user.username,
        "email": str(user.email),
        "name": user.name,
        "avatarUrl": None,
        "bio": None,
        "timeFormat": 12,
        "defaultScheduleId": user.default_schedule_id,
        "weekStart": "Monday",
        "timeZone": user.time_zone,
        "organizationId": None,
        "bookingLimits": limits.wire(),
    }


async def _me(ctx: ApiContext, caller: Caller) -> User:
    async with ctx.db.sessions() as session:
        user = await config.get_user(session, caller.user_id)
    if user is None:
        raise ApiError(404, f"User with id={caller.user_id} not found")
    return user


async def _save(ctx: ApiContext, user: User) -> None:
    async with ctx.db.transaction() as session:
        await config.upsert_user(session, user)


@router.get("")
async def get_me(ctx: Ctx, caller: CurrentUser) -> Envelope:
    return Envelope(data=me_out(await _me(ctx, caller)))


@router.patch("")
async def update_me(body: UpdateMe, ctx: Ctx, caller: CurrentUser) -> Envelope:
    user = await _me(ctx, caller)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if body.default_schedule_id is not None:
        async with ctx.db.sessions() as session:
            schedule = await availability.get_schedule(session, body.default_schedule_id)
        if schedule is None or schedule.owner_id != user.id:
            raise ApiError(400, f"defaultScheduleId: schedule {body.default_schedule_id} is not one of yours")
    updated = User.model_validate(user.model_dump() | changes)
    await _save(ctx, updated)
    return Envelope(data=me_out(updated))


@router.get("/booking-limits")
async def get_booking_limits(ctx: Ctx, caller: CurrentUser) -> Envelope:
    return Envelope(data=((await _me(ctx, caller)).booking_limits or UserBookingLimits()).wire())


@router.patch("/booking-limits")
async def update_booking_limits(body: dict[str, int | None], ctx: Ctx, caller: CurrentUser) -> Envelope:
    """Merge: an omitted field is kept, ``null`` clears it."""
    user = await _me(ctx, caller)
    current = (user.booking_limits or UserBookingLimits()).wire()
    limits = UserBookingLimits.model_validate(current | body)
    await _save(ctx, user.model_copy(update={"booking_limits": limits}))
    return Envelope(data=limits.wire())


@router.delete("/booking-limits", status_code=204)
async def delete_booking_limits(ctx: Ctx, caller: CurrentUser) -> Response:
    user = await _me(ctx, caller)
    await _save(ctx, user.model_copy(update={"booking_limits": None}))
    return Response(status_code=204)

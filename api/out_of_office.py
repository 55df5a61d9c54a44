"""`/v2/out-of-office`: the key's user marks time away; it blocks their availability for its range.

With ``toUserId`` a booking of an event type the teammate also hosts goes to the teammate in that range
(Cal.com's out-of-office redirect): the away host is simply busy, so another free host is chosen.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import ValidationError

from api.access import Caller, CurrentUser
from api.context import ApiContext, Ctx
from api.errors import ApiError, describe
from api.schemas import Envelope
from domain.schedules import OutOfOffice, OutOfOfficeFields
from store import availability, config

router = APIRouter(prefix="/v2/out-of-office", tags=["out of office"])


def _fields(data: dict[str, Any]) -> OutOfOfficeFields:
    try:
        return OutOfOfficeFields.model_validate(data)
    except ValidationError as invalid:
        raise ApiError(400, describe(invalid.errors())) from None


async def _owned(ctx: ApiContext, entry_id: int, caller: Caller) -> OutOfOffice:
    async with ctx.db.sessions() as session:
        entry = await availability.get_out_of_office(session, entry_id)
    if entry is None or not (caller.admin or entry.user_id == caller.user_id):
        raise ApiError(404, f"Out of office entry with id={entry_id} not found")
    return entry


async def _save(ctx: ApiContext, entry: OutOfOffice | None, user_id: int, fields: OutOfOfficeFields) -> OutOfOffice:
    """Save unless it overlaps another entry of the user (409) or redirects to an unknown user (400)."""
    async with ctx.db.transaction() as session:
        if fields.to_user_id is not None:
            if fields.to_user_id == user_id:
                raise ApiError(400, "toUserId: cannot redirect bookings to yourself")
            if await config.get_user(session, fields.to_user_id) is None:
                raise ApiError(400, f"toUserId: user {fields.to_user_id} does not exist")
        clash = await availability.overlapping_out_of_office(
            session, user_id, fields.start, fields.end, entry.id if entry else None
        )
        if clash is not None:
            raise ApiError(
                409,
                f"start: overlaps out-of-office entry {clash.id} ({clash.start.isoformat()} to "
                f"{clash.end.isoformat()})",
            )
        return await availability.save_out_of_office(session, entry, user_id, fields)


@router.post("", status_code=201)
async def create_entry(ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]) -> Envelope:
    entry = await _save(ctx, None, caller.user_id, _fields(body))
    return Envelope(data=entry.wire())


@router.get("")
async def list_entries(ctx: Ctx, caller: CurrentUser) -> Envelope:
    async with ctx.db.sessions() as session:
        found = await availability.list_out_of_office(session, caller.user_id)
    return Envelope(data=[e.wire() for e in found])


@router.get("/{entry_id}")
async def get_entry(entry_id: int, ctx: Ctx, caller: CurrentUser) -> Envelope:
    return Envelope(data=(await _owned(ctx, entry_id, caller)).wire())


@router.patch("/{entry_id}")
async def update_entry(
    entry_id: int, ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]
) -> Envelope:
    current = await _owned(ctx, entry_id, caller)
    unchanged = current.model_dump(by_alias=True, mode="json", exclude={"id", "user_id"})
    entry = await _save(ctx, current, current.user_id, _fields(unchanged | body))
    return Envelope(data=entry.wire())


@router.delete("/{entry_id}")
async def delete_entry(entry_id: int, ctx: Ctx, caller: CurrentUser) -> Envelope:
    entry = await _owned(ctx, entry_id, caller)
    async with ctx.db.transaction() as session:
        await availability.delete_out_of_office(session, entry_id)
    return Envelope(data=entry.wire())

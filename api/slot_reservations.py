"""Slot reservations: `/v2/slots/reservations` (2024-09-04) and `/v2/slots/reserve`, `/v2/slots/selected-slot`.

A reservation is a hold like a booking's, with a release time: the slot is neither offered to nor
bookable by anyone else until it expires or is released. [BF] Unlike Cal.com it is checked like a
booking (schedule, notice, window, limits), in the same locked transaction.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Response
from pydantic import AwareDatetime, Field, field_validator

from api.access import OptionalCaller
from api.booking_availability import refusal, verdict
from api.context import ApiContext, Ctx
from api.errors import ApiError
from api.slots import EARLIEST, LATEST, duration_of, event_type_for, iso
from domain.base import CamelModel
from domain.config import EventType
from store import availability as store
from store.db import as_utc

router = APIRouter(prefix="/v2/slots", tags=["slots"])

DEFAULT_MINUTES = 5
BOOKED = "Can't reserve a slot if the event is already booked."
RESERVED = "This time slot is already reserved by another user. Please choose a different time."
ANONYMOUS = (
    "reservationDuration can only be used for authenticated requests - use access token, api key or OAuth credentials"
)


def _plausible(value: datetime, field: str) -> datetime:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"{field}: outside the years 1970 to 9000")
    return value


class ReserveSlot(CamelModel):
    """Cal.com's ReserveSlotInput_2024_09_04."""

    event_type_id: int = Field(ge=1, le=2**31 - 1)
    slot_start: AwareDatetime
    slot_duration: int | None = Field(default=None, ge=1, le=24 * 60)
    reservation_duration: int | None = Field(default=None, ge=1, le=24 * 60)

    _start = field_validator("slot_start")(lambda value: _plausible(value, "slotStart"))


class ReserveOlder(CamelModel):
    """The 2024-04-15 family's body."""

    event_type_id: int = Field(ge=1, le=2**31 - 1)
    slot_utc_start_date: AwareDatetime
    slot_utc_end_date: AwareDatetime
    booking_uid: str | None = Field(default=None, max_length=255)

    _start = field_validator("slot_utc_start_date", "slot_utc_end_date")(lambda value: _plausible(value, "slot"))


def _out(rows: list[store.HoldRow], with_duration: bool = True) -> dict[str, Any]:
    row = rows[0]
    data = {
        "eventTypeId": row.event_type_id,
        "slotStart": iso(as_utc(row.slot_start), None),
        "slotEnd": iso(as_utc(row.slot_end), None),
        "slotDuration": row.data.get("slotDuration"),
        "reservationUid": row.uid,
        "reservationDuration": row.data.get("reservationDuration"),
        "reservationUntil": iso(as_utc(row.release_at), None) if row.release_at else None,
    }
    if not with_duration:
        del data["reservationDuration"]
    return data


def _slot_duration(event_type: EventType, requested: int | None) -> int:
    if requested is not None and not event_type.length_in_minutes_options:
        raise ApiError(
            400, "slotDuration: You passed 'slotDuration' but this event type is not a variable length event type."
        )
    return duration_of(event_type, requested, "slotDuration")


async def _hold(
    ctx: ApiContext, event_type: EventType, start: datetime, minutes: int, hold_minutes: int, uid: str
) -> list[store.HoldRow]:
    """Check the slot like a booking and hold it for ``hold_minutes``.

    Booked or reserved already → 409 with Cal.com's message (Cal.com answers 422; Bookflow keeps its codes).
    """
    now = datetime.now(UTC)
    async with ctx.db.sessions() as session:
        result = await verdict(session, event_type, start, minutes, now, ignore=(uid,))
    if not result.ok:
        async with ctx.db.sessions() as session:
            taken = await store.conflicting_kind(
                session,
                [h.user_id for h in event_type.hosts],
                start,
                start + timedelta(minutes=minutes),
                now,
                ignore=uid,
            )
        if taken is not None:
            raise ApiError(409, RESERVED if taken == store.RESERVATION else BOOKED)
        raise refusal(result, event_type)
    hosts = (
        [h.user_id for h in event_type.hosts]
        if event_type.scheduling_type == "collective"
        else result.free_host_ids[:1]
    )
    holds = [
        store.Hold(
            host_id=host,
            kind=store.RESERVATION,
            uid=uid,
            event_type_id=event_type.id,
            status="RESERVED",
            slot_start=start,
            slot_end=start + timedelta(minutes=minutes),
            before=event_type.before_event_buffer,
            after=event_type.after_event_buffer,
            release_at=now + timedelta(minutes=hold_minutes),
            data={"slotDuration": minutes, "reservationDuration": hold_minutes},
        )
        for host in hosts
    ]
    try:
        async with ctx.db.transaction() as session:
            await store.lock_hosts(session, hosts)
            await store.release(session, uid)
            await store.add_holds(session, holds, now)
            rows = await store.reservation(session, uid, now)
    except store.HoldConflict as conflict:
        raise ApiError(409, RESERVED if conflict.kind == store.RESERVATION else BOOKED) from None
    return rows


def _hold_minutes(requested: int | None, caller: Any) -> int:
    if requested is None:
        return DEFAULT_MINUTES
    if caller is None:
        raise ApiError(401, f"reservationDuration: {ANONYMOUS}")
    return requested


async def _authorised(caller: Any, event_type: EventType, requested: int | None) -> None:
    """A custom reservation length is for the event type's hosts (or an admin): 400 for anyone else."""
    hosts = {h.user_id for h in event_type.hosts}
    if requested is not None and caller is not None and not caller.admin and caller.user_id not in hosts:
        raise ApiError(400, "reservationDuration: only a host of the event type may set it")


@router.post("/reservations", status_code=201)
async def reserve(body: ReserveSlot, ctx: Ctx, caller: OptionalCaller) -> dict[str, Any]:
    """Hold a slot for ``reservationDuration`` minutes (default 5)."""
    event_type = await event_type_for(ctx, body.event_type_id, None, None)
    hold_minutes = _hold_minutes(body.reservation_duration, caller)
    await _authorised(caller, event_type, body.reservation_duration)
    minutes = _slot_duration(event_type, body.slot_duration)
    rows = await _hold(ctx, event_type, body.slot_start.astimezone(UTC), minutes, hold_minutes, uuid.uuid4().hex)
    return {"status": "success", "data": _out(rows)}


@router.get("/reservations/{uid}")
async def get_reservation(uid: str, ctx: Ctx) -> dict[str, Any]:
    """The live reservation ``uid``, or ``null``."""
    async with ctx.db.sessions() as session:
        rows = await store.reservation(session, uid, datetime.now(UTC))
    return {"status": "success", "data": _out(rows, with_duration=False) if rows else None}


@router.patch("/reservations/{uid}")
async def update_reservation(uid: str, body: ReserveSlot, ctx: Ctx, caller: OptionalCaller) -> dict[str, Any]:
    """Move or renew a reservation; its release time restarts."""
    async with ctx.db.sessions() as session:
        if not await store.reservation(session, uid, datetime.now(UTC)):
            raise ApiError(404, f"Slot with uid={uid} not found")
    event_type = await event_type_for(ctx, body.event_type_id, None, None)
    hold_minutes = _hold_minutes(body.reservation_duration, caller)
    await _authorised(caller, event_type, body.reservation_duration)
    minutes = _slot_duration(event_type, body.slot_duration)
    rows = await _hold(ctx, event_type, body.slot_start.astimezone(UTC), minutes, hold_minutes, uid)
    return {"status": "success", "data": _out(rows)}


@router.delete("/reservations/{uid}")
async def delete_reservation(uid: str, ctx: Ctx) -> dict[str, str]:
    async with ctx.db.transaction() as session:
        await store.release(session, uid)
    return {"status": "success"}


@router.post("/reserve", status_code=201)
async def reserve_older(body: ReserveOlder, ctx: Ctx, response: Response) -> dict[str, Any]:
    """The 2024-04-15 family: ``{"data": "<uid>"}`` and the uid as a cookie."""
    event_type = await event_type_for(ctx, body.event_type_id, None, None)
    start, end = body.slot_utc_start_date.astimezone(UTC), body.slot_utc_end_date.astimezone(UTC)
    minutes = int((end - start).total_seconds() // 60)
    if minutes < 1:
        raise ApiError(400, "slotUtcEndDate: must be after slotUtcStartDate")
    duration_of(event_type, minutes, "slotUtcEndDate")
    uid = uuid.uuid4().hex
    await _hold(ctx, event_type, start, minutes, DEFAULT_MINUTES, uid)
    response.set_cookie("uid", uid, httponly=True, samesite="lax")
    return {"status": "success", "data": uid}


@router.delete("/selected-slot")
async def delete_selected_slot(uid: str, ctx: Ctx) -> dict[str, str]:
    async with ctx.db.transaction() as session:
        await store.release(session, uid)
    return {"status": "success"}

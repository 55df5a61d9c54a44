"""Seated bookings on API v2: a seat per booker in the slot's one booking, cancelled and moved one by one.

The first booker of a slot makes the booking (the ordinary reservation, whose holds block the host's time);
each later booker of that slot takes a seat in it through the booking's workflow (``add_seat``), which
refuses once every seat is taken. Answers are Cal.com's seated shapes (CreateSeatedBookingOutput,
GetSeatedBookingOutput): ``seatUid``, and attendees each with their ``seatUid``. When the event type hides
attendees (``showAttendeeInfo`` false) a seat's attendee sees only themselves; the event type's owner and
hosts see everyone.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Caller, manages_booking
from api.booking_availability import refusal, verdict
from api.booking_commands import existing, update
from api.booking_output import booking_out
from api.booking_start import start_booking
from api.context import ApiContext
from api.errors import ApiError
from availability.engine import still_free
from domain import lifecycle
from domain import seats as seating
from domain.booking import Attendee, Booking, BookingStatus, PreviousSlot
from domain.config import EventType
from domain.seats import AddSeatInput, CancelSeatInput
from store import bookings
from store import seats as stored_seats

# A seat's uid from the booker's Idempotency-Key: a repeated request finds its seat rather than take another.
_SEAT_NAMESPACE = uuid.UUID("5d1c3f0e-6a43-4f5e-9d0b-2f1c7b1e5a11")


def seat_uid_for(key: str | None) -> str:
    """A new seat's uid (stable for one Idempotency-Key)."""
    return str(uuid.uuid5(_SEAT_NAMESPACE, key) if key else uuid.uuid4())


def with_seat(attendee: Attendee, key: str | None, responses: dict[str, Any], metadata: dict[str, Any]) -> Attendee:
    """``attendee`` holding a new seat, with their own answers and metadata (Cal.com's BookingSeat.data)."""
    return attendee.model_copy(
        update={"seat_uid": seat_uid_for(key), "seat_responses": responses, "seat_metadata": metadata}
    )


async def join(
    ctx: ApiContext, event_type: EventType, start: datetime, attendee: Attendee, previous: PreviousSlot | None = None
) -> Booking | None:
    """Give ``attendee`` a seat in the slot's booking, if there is one (None: the slot has no booking yet).

    A full slot is a 409 naming its booking (the workflow's refusal); a repeated request keeps its seat.
    ``previous``: the booking a moved seat comes from (its event is then BOOKING_RESCHEDULED).
    """
    async with ctx.db.sessions() as session:
        found = await stored_seats.slot_booking(session, event_type.id, start)
    if found is None:
        return None
    if attendee.seat_uid and seating.seat(found, attendee.seat_uid) is not None:
        return found  # the same Idempotency-Key again: its seat is already taken
    # Its first booker may not have started its workflow yet (it reserves first): starting it is idempotent.
    try:
        await start_booking(ctx.temporal, found, ctx.task_queue, ctx.keep_open_minutes)
    except Exception:
        raise ApiError(503, "the workflow engine is unavailable; no seat was taken, try again") from None
    return await update(ctx, found.uid, "add_seat", AddSeatInput(attendee=attendee, previous=previous))


def visible_attendees(booking: Booking, seat_uid: str | None, sees_all: bool) -> list[Attendee]:
    """Who a reader of ``booking`` sees: everyone when the event type shows attendees or the reader manages it,
    else only the reader's own seat (none for a reader without one)."""
    assert booking.event_type.seats is not None
    if sees_all or booking.event_type.seats.show_attendee_info:
        return booking.attendees
    return [a for a in booking.attendees if seat_uid is not None and a.seat_uid == seat_uid]


def seated_out(booking: Booking, seat_uid: str | None = None, caller: Caller | None = None) -> dict[str, Any]:
    """A seated booking as Cal.com answers it; ``seat_uid``: the reader's seat (the seat a create just took)."""
    sees_all = caller is not None and manages_booking(caller, booking)
    shown = booking.model_copy(update={"attendees": visible_attendees(booking, seat_uid, sees_all)})
    data = booking_out(shown)
    if seat_uid is not None:
        data["seatUid"] = seat_uid
    return data


def out(booking: Booking, caller: Caller | None = None) -> dict[str, Any]:
    """Any booking as read back: a seated one in the seated shape, with its attendees as the reader may see."""
    return seated_out(booking, caller=caller) if booking.event_type.seats is not None else booking_out(booking)


async def cancel_seat(
    ctx: ApiContext, uid: str, seat_uid: str, reason: str | None, caller: Caller | None
) -> dict[str, Any]:
    """Give up one seat; the booking and the other seats stay (the last seat cancels the booking).

    The answer is the booking as ``caller`` may see it (the seat is no longer theirs).
    """
    current = await existing(ctx, uid)
    if current.event_type.seats is None:
        raise ApiError(400, f"seatUid: booking {uid} is not a seated booking")
    if seating.seat(current, seat_uid) is None:
        raise ApiError(404, f"seatUid: booking {uid} has no seat {seat_uid}")
    after = await update(ctx, uid, "cancel_seat", CancelSeatInput(seat_uid=seat_uid, cancellation_reason=reason))
    return seated_out(after, caller=caller)


async def reschedule_seat(
    ctx: ApiContext, uid: str, seat_uid: str, start: datetime, caller: Caller | None
) -> dict[str, Any]:
    """Move one seat to ``start``: into the booking already there, else into a new booking of that slot.

    The seat keeps its uid; it is taken at the new slot before it is given up at the old one, so a refusal
    (a full or unavailable slot) leaves it where it was.
    """
    current = await existing(ctx, uid)
    if current.event_type.seats is None:
        raise ApiError(400, f"seatUid: booking {uid} is not a seated booking")
    moving = seating.seat(current, seat_uid)
    if moving is None:
        raise ApiError(404, f"seatUid: booking {uid} has no seat {seat_uid}")
    try:
        seating.check_cancel_seat(current, seat_uid)
    except seating.TransitionRefused as refused:
        raise ApiError(409, str(refused)) from None
    start = start.astimezone(UTC)
    if start == current.start:
        raise ApiError(400, f"start: seat {seat_uid} is already at {start.isoformat()}")
    target = await join(ctx, current.event_type, start, moving, PreviousSlot.of(current))
    if target is None:
        target = await _open_slot(ctx, current, moving, start)
    await update(ctx, uid, "cancel_seat", CancelSeatInput(seat_uid=seat_uid, moved=True))
    return seated_out(target, seat_uid, caller)


async def _open_slot(ctx: ApiContext, current: Booking, moving: Attendee, start: datetime) -> Booking:
    """A new booking at ``start`` holding only ``moving``'s seat (the slot had none): the same host(s), checked
    for availability and reserved atomically; a racing first seat there turns this into a join."""
    minutes = int((current.end - current.start).total_seconds() // 60)
    hosts = bookings.holding_hosts(current)
    now = datetime.now(UTC)
    async with ctx.db.sessions() as session:
        result = await verdict(session, current.event_type, start, minutes, now, host_ids=hosts)
    if not result.ok:
        raise refusal(result, current.event_type)
    draft = current.model_copy(
        update={
            "id": 0,
            "uid": uuid.uuid4().hex,
            "attendees": [moving],
            "guests": [],
            "start": start,
            "end": start + timedelta(minutes=minutes),
            "status": BookingStatus.PENDING,
            "created_at": now,
            "updated_at": None,
            "idempotency_key": None,
            "done": [],
            "trigger_counts": {},
            "joins": [],
            "absent_host": False,
        }
    )
    draft = draft.model_copy(update={"status": lifecycle.initial_status(draft)[0]})
    try:
        async with ctx.db.transaction() as session:
            fits = still_free(draft.event_type, draft.start, draft.end, now)
            booking = await bookings.reserve(session, draft, still_free=fits)
    except bookings.SlotTaken:
        joined = await join(ctx, current.event_type, start, moving, PreviousSlot.of(current))
        if joined is None:
            raise ApiError(409, f"start: {start.isoformat()} was taken while seat {moving.seat_uid} moved") from None
        return joined
    try:
        moved_from = PreviousSlot.of(current)
        await start_booking(ctx.temporal, booking, ctx.task_queue, ctx.keep_open_minutes, previous=moved_from)
    except Exception:
        async with ctx.db.transaction() as session:
            await bookings.release(session, booking.uid)
        raise ApiError(503, "the workflow engine is unavailable; the seat was not moved, try again") from None
    return booking


# -- slots -------------------------------------------------------------------------------------------


async def open_slots(session: AsyncSession, event_type: EventType, first: datetime, last: datetime) -> list[Booking]:
    """The event type's seated bookings in ``[first, last]`` with a seat left: their slots stay on offer
    (their holds still block the host's other event types and the other start times)."""
    if event_type.seats is None:
        return []
    found = await stored_seats.seated_bookings(session, event_type.id, first, last)
    return [b for b in found if len(b.attendees) < seating.capacity(b)]


def only_shared_starts(
    found: dict[date, list[datetime]], shared: list[Booking], length: timedelta
) -> dict[date, list[datetime]]:
    """Drop the slots that overlap a seated booking without starting with it: only its own slot is shared."""
    if not shared:
        return found

    def keep(moment: datetime) -> bool:
        return all(b.start == moment or not (moment < b.end and moment + length > b.start) for b in shared)

    kept = {day: [m for m in moments if keep(m)] for day, moments in found.items()}
    return {day: moments for day, moments in kept.items() if moments}


async def slot_counts(
    ctx: ApiContext, event_type: EventType, start: datetime, end: datetime
) -> Callable[[datetime], dict[str, Any]]:
    """A slot's seat fields (Cal.com's slots output): ``seatsBooked``, ``seatsRemaining`` and ``seatsTotal``
    when the event type shows the count, and the ``bookingUid`` of a slot already booked."""
    if event_type.seats is None:
        return lambda _moment: {}
    async with ctx.db.sessions() as session:
        booked = {b.start: b for b in await stored_seats.seated_bookings(session, event_type.id, start, end)}
    total, show = event_type.seats.seats_per_time_slot, event_type.seats.show_availability_count

    def counts(moment: datetime) -> dict[str, Any]:
        booking = booked.get(moment)
        taken = len(booking.attendees) if booking is not None else 0
        fields: dict[str, Any] = (
            {"seatsBooked": taken, "seatsRemaining": total - taken, "seatsTotal": total} if show else {}
        )
        return fields | ({"bookingUid": booking.uid} if booking is not None else {})

    return counts

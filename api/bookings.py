"""`/v2/bookings`: create, read, list, and every lifecycle change of a booking."""

import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from sqlalchemy.exc import IntegrityError
from temporalio.exceptions import WorkflowAlreadyStartedError

from api import routing_bookings
from api.booking_commands import BOOKING_WORKFLOW, existing, signal, update
from api.context import ApiContext, context
from api.errors import ApiError
from api.schemas import (
    Cancel,
    CreateBooking,
    Decline,
    Envelope,
    Participant,
    Payment,
    Reschedule,
    booking_out,
)
from domain import lifecycle
from domain import search_attributes as search
from domain.booking import (
    Attendee,
    Booking,
    BookingInput,
    BookingStatus,
    CancelInput,
    ConfirmInput,
    DeclineInput,
    MarkAbsentInput,
    ParticipantJoin,
    PaymentSucceeded,
    RescheduleInput,
)
from domain.config import EventType, User
from domain.reminders import requires_attendee_phone
from store import bookings, config, routing

router = APIRouter(prefix="/v2/bookings", tags=["bookings"])
Ctx = Annotated[ApiContext, Depends(context)]


def _now() -> datetime:
    return datetime.now(UTC)


def _check_future(start: datetime) -> None:
    if start <= _now():
        raise ApiError(400, f"start: {start.isoformat()} is in the past; choose a future time in UTC")


async def _event_type_and_organizer(ctx: ApiContext, request: CreateBooking) -> tuple[EventType, User]:
    async with ctx.db.sessions() as session:
        if request.event_type_id is not None:
            event_type = await config.get_event_type(session, request.event_type_id)
            if event_type is None:
                raise ApiError(400, f"eventTypeId: event type {request.event_type_id} does not exist")
        else:
            event_type = await config.find_event_type(session, request.username or "", request.event_type_slug or "")
            if event_type is None:
                raise ApiError(
                    400,
                    f"eventTypeSlug: no event type {request.event_type_slug!r} for user {request.username!r}",
                )
        organizer = await config.get_user(session, event_type.hosts[0].user_id)
    if organizer is None:
        raise ApiError(
            409,
            f"event type {event_type.id} has no bookable host: user {event_type.hosts[0].user_id} is unknown",
        )
    return event_type, organizer


def _draft(request: CreateBooking, event_type: EventType, organizer: User, key: str | None) -> Booking:
    now = _now()
    attendee = Attendee(**request.attendee.model_dump())
    booking = Booking(
        id=0,
        uid=uuid.uuid4().hex,
        event_type=event_type,
        organizer=organizer,
        attendees=[attendee],
        guests=request.guests,
        start=request.start,
        end=request.start + timedelta(minutes=event_type.length_in_minutes),
        status=BookingStatus.PENDING,
        created_at=now,
        title=f"{event_type.title} between {organizer.name} and {attendee.name}",
        description=event_type.description,
        location=request.location_text or event_type.location,
        metadata=request.metadata,
        booking_fields_responses=request.booking_fields_responses,
        idempotency_key=key,
        payment_uid=uuid.uuid4().hex if event_type.price > 0 else None,
    )
    status, _ = lifecycle.initial_status(booking)
    return booking.model_copy(update={"status": status})


async def _replay(ctx: ApiContext, key: str | None) -> Booking | None:
    if not key:
        return None
    async with ctx.db.sessions() as session:
        return await bookings.get_by_idempotency_key(session, key)


@router.post("", status_code=201)
async def create_booking(
    request: CreateBooking,
    ctx: Ctx,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> Envelope:
    """Book a slot: reserve it atomically, then start the booking's workflow (id = booking uid)."""
    if (earlier := await _replay(ctx, idempotency_key)) is not None:
        await _ensure_started(ctx, earlier)
        return Envelope(data=booking_out(earlier))
    _check_future(request.start)
    event_type, organizer = await _event_type_and_organizer(ctx, request)
    routing_ref = None
    if request.routing is not None:  # host and team come from the stored decision, never from the request
        organizer, routing_ref = await routing_bookings.routed_organizer(
            ctx, request.routing.response_id, event_type, organizer
        )
    if requires_attendee_phone(event_type.workflows) and not request.attendee.phone_number:
        raise ApiError(400, "attendee.phoneNumber: required, this event type sends SMS reminders (e.g. +14155550123)")
    draft = _draft(request, event_type, organizer, idempotency_key).model_copy(update={"routing": routing_ref})
    try:
        async with ctx.db.transaction() as session:
            booking = await routing_bookings.reserve(session, draft)
    except bookings.SlotTaken as taken:
        raise ApiError(409, str(taken), "SLOT_TAKEN") from None
    except routing.AlreadyBooked as booked:
        raise ApiError(409, f"routing.responseId: {booked}") from None
    except IntegrityError:
        # The same Idempotency-Key raced us: answer with the booking the other request made.
        if (earlier := await _replay(ctx, idempotency_key)) is not None:
            return Envelope(data=booking_out(earlier))
        raise
    try:
        await _ensure_started(ctx, booking)
    except Exception:
        async with ctx.db.transaction() as session:
            await routing_bookings.release(session, booking.uid)
        raise ApiError(503, "the workflow engine is unavailable; nothing was booked, try again") from None
    return Envelope(data=booking_out(booking))


async def _ensure_started(ctx: ApiContext, booking: Booking) -> None:
    # A repeated request (same Idempotency-Key) finds the workflow already running: that is success.
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await ctx.temporal.start_workflow(
            BOOKING_WORKFLOW,
            BookingInput(booking=booking, keep_open_minutes=ctx.keep_open_minutes),
            id=booking.uid,
            task_queue=ctx.task_queue,
            search_attributes=search.for_booking(booking),
        )


@router.get("/{uid}")
async def get_booking(uid: str, ctx: Ctx) -> Envelope:
    return Envelope(data=booking_out(await existing(ctx, uid)))


@router.get("")
async def list_bookings(
    ctx: Ctx,
    status: str | None = None,
    attendee_email: Annotated[str | None, Query(alias="attendeeEmail")] = None,
    event_type_id: Annotated[int | None, Query(alias="eventTypeId")] = None,
    take: Annotated[int, Query(ge=1, le=250)] = 100,
    skip: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    statuses = tuple(s.strip() for s in status.split(",") if s.strip()) if status else ()
    allowed = {"upcoming", "unconfirmed", "past", "cancelled"}
    if unknown := [s for s in statuses if s not in allowed]:
        raise ApiError(400, f"status: {unknown[0]!r} is not one of {', '.join(sorted(allowed))}")
    filters = bookings.BookingFilter(statuses, attendee_email, event_type_id, take, skip)
    async with ctx.db.sessions() as session:
        found, total = await bookings.search(session, filters, _now())
    pages = max(1, -(-total // take))
    return {
        "status": "success",
        "data": [booking_out(b) for b in found],
        "pagination": {
            "totalItems": total,
            "currentPage": skip // take + 1,
            "totalPages": pages,
            "hasNextPage": skip + take < total,
        },
    }


@router.post("/{uid}/confirm")
async def confirm_booking(uid: str, ctx: Ctx) -> Envelope:
    return Envelope(data=booking_out(await update(ctx, uid, "confirm", ConfirmInput())))


@router.post("/{uid}/decline")
async def decline_booking(uid: str, ctx: Ctx, body: Decline | None = None) -> Envelope:
    request = DeclineInput(reason=body.reason if body else None)
    return Envelope(data=booking_out(await update(ctx, uid, "decline", request)))


@router.post("/{uid}/cancel")
async def cancel_booking(uid: str, ctx: Ctx, body: Cancel | None = None) -> Envelope:
    body = body or Cancel()
    request = CancelInput(cancellation_reason=body.cancellation_reason, cancelled_by=body.cancelled_by)
    return Envelope(data=booking_out(await update(ctx, uid, "cancel", request)))


@router.post("/{uid}/reschedule", status_code=201)
async def reschedule_booking(uid: str, body: Reschedule, ctx: Ctx) -> Envelope:
    _check_future(body.start)
    request = RescheduleInput(
        start=body.start.astimezone(UTC),
        rescheduling_reason=body.rescheduling_reason or body.reschedule_reason,
        rescheduled_by=body.rescheduled_by,
    )
    return Envelope(data=booking_out(await update(ctx, uid, "reschedule", request)))


@router.post("/{uid}/mark-absent")
async def mark_absent(uid: str, body: MarkAbsentInput, ctx: Ctx) -> Envelope:
    return Envelope(data=booking_out(await update(ctx, uid, "mark_absent", body)))


@router.post("/{uid}/payments", status_code=202)
async def payment_succeeded(uid: str, body: Payment, ctx: Ctx) -> Envelope:
    """A payment provider reports success; the workflow applies it once per payment event id."""
    try:
        lifecycle.check_payment(await existing(ctx, uid))
    except lifecycle.TransitionRefused as refused:
        raise ApiError(409, str(refused)) from None
    await signal(ctx, uid, "payment_succeeded", PaymentSucceeded(**body.model_dump()))
    return Envelope(data={"accepted": True, "paymentEventId": body.payment_event_id})


@router.post("/{uid}/participants", status_code=202)
async def participant_joined(uid: str, body: Participant, ctx: Ctx) -> Envelope:
    join = ParticipantJoin(email=body.email, joined_at=body.joined_at or _now())
    await signal(ctx, uid, "participant_joined", join)
    return Envelope(data={"accepted": True})

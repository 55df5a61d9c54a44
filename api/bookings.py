"""`/v2/bookings`: create, read, list, and every lifecycle change of a booking."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from sqlalchemy.exc import IntegrityError

from api import calendars, provider_webhooks, routing_bookings
from api.access import AdminUser, CurrentUser, booking_party
from api.booking_availability import free_organizer, length_of, refusal, verdict
from api.booking_commands import existing, signal, update
from api.booking_list import booking_query, pagination, scoped
from api.booking_start import START_TIMEOUT, start_booking
from api.context import ApiContext, context
from api.errors import ApiError
from api.payload_limits import largest_field, payload_refused
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
from availability.engine import still_free
from domain import lifecycle
from domain.booking import (
    Attendee,
    Booking,
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


def _check_start(ctx: ApiContext, start: datetime) -> None:
    """A start must lie between now and the booking horizon (BOOKFLOW_BOOKING_HORIZON_DAYS)."""
    if start <= _now():
        raise ApiError(400, f"start: {start.isoformat()} is in the past; choose a future time in UTC")
    days = ctx.config.booking.booking_horizon_days
    if start > _now() + timedelta(days=days):
        raise ApiError(400, f"start: {start.isoformat()} is more than {days} days ahead, beyond the booking horizon")


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
        end=request.start + timedelta(minutes=length_of(event_type, request.length_in_minutes)),
        status=BookingStatus.PENDING,
        created_at=now,
        title=f"{event_type.title} between {organizer.name} and {attendee.name}",
        description=event_type.description,
        location=request.location_text or event_type.location,
        location_details=request.location_details,
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
    _check_start(ctx, request.start)
    event_type, organizer = await _event_type_and_organizer(ctx, request)
    routing_ref = None
    if request.routing is not None:  # host and team come from the stored decision, never from the request
        organizer, routing_ref = await routing_bookings.routed_organizer(ctx, request, event_type, organizer)
    if requires_attendee_phone(event_type.workflows) and not request.attendee.phone_number:
        raise ApiError(400, "attendee.phoneNumber: required, this event type sends SMS reminders (e.g. +14155550123)")
    minutes = length_of(event_type, request.length_in_minutes)
    await calendars.refresh_stale(ctx, [h.user_id for h in event_type.hosts])  # a stale calendar copy is synced first
    async with ctx.db.sessions() as session:  # not available → 400; the hosts' free time picks the organizer
        assignment = await free_organizer(
            session, event_type, organizer, request.start, minutes, _now(),
            among=routing_ref.team_member_ids if routing_ref else (), reservation_uid=request.reserved_slot_uid,
        )
    organizer = assignment.organizer
    draft = _draft(request, event_type, organizer, idempotency_key).model_copy(update={"routing": routing_ref})
    try:
        async with ctx.db.transaction() as session:
            fits = still_free(event_type, draft.start, draft.end, _now())
            booking = await routing_bookings.reserve(session, draft, request.reserved_slot_uid, fits)
            if routing_ref is not None and assignment.dropped_busy:  # the routing trace names who was passed over
                await routing.note_busy_hosts(session, routing_ref.response_id, assignment.dropped_busy)
    except bookings.SlotTaken as taken:
        raise ApiError(409, str(taken), "SLOT_TAKEN") from None
    except routing.AlreadyBooked as booked:
        raise ApiError(409, f"routing.responseId: {booked}") from None
    except IntegrityError:
        # The same Idempotency-Key raced us: answer with the booking the other request made.
        if (earlier := await _replay(ctx, idempotency_key)) is not None:
            return Envelope(data=booking_out(earlier))
        raise
    # Should this process die from here until the workflow has started, the reservation is not lost:
    # the worker's orphan reconciler (worker/orphans.py) starts the workflow of any booking left without one.
    try:
        await _ensure_started(ctx, booking)
    except Exception as failed:
        if not payload_refused(failed) and await _started_anyway(ctx, booking.uid):
            return Envelope(data=booking_out(booking))  # the start landed though its answer was lost
        async with ctx.db.transaction() as session:
            await routing_bookings.release(session, booking.uid)
        if payload_refused(failed):
            field = largest_field(request)
            raise ApiError(413, f"{field}: too large for the workflow engine; nothing was booked") from None
        raise ApiError(503, "the workflow engine is unavailable; nothing was booked, try again") from None
    return Envelope(data=booking_out(booking))


async def _started_anyway(ctx: ApiContext, uid: str) -> bool:
    """Whether the workflow exists after all (a start that timed out may still have landed)."""
    try:
        await ctx.temporal.get_workflow_handle(uid).describe(rpc_timeout=START_TIMEOUT)
    except Exception:
        return False
    return True


async def _ensure_started(ctx: ApiContext, booking: Booking) -> None:
    # A repeated request (same Idempotency-Key) finds the workflow already running: that is success.
    await start_booking(ctx.temporal, booking, ctx.task_queue, ctx.keep_open_minutes)


@router.get("/{uid}")
async def get_booking(uid: str, ctx: Ctx) -> Envelope:
    return Envelope(data=booking_out(await existing(ctx, uid)))


@router.get("")
async def list_bookings(
    ctx: Ctx, caller: CurrentUser, query: Annotated[bookings.BookingFilter, Depends(booking_query)]
) -> dict:
    """Cal.com's filtered, sorted, paginated list of the bookings the caller may see."""
    filters = scoped(query, await booking_party(ctx, caller))
    async with ctx.db.sessions() as session:
        found, total = await bookings.search(session, filters, _now())
    return {
        "status": "success",
        "data": [booking_out(b) for b in found],
        "pagination": pagination(total, len(found), filters.take, filters.skip),
    }


@router.post("/{uid}/confirm")
async def confirm_booking(uid: str, ctx: Ctx, caller: CurrentUser) -> Envelope:
    return Envelope(data=booking_out(await update(ctx, uid, "confirm", ConfirmInput(), caller)))


@router.post("/{uid}/decline")
async def decline_booking(uid: str, ctx: Ctx, caller: CurrentUser, body: Decline | None = None) -> Envelope:
    request = DeclineInput(reason=body.reason if body else None)
    return Envelope(data=booking_out(await update(ctx, uid, "decline", request, caller)))


@router.post("/{uid}/cancel")
async def cancel_booking(uid: str, ctx: Ctx, body: Cancel | None = None) -> Envelope:
    body = body or Cancel()
    request = CancelInput(cancellation_reason=body.cancellation_reason, cancelled_by=body.cancelled_by)
    return Envelope(data=booking_out(await update(ctx, uid, "cancel", request)))


@router.post("/{uid}/reschedule", status_code=201)
async def reschedule_booking(uid: str, body: Reschedule, ctx: Ctx) -> Envelope:
    _check_start(ctx, body.start)
    current = await existing(ctx, uid)
    minutes = int((current.end - current.start).total_seconds() // 60)
    await calendars.refresh_stale(ctx, bookings.holding_hosts(current))
    async with ctx.db.sessions() as session:  # the booking's own time counts as free
        result = await verdict(
            session, current.event_type, body.start, minutes, _now(),
            host_ids=bookings.holding_hosts(current), ignore=(uid,),
        )
    if not result.ok:
        raise refusal(result, current.event_type)
    request = RescheduleInput(
        start=body.start.astimezone(UTC),
        rescheduling_reason=body.rescheduling_reason or body.reschedule_reason,
        rescheduled_by=body.rescheduled_by,
    )
    return Envelope(data=booking_out(await update(ctx, uid, "reschedule", request)))


@router.post("/{uid}/mark-absent")
async def mark_absent(uid: str, body: MarkAbsentInput, ctx: Ctx, caller: CurrentUser) -> Envelope:
    return Envelope(data=booking_out(await update(ctx, uid, "mark_absent", body, caller)))


@router.post("/{uid}/payments", status_code=202)
async def payment_succeeded(uid: str, body: Payment, ctx: Ctx, caller: AdminUser) -> Envelope:
    """Manual reconciliation (an admin key): record a payment, and who reported it, once per event id.

    Providers report payments signed, at /v2/payments/stripe/webhook; this route is for the rest.
    """
    try:
        lifecycle.check_payment(await existing(ctx, uid))
    except lifecycle.TransitionRefused as refused:
        raise ApiError(409, str(refused)) from None
    reporter = f"admin {caller.username} (key {caller.key_id})"
    payment = PaymentSucceeded(**body.model_dump())
    await provider_webhooks.deliver(ctx, "manual", body.payment_event_id, uid, "payment_succeeded", payment, reporter)
    return Envelope(data={"accepted": True, "paymentEventId": body.payment_event_id, "recordedBy": caller.username})


@router.post("/{uid}/participants", status_code=202)
async def participant_joined(uid: str, body: Participant, ctx: Ctx) -> Envelope:
    join = ParticipantJoin(email=body.email, joined_at=body.joined_at or _now())
    await signal(ctx, uid, "participant_joined", join)
    return Envelope(data={"accepted": True})

"""`/v2/bookings`: create, read, list, and every lifecycle change of a booking."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path
from sqlalchemy.exc import IntegrityError

from api import calendars, instant, provider_webhooks, routing_bookings, seats
from api.access import AdminUser, CurrentUser, OptionalCaller, booking_party
from api.booking_availability import claim_for_confirmation, free_organizer, length_of, refusal, verdict
from api.booking_commands import existing, signal, update
from api.booking_fields import attendee_contact, check_guests, check_responses
from api.booking_list import booking_query, pagination, scoped
from api.booking_output import booking_out
from api.booking_start import START_TIMEOUT, start_booking
from api.context import ApiContext, Ctx
from api.errors import ApiError
from api.payload_limits import largest_field, payload_refused
from api.schemas import (
    Cancel,
    Confirm,
    CreateBooking,
    Decline,
    Envelope,
    Participant,
    Payment,
    Reschedule,
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
from domain.recurrence import occurrence_starts
from domain.reminders import requires_attendee_phone
from store import bookings, config, routing
from store import seats as stored_seats

# A seat's uid (a uuid, as seats.seat_uid_for makes them).
SEAT_UID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

router = APIRouter(prefix="/v2/bookings", tags=["bookings"])


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


def _attendee(request: CreateBooking, event_type: EventType) -> Attendee:
    """The booker, checked as Cal.com checks them against the event type (each refusal a 400 naming the field):
    an email or, where the event type allows it, a phone alone; guests; answers to its booking fields."""
    email, phone = attendee_contact(
        event_type, request.attendee.email, request.attendee.phone_number, request.booking_fields_responses
    )
    check_guests(event_type, request.guests)
    check_responses(event_type, request.booking_fields_responses)
    if requires_attendee_phone(event_type.workflows) and not phone:
        raise ApiError(400, "attendee.phoneNumber: required, this event type sends SMS reminders (e.g. +14155550123)")
    return Attendee(**request.attendee.model_dump(exclude={"email", "phone_number"}), email=email, phone_number=phone)


def _seated(request: CreateBooking, event_type: EventType, key: str | None) -> Attendee:
    """The booker, holding a seat when the event type has seats (their answers and metadata go with it)."""
    attendee = _attendee(request, event_type)
    if event_type.seats is None:
        return attendee
    return seats.with_seat(attendee, key, request.booking_fields_responses, request.metadata)


def _draft(
    request: CreateBooking, event_type: EventType, organizer: User, key: str | None, start: datetime | None = None
) -> Booking:
    """The booking to reserve; ``start``: an occurrence of a recurring booking (else the request's start)."""
    now = _now()
    attendee = _seated(request, event_type, key)
    start = start or request.start
    booking = Booking(
        id=0,
        uid=uuid.uuid4().hex,
        event_type=event_type,
        organizer=organizer,
        attendees=[attendee],
        guests=request.guests,
        start=start,
        end=start + timedelta(minutes=length_of(event_type, request.length_in_minutes)),
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
        instant=request.instant,
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
        if earlier.recurring_booking_uid is not None:
            return await _series_replayed(ctx, earlier.recurring_booking_uid)
        await _ensure_started(ctx, earlier)
        return Envelope(data=_created_out(earlier, idempotency_key))
    _check_start(ctx, request.start)
    event_type, organizer = await _event_type_and_organizer(ctx, request)
    if request.instant:
        instant.check_instant(event_type)
    routing_ref = None
    if request.routing is not None:  # host and team come from the stored decision, never from the request
        organizer, routing_ref = await routing_bookings.routed_organizer(ctx, request, event_type, organizer)
    _attendee(request, event_type)  # refused before any availability is read
    minutes = length_of(event_type, request.length_in_minutes)
    await calendars.refresh_stale(ctx, [h.user_id for h in event_type.hosts])  # a stale calendar copy is synced first
    if event_type.recurrence is not None and routing_ref is None:
        return await _book_series(ctx, request, event_type, organizer, minutes, idempotency_key)
    seated = event_type.seats is not None and routing_ref is None
    if seated and (joined := await _join(ctx, request, event_type, idempotency_key)) is not None:
        return Envelope(data=joined)  # the slot's booking had a seat left: no new booking, no new hold
    try:
        async with ctx.db.sessions() as session:  # not available → 400; the hosts' free time picks the organizer
            assignment = await free_organizer(
                session,
                event_type,
                organizer,
                request.start,
                minutes,
                _now(),
                routed=routing_ref,
                reservation_uid=request.reserved_slot_uid,
            )
    except ApiError:
        # A seated slot booked by another booker since _join looked: take a seat in that booking instead.
        if seated and (joined := await _join(ctx, request, event_type, idempotency_key)) is not None:
            return Envelope(data=joined)
        raise
    organizer = assignment.organizer
    draft = _draft(request, event_type, organizer, idempotency_key).model_copy(update={"routing": routing_ref})
    try:
        async with ctx.db.transaction() as session:
            fits = still_free(event_type, draft.start, draft.end, _now())
            booking = await routing_bookings.reserve(session, draft, request.reserved_slot_uid, fits)
            token = await instant.save_token(session, booking) if booking.instant else None
            if routing_ref is not None and assignment.dropped_busy:  # the routing trace names who was passed over
                await routing.note_busy_hosts(session, routing_ref.response_id, assignment.dropped_busy)
    except bookings.SlotTaken as taken:
        # Another booker made the slot's booking meanwhile: a seated slot is shared, so take a seat in it.
        if seated and (joined := await _join(ctx, request, event_type, idempotency_key)) is not None:
            return Envelope(data=joined)
        raise ApiError(409, str(taken), "SLOT_TAKEN") from None
    except routing.AlreadyBooked as booked:
        raise ApiError(409, f"routing.responseId: {booked}") from None
    except IntegrityError:
        # The same Idempotency-Key raced us: answer with the booking the other request made.
        if (earlier := await _replay(ctx, idempotency_key)) is not None:
            return Envelope(data=_created_out(earlier, idempotency_key))
        raise
    # Should this process die from here until the workflow has started, the reservation is not lost:
    # the worker's orphan reconciler (worker/orphans.py) starts the workflow of any booking left without one.
    try:
        await _ensure_started(ctx, booking, token)
    except Exception as failed:
        if not payload_refused(failed) and await _started_anyway(ctx, booking.uid):
            return Envelope(data=_created_out(booking, idempotency_key))  # the start landed, its answer lost
        async with ctx.db.transaction() as session:
            await routing_bookings.release(session, booking.uid)
        if payload_refused(failed):
            field = largest_field(request)
            raise ApiError(413, f"{field}: too large for the workflow engine; nothing was booked") from None
        raise ApiError(503, "the workflow engine is unavailable; nothing was booked, try again") from None
    return Envelope(data=_created_out(booking, idempotency_key))


def _created_out(booking: Booking, key: str | None) -> dict:
    """A create's answer: a seated booking as the seat's booker sees it (Cal.com's CreateSeatedBookingOutput)."""
    if booking.event_type.seats is None:
        return booking_out(booking)
    mine = booking.attendees[0].seat_uid if key is None else seats.seat_uid_for(key)
    return seats.seated_out(booking, mine)


async def _join(ctx: ApiContext, request: CreateBooking, event_type: EventType, key: str | None) -> dict | None:
    """Take a seat in the slot's booking, if it has one (None: this booker makes it)."""
    attendee = _seated(request, event_type, key)
    joined = await seats.join(ctx, event_type, request.start.astimezone(UTC), attendee)
    return None if joined is None else seats.seated_out(joined, attendee.seat_uid)


async def _book_series(
    ctx: ApiContext, request: CreateBooking, event_type: EventType, organizer: User, minutes: int, key: str | None
) -> Envelope:
    """A recurring event type: one booking per occurrence sharing a ``recurringBookingUid``, each checked for
    availability and each with its own workflow. The occurrences are reserved all together or not at all."""
    recurrence = event_type.recurrence
    assert recurrence is not None
    count = request.recurrence_count or recurrence.occurrences
    if count > recurrence.occurrences:
        raise ApiError(400, f"recurrenceCount: {count} is more than the event type's {recurrence.occurrences}")
    series_uid = uuid.uuid4().hex
    drafts: list[Booking] = []
    for index, start in enumerate(occurrence_starts(request.start, recurrence, count, request.attendee.time_zone)):
        try:
            _check_start(ctx, start)
            async with ctx.db.sessions() as session:
                if not drafts:  # the first occurrence picks the organizer (round robin: the host it lands on)
                    held = request.reserved_slot_uid  # the booker's own hold of the first occurrence
                    chosen = await free_organizer(
                        session, event_type, organizer, start, minutes, _now(), reservation_uid=held
                    )
                    organizer = chosen.organizer
                else:  # the later ones keep it, as on Cal.com: the same host(s) must be free then
                    hosts = bookings.holding_hosts(drafts[0])
                    result = await verdict(session, event_type, start, minutes, _now(), host_ids=hosts)
                    if not result.ok:
                        raise refusal(result, event_type)
        except ApiError as refused:  # say which occurrence could not be booked; nothing was
            refused.message = f"{refused.message} (occurrence {index + 1} of {count}, {start.isoformat()})"
            raise
        draft = _draft(request, event_type, organizer, key if index == 0 else None, start)
        drafts.append(draft.model_copy(update={"recurring_booking_uid": series_uid}))
    try:
        async with ctx.db.transaction() as session:
            booked = []
            for d in drafts:  # the booker's own reservation (POST /v2/slots/reservations) is of the first occurrence
                mine = request.reserved_slot_uid if not booked else None
                fits = still_free(event_type, d.start, d.end, _now())
                booked.append(await routing_bookings.reserve(session, d, mine, fits))
    except bookings.SlotTaken as taken:
        raise ApiError(409, str(taken), "SLOT_TAKEN") from None
    except IntegrityError:  # the same Idempotency-Key raced us: the other request's series
        if (earlier := await _replay(ctx, key)) is not None and earlier.recurring_booking_uid:
            return await _series_replayed(ctx, earlier.recurring_booking_uid)
        raise
    for index, booking in enumerate(booked):
        try:
            await _ensure_started(ctx, booking)
        except Exception as failed:
            if not payload_refused(failed) and await _started_anyway(ctx, booking.uid):
                continue
            async with ctx.db.transaction() as session:
                for rest in booked[index:]:
                    await routing_bookings.release(session, rest.uid)
            unbooked = (
                f"occurrences {index + 1} to {count} were not booked (the first {index} were: "
                f"recurringBookingUid {series_uid})"
            )
            if payload_refused(failed):
                field = largest_field(request)
                raise ApiError(413, f"{field}: too large for the workflow engine; {unbooked}") from None
            raise ApiError(503, f"the workflow engine is unavailable: {unbooked}; try again") from None
    return Envelope(data=[booking_out(b) for b in booked])


async def _series_replayed(ctx: ApiContext, series_uid: str) -> Envelope:
    """A repeated recurring create (same Idempotency-Key): its series, every workflow started."""
    async with ctx.db.sessions() as session:
        occurrences = await bookings.series(session, series_uid)
    for booking in occurrences:
        await _ensure_started(ctx, booking)
    return Envelope(data=[booking_out(b) for b in occurrences])


async def _started_anyway(ctx: ApiContext, uid: str) -> bool:
    """Whether the workflow exists after all (a start that timed out may still have landed)."""
    try:
        await ctx.temporal.get_workflow_handle(uid).describe(rpc_timeout=START_TIMEOUT)
    except Exception:
        return False
    return True


async def _ensure_started(ctx: ApiContext, booking: Booking, instant_token: str | None = None) -> None:
    # A repeated request (same Idempotency-Key) finds the workflow already running: that is success.
    await start_booking(ctx.temporal, booking, ctx.task_queue, ctx.keep_open_minutes, instant_token)


async def _series(ctx: ApiContext, series_uid: str) -> list[Booking]:
    async with ctx.db.sessions() as session:
        return await bookings.series(session, series_uid)


@router.get("/{uid}")
async def get_booking(uid: str, ctx: Ctx, caller: OptionalCaller) -> Envelope:
    """A booking by its uid, or every occurrence of a recurring booking by its ``recurringBookingUid``.

    A seated booking whose event type hides attendees lists them only to its organizer and hosts.
    """
    if occurrences := await _series(ctx, uid):
        return Envelope(data=[seats.out(b, caller) for b in occurrences])
    return Envelope(data=seats.out(await existing(ctx, uid), caller))


@router.get("/by-seat/{seat_uid}")
async def get_booking_by_seat(
    seat_uid: Annotated[str, Path(pattern=SEAT_UID)], ctx: Ctx, caller: OptionalCaller
) -> Envelope:
    """The seated booking holding seat ``seat_uid``, as that seat's attendee (or its organizer) sees it."""
    async with ctx.db.sessions() as session:
        found = await stored_seats.by_seat(session, seat_uid)
    if found is None:
        raise ApiError(404, f"Booking with seatUid={seat_uid} not found")
    return Envelope(data=seats.seated_out(found, seat_uid, caller))


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
        "data": [seats.out(b, caller) for b in found],
        "pagination": pagination(total, len(found), filters.take, filters.skip),
    }


async def _pending_occurrences(ctx: ApiContext, booking: Booking) -> list[Booking]:
    """``booking`` and, for an occurrence of a recurring booking, the others awaiting confirmation: Cal.com
    confirms and declines a series at once (its confirm handler is given the booking's recurringEventId)."""
    if booking.recurring_booking_uid is None:
        return [booking]
    others = [
        b for b in await _series(ctx, booking.recurring_booking_uid)
        if b.uid != booking.uid and b.status is BookingStatus.PENDING and not b.awaiting_payment
    ]  # fmt: skip
    return [booking, *others]


@router.post("/{uid}/confirm")
async def confirm_booking(uid: str, ctx: Ctx, caller: CurrentUser, body: Confirm | None = None) -> Envelope:
    """Confirm a pending booking (a recurring one: every pending occurrence); Cal.com's optional ``reason``
    is quoted in the confirmation email. The answer is the booking named."""
    # Only who may confirm makes the unconfirmed bookings hold their time; each is claimed before any changes.
    occurrences = await _pending_occurrences(ctx, await existing(ctx, uid, caller))
    for booking in occurrences:
        await claim_for_confirmation(ctx, booking.uid)
    request = ConfirmInput(reason=body.reason if body else None)
    answer = await update(ctx, uid, "confirm", request, caller)
    for booking in occurrences[1:]:
        await update(ctx, booking.uid, "confirm", request, caller)
    return Envelope(data=booking_out(answer))


@router.post("/{uid}/decline")
async def decline_booking(uid: str, ctx: Ctx, caller: CurrentUser, body: Decline | None = None) -> Envelope:
    """Decline a pending booking (a recurring one: every pending occurrence); the answer is the booking named."""
    occurrences = await _pending_occurrences(ctx, await existing(ctx, uid, caller))
    request = DeclineInput(reason=body.reason if body else None)
    answer = await update(ctx, uid, "decline", request, caller)
    for booking in occurrences[1:]:
        await update(ctx, booking.uid, "decline", request, caller)
    return Envelope(data=booking_out(answer))


@router.post("/{uid}/cancel")
async def cancel_booking(uid: str, ctx: Ctx, caller: OptionalCaller, body: Cancel | None = None) -> Envelope:
    """Cancel a booking; a ``recurringBookingUid`` cancels its whole series, and ``cancelSubsequentBookings``
    an occurrence and the later ones. A series answers with all its occurrences."""
    body = body or Cancel()
    if body.seat_uid is not None:  # a seated booking: only this seat (Cal.com's CancelSeatedBookingInput)
        return Envelope(data=await seats.cancel_seat(ctx, uid, body.seat_uid, body.cancellation_reason, caller))
    request = CancelInput(cancellation_reason=body.cancellation_reason, cancelled_by=body.cancelled_by)
    if occurrences := await _series(ctx, uid):
        return Envelope(data=await _cancel_occurrences(ctx, uid, occurrences, request))
    if body.cancel_subsequent_bookings:
        current = await existing(ctx, uid)
        if current.recurring_booking_uid is not None:
            later = [b for b in await _series(ctx, current.recurring_booking_uid) if b.start >= current.start]
            return Envelope(data=await _cancel_occurrences(ctx, current.recurring_booking_uid, later, request))
    return Envelope(data=booking_out(await update(ctx, uid, "cancel", request)))


async def _cancel_occurrences(
    ctx: ApiContext, series_uid: str, occurrences: list[Booking], request: CancelInput
) -> list[dict]:
    """Cancel each of ``occurrences`` still to come and held (past and closed ones stay as they are)."""
    now = _now()
    for booking in occurrences:
        if booking.end > now and booking.status in (BookingStatus.ACCEPTED, BookingStatus.PENDING):
            await update(ctx, booking.uid, "cancel", request)
    return [booking_out(b) for b in await _series(ctx, series_uid)]


@router.post("/{uid}/reschedule", status_code=201)
async def reschedule_booking(uid: str, body: Reschedule, ctx: Ctx, caller: OptionalCaller) -> Envelope:
    _check_start(ctx, body.start)
    if body.seat_uid is not None:  # a seated booking: move only this seat (Cal.com's RescheduleSeatedBookingInput)
        return Envelope(data=await seats.reschedule_seat(ctx, uid, body.seat_uid, body.start, caller))
    current = await existing(ctx, uid)
    if current.status is BookingStatus.AWAITING_HOST:  # Cal.com: 400, "create a new booking instead"
        raise ApiError(400, f"bookingUid: {lifecycle.AWAITING_HOST_RESCHEDULE}")
    minutes = int((current.end - current.start).total_seconds() // 60)
    await calendars.refresh_stale(ctx, bookings.holding_hosts(current))
    async with ctx.db.sessions() as session:  # the booking's own time counts as free
        result = await verdict(
            session,
            current.event_type,
            body.start,
            minutes,
            _now(),
            host_ids=bookings.holding_hosts(current),
            ignore=(uid,),
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

"""Bookings made from a routing response: the routed host and team come from the STORED decision.

A booker passes only ``routing.responseId``; whatever else the request says about team members or
the CRM owner is ignored, so a tampered request cannot change who hosts the meeting.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.context import ApiContext
from api.errors import ApiError
from api.schemas import CreateBooking
from domain.booking import Booking, RoutingRef
from domain.busy import HostAvailability
from domain.config import EventType, User
from domain.routing_forms import RoutingDecision
from store import bookings, config, routing


def _routed_host_id(decision: RoutingDecision, event_type: EventType) -> int | None:
    """The routed host if they host the event type, else the first host among the routed team members."""
    hosts = [h.user_id for h in event_type.hosts]
    if decision.host_user_id in hosts:
        return decision.host_user_id
    members = set(decision.team_member_ids or [])
    return next((h for h in hosts if h in members), None)


def routed_host_ids(decision: RoutingDecision, event_type: EventType) -> list[int] | None:
    """The hosts a booking from ``decision`` can go to (None: all, as a collective event type needs them all).

    As the booking decides (``booking_availability.free_organizer``): the routed host (else the event type's
    first) when free, else one of the routed team members who host the event type.
    """
    if event_type.scheduling_type == "collective":
        return None
    hosts = [h.user_id for h in event_type.hosts]
    first = _routed_host_id(decision, event_type)
    members = {hosts[0] if first is None else first, *(decision.team_member_ids or [])}
    return [h for h in hosts if h in members]


def check_submitter(stored: routing.StoredResponseRecord, token: str | None, attendee_email: str) -> None:
    """Refuse (403, naming why) a booking that does not come from the response's submitter.

    The submitter holds the one-time booking token returned with the submission; when the form asked
    for an email, the booking's attendee must be that email.
    """
    response_id = stored.id
    if not token:
        raise ApiError(
            403,
            f"routing.bookingToken: a booking from routing response {response_id} must present the booking token "
            "returned with the submission (cal.routingFormResponseToken in the redirect URL)",
        )
    if not stored.token_matches(token):
        raise ApiError(403, f"routing.bookingToken: not the booking token of routing response {response_id}")
    if stored.email is not None and stored.email != attendee_email.strip().lower():
        raise ApiError(
            403,
            f"attendee.email: routing response {response_id} was submitted with another email; "
            "book with the email given in the form",
        )


async def routed_organizer(
    ctx: ApiContext, request: CreateBooking, event_type: EventType, organizer: User
) -> tuple[User, RoutingRef]:
    """The organizer and routing reference of a booking made from a routing response (or a 4xx)."""
    assert request.routing is not None
    response_id = request.routing.response_id
    async with ctx.db.sessions() as session:
        stored = await routing.get_response(session, response_id)
        if stored is None:
            raise ApiError(400, f"routing.responseId: routing response {response_id} does not exist")
        check_submitter(stored, request.routing.booking_token, str(request.attendee.email))
        decision = stored.decision
        if decision is None:
            raise ApiError(409, f"routing.responseId: routing response {response_id} is not decided yet")
        if decision.action.type != "eventTypeRedirectUrl":
            raise ApiError(400, f"routing.responseId: routing response {response_id} did not route to an event type")
        if decision.action.event_type_id != event_type.id:
            raise ApiError(
                400,
                f"routing.responseId: routing response {response_id} was routed to event type "
                f"{decision.action.event_type_id}, not {event_type.id}",
            )
        if stored.booking_uid is not None:
            raise ApiError(409, f"routing.responseId: routing response {response_id} was already booked")
        host_id = _routed_host_id(decision, event_type)
        host = await config.get_user(session, host_id) if host_id is not None else None
    ref = RoutingRef(
        response_id=response_id,
        form_filler_id=stored.form_filler_id,
        team_member_ids=decision.team_member_ids or [],
        team_member_email=decision.team_member_email,
        skip_contact_owner=decision.skip_contact_owner,
        crm_app_slug=decision.crm_app_slug,
        crm_owner_record_type=decision.crm_owner_record_type,
    )
    return host or organizer, ref


async def reserve(
    session: AsyncSession,
    draft: Booking,
    reservation_uid: str | None = None,
    still_free: Callable[[list[HostAvailability]], bool] | None = None,
) -> Booking:
    """Reserve the slot; record a round-robin host's assignment and, for a routed booking, link its response.

    One transaction: two bookings racing for one response give one booking and one ``AlreadyBooked``.
    ``reservation_uid`` and ``still_free`` are passed on to ``store.bookings.reserve``.
    """
    booking = await bookings.reserve(session, draft, reservation_uid=reservation_uid, still_free=still_free)
    event_type_id, at = booking.event_type.id, datetime.now(UTC)
    if booking.routing is not None:
        await routing.link_booking(
            session, booking.routing.response_id, booking.uid, booking.organizer.id, event_type_id, at
        )
    elif booking.event_type.scheduling_type == "roundRobin":  # the next round-robin choice counts this one
        await routing.record_assignment(session, booking.uid, booking.organizer.id, event_type_id, at)
    return booking


async def release(session: AsyncSession, uid: str) -> None:
    """Undo ``reserve`` for a booking whose workflow could not be started."""
    await bookings.release(session, uid)
    await routing.unlink_booking(session, uid)

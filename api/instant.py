"""Instant meetings (Cal.com's ``instant: true``): a booking that rings the event type's hosts now.

A create with ``instant: true`` on an instant-enabled event type with several hosts makes a booking in
AWAITING_HOST and fires INSTANT_MEETING, whose ``connectAndJoinUrl`` carries a one-time random token (the
store keeps its SHA-256). The first host to accept — on the connect-and-join page, signed in to the console
(api/pages/connect_and_join.py), or with their API key here — becomes the organizer: the booking is ACCEPTED
and INSTANT_MEETING_ACCEPTED fires once; a later acceptance is a 409. Nobody within the event type's
``instantMeetingExpiryTimeOffsetInSeconds`` (90 s by default): the booking's workflow cancels it.

``POST /v2/bookings/{bookingUid}/instant/accept`` is Bookflow's own route: Cal.com accepts only in its web
app (connect-and-join), which API clients cannot reach.
"""

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Caller, CurrentUser, manages_booking
from api.booking_commands import existing, update
from api.booking_output import booking_out
from api.context import ApiContext, Ctx
from api.errors import ApiError
from api.schemas import Envelope
from domain.booking import AcceptInstantInput, Booking
from domain.config import EventType
from store import config
from store import instant as tokens

router = APIRouter(prefix="/v2/bookings", tags=["bookings"])


def check_instant(event_type: EventType) -> None:
    """``instant: true`` needs an instant-enabled event type with several hosts (Cal.com: team event types)."""
    if not event_type.is_instant_event:
        raise ApiError(400, f"instant: event type {event_type.id} is not enabled for instant meetings (isInstantEvent)")
    if len({h.user_id for h in event_type.hosts}) < 2:
        raise ApiError(400, f"instant: event type {event_type.id} has one host; instant meetings ring several hosts")
    if event_type.seats is not None or event_type.recurrence is not None:
        raise ApiError(400, f"instant: event type {event_type.id} is seated or recurring; an instant meeting is not")


async def save_token(session: AsyncSession, booking: Booking) -> str:
    """A new connect-and-join token for instant meeting ``booking``, valid until the meeting expires."""
    token = tokens.new_token()
    seconds = booking.event_type.instant_meeting_expiry_time_offset_in_seconds
    now = datetime.now(UTC)
    await tokens.save(session, booking.uid, token, now, booking.created_at + timedelta(seconds=seconds))
    return token


async def booking_for_token(ctx: ApiContext, token: str) -> Booking:
    """The instant meeting a live token was made for; 404 for an unknown or expired token."""
    async with ctx.db.sessions() as session:
        uid = await tokens.booking_for(session, token, datetime.now(UTC))
    if uid is None:
        raise ApiError(404, "token: no instant meeting awaits a host with this link (unknown or expired)")
    return await existing(ctx, uid)


def check_host(booking: Booking, caller: Caller) -> None:
    """Only a host of the event type may accept instant meeting ``booking`` (and see its page).

    Someone who may not see the booking gets 404, as for any booking; one who may (an admin) but is not a
    host gets 403: only a host can be the meeting's organizer.
    """
    if not manages_booking(caller, booking):
        raise ApiError(404, f"Booking with uid={booking.uid} not found")
    if not booking.instant:
        raise ApiError(400, f"bookingUid: booking {booking.uid} is not an instant meeting")
    if caller.user_id not in {h.user_id for h in booking.event_type.hosts}:
        raise ApiError(403, f"only a host of event type {booking.event_type.id} can accept this instant meeting")


async def accept(ctx: ApiContext, uid: str, caller: Caller) -> Booking:
    """``caller``, a host, accepts instant meeting ``uid`` and becomes its organizer (the first only: else 409)."""
    check_host(await existing(ctx, uid), caller)
    async with ctx.db.sessions() as session:
        host = await config.get_user(session, caller.user_id)
    if host is None:
        raise ApiError(403, f"user {caller.user_id} is not a known user")
    return await update(ctx, uid, "accept_instant", AcceptInstantInput(host=host), caller)


@router.post("/{uid}/instant/accept")
async def accept_instant(uid: str, ctx: Ctx, caller: CurrentUser) -> Envelope:
    """Bookflow's own: a host accepts an instant meeting with their API key and becomes its organizer.

    The first host wins (INSTANT_MEETING_ACCEPTED fires once); a later acceptance answers 409, another
    user's booking 404, an expired or cancelled meeting 409.
    """
    return Envelope(data=booking_out(await accept(ctx, uid, caller)))

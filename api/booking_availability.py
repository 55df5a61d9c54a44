"""The booking-time check: availability recomputed for exactly the requested time, with Cal.com's messages.

Checked twice: before the write transaction (not available → 400 with Cal.com's message) and again
inside it with the hosts locked (available a moment ago, taken now → a lost race, 409 SLOT_TAKEN).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.context import ApiContext
from api.errors import ApiError
from availability.engine import Refusal, Verdict, check
from availability.inputs import Query
from domain.booking import RoutingRef
from domain.busy import HostAvailability
from domain.config import EventType, User
from domain.host_choice import choose_host
from store import availability as store
from store import routing
from store.routing_context import routing_event_type

UNAVAILABLE = "User either already has booking at this time or is not available"
TEAM_UNAVAILABLE = "One of the hosts either already has booking at this time or is not available"
OUT_OF_BOUNDS = (
    "The event type can't be booked at the \"start\" time provided. This could be because it's too soon "
    "(violating the minimum booking notice) or too far in the future (outside the event's scheduling window). "
    'Try fetching available slots first using the GET /v2/slots endpoint and then make a booking with "start" '
    "time equal to one of the available slots: https://cal.com/docs/api-reference/v2/slots"
)
PAST = "Attempting to book a meeting in the past."


def length_of(event_type: EventType, requested: int | None) -> int:
    """The meeting's length: ``requested`` if the event type offers it (400 naming the field), else its own."""
    if requested is None or requested == event_type.length_in_minutes:
        return event_type.length_in_minutes
    options = event_type.length_in_minutes_options
    if not options:
        raise ApiError(400, "lengthInMinutes: this event type has one length; leave lengthInMinutes out")
    if requested not in options:
        allowed = ", ".join(str(o) for o in options)
        raise ApiError(400, f"lengthInMinutes: {requested} is not one of the event type's lengths ({allowed})")
    return requested


async def _loaded_verdict(
    session: AsyncSession,
    event_type: EventType,
    start: datetime,
    minutes: int,
    now: datetime,
    host_ids: Sequence[int] | None,
    ignore: Sequence[str | None],
) -> tuple[Verdict, list[HostAvailability]]:
    ids = list(host_ids or [h.user_id for h in event_type.hosts])
    end = start + timedelta(minutes=minutes)
    first, last = event_type.data_window(start, end, now)
    hosts = await store.load_hosts(session, event_type, ids, first, last, now, ignore=ignore)
    return check(Query(event_type, hosts, start, end, now, length=minutes)), hosts


async def verdict(
    session: AsyncSession,
    event_type: EventType,
    start: datetime,
    minutes: int,
    now: datetime,
    *,
    host_ids: Sequence[int] | None = None,
    ignore: Sequence[str | None] = (),
) -> Verdict:
    """Which of the hosts (default: the event type's) are free for ``[start, start + minutes)``."""
    return (await _loaded_verdict(session, event_type, start, minutes, now, host_ids, ignore))[0]


def refusal(result: Verdict, event_type: EventType) -> ApiError:
    """The 400 Cal.com answers for a time that cannot be booked."""
    if result.refusal is Refusal.OUT_OF_BOUNDS:
        return ApiError(400, OUT_OF_BOUNDS)
    if result.refusal is Refusal.PAST:
        return ApiError(400, PAST)
    return ApiError(400, TEAM_UNAVAILABLE if len(event_type.hosts) > 1 else UNAVAILABLE)


@dataclass(frozen=True)
class Assignment:
    """Who hosts a booking, and which preferred hosts were passed over because they were busy."""

    organizer: User
    dropped_busy: list[int]


async def _weighted_choice(
    session: AsyncSession,
    event_type: EventType,
    candidates: Sequence[HostAvailability],
    now: datetime,
    weights: Mapping[int, int] | None,
) -> User:
    """The round-robin choice among ``candidates`` (all free at the time): the same weighted
    least-recently-booked chooser routing uses, over this month's assignments of the event type
    (booked, and routed but not yet booked)."""
    users = {h.user.id: h.user for h in candidates}
    pool = routing_event_type(event_type, users).hosts
    history = await routing.assignment_history(session, [event_type.id], routing.month_start(now), now)
    return users[choose_host(pool, history, weights).user_id]


async def _routed_weights(session: AsyncSession, routed: RoutingRef) -> dict[int, int] | None:
    """The attribute weights the routing decision used (None: the hosts' own weights)."""
    stored = await routing.get_response(session, routed.response_id)
    match = stored.decision.trace.attributes if stored and stored.decision else None
    return match.weights if match is not None and match.weights else None


async def free_organizer(
    session: AsyncSession,
    event_type: EventType,
    organizer: User,
    start: datetime,
    minutes: int,
    now: datetime,
    *,
    routed: RoutingRef | None = None,
    reservation_uid: str | None = None,
) -> Assignment:
    """Who hosts a booking at ``start`` (a 400 when nobody can).

    Collective: the organizer (every host must be free). Otherwise the organizer when free (a routed
    booking's stored host; not for plain round robin, where every free host competes); else an away
    host's out-of-office ``toUserId`` when that teammate hosts the event type and is free (Cal.com's
    redirect); else the weighted least-recently-booked choice among the hosts free at ``start``
    (narrowed to a routed booking's team members, with the decision's attribute weights).
    """
    result, loaded = await _loaded_verdict(session, event_type, start, minutes, now, None, (reservation_uid,))
    if not result.ok:
        raise refusal(result, event_type)
    free = result.free_host_ids
    if event_type.scheduling_type == "collective":
        return Assignment(organizer, [])
    free_hosts = [h for h in loaded if h.user.id in free]
    round_robin = event_type.scheduling_type == "roundRobin" and routed is None
    if not round_robin and organizer.id in free:
        return Assignment(organizer, [])
    among = routed.team_member_ids if routed is not None else []
    dropped = [h for h in dict.fromkeys([organizer.id, *among]) if h not in free] if routed else []
    # Whose absence may redirect: the organizer, or (round robin) every host busy at ``start``.
    absent = [h.user_id for h in event_type.hosts if h.user_id not in free] if round_robin else [organizer.id]
    away = await store.out_of_office_at(session, absent, start) if absent else []
    redirect = next((h.user for e in away for h in free_hosts if h.user.id == e.to_user_id), None)
    if redirect is not None:
        return Assignment(redirect, dropped)
    allowed = [h for h in free_hosts if not among or h.user.id in among]
    if not allowed:
        raise refusal(Verdict([], Refusal.UNAVAILABLE), event_type)
    weights = await _routed_weights(session, routed) if routed is not None else None
    return Assignment(await _weighted_choice(session, event_type, allowed, now, weights), dropped)


async def claim_for_confirmation(ctx: ApiContext, uid: str) -> None:
    """Before a booking awaiting confirmation is confirmed, make it hold its time (409 SLOT_TAKEN if taken).

    An event type without ``requiresConfirmationWillBlockSlot`` leaves an unconfirmed booking's time offered
    (Cal.com); confirming one whose time another booking took meanwhile is refused, not double-booked.
    """
    try:
        async with ctx.db.transaction() as session:
            await store.claim(session, uid, datetime.now(UTC))
    except store.HoldConflict as conflict:
        message = f"the slot was taken while this booking awaited confirmation: {conflict}; decline or reschedule it"
        raise ApiError(409, message, "SLOT_TAKEN") from None

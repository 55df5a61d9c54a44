"""The booking-time check: availability recomputed for exactly the requested time, with Cal.com's messages.

Checked twice: before the write transaction (not available → 400 with Cal.com's message) and again
inside it with the hosts locked (available a moment ago, taken now → a lost race, 409 SLOT_TAKEN).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import ApiError
from availability.engine import Refusal, Verdict, check
from availability.inputs import Query
from domain.config import EventType, User
from store import availability as store
from store import config

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
    ids = list(host_ids or [h.user_id for h in event_type.hosts])
    end = start + timedelta(minutes=minutes)
    hosts = await store.load_hosts(session, event_type, ids, start, end, now, ignore=ignore)
    return check(Query(event_type, hosts, start, end, now, length=minutes))


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


async def free_organizer(
    session: AsyncSession,
    event_type: EventType,
    organizer: User,
    start: datetime,
    minutes: int,
    now: datetime,
    *,
    among: Sequence[int] = (),
    reservation_uid: str | None = None,
) -> Assignment:
    """The organizer if free at ``start``, else (not collective) a free host; a 400 when nobody is.

    ``among`` narrows the choice (a routed booking's team members). An away organizer's out-of-office
    ``toUserId`` is preferred when that teammate hosts the event type and is free (Cal.com's redirect);
    otherwise hosts keep the event type's order.
    """
    result = await verdict(session, event_type, start, minutes, now, ignore=(reservation_uid,))
    if not result.ok:
        raise refusal(result, event_type)
    free = result.free_host_ids
    if organizer.id in free or event_type.scheduling_type == "collective":
        return Assignment(organizer, [])
    away = await store.out_of_office_at(session, [organizer.id], start)
    redirects = [e.to_user_id for e in away if e.to_user_id in free]
    allowed = set(among) or set(free)
    chosen = next(iter(redirects), None) or next((h for h in free if h in allowed), None)
    user = await config.get_user(session, chosen) if chosen is not None else None
    if user is None:
        raise refusal(Verdict([], Refusal.UNAVAILABLE), event_type)
    dropped = [h for h in [organizer.id, *among] if h not in free]
    return Assignment(user, list(dict.fromkeys(dropped)))

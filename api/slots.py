"""`GET /v2/slots` (Cal.com API 2024-09-04) and the older `GET /v2/slots/available` (2024-04-15 family).

Slots come from the availability engine over stored data only (schedules, holds, out of office): no
provider call on this path. Both families are served whatever the ``cal-api-version`` header says.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request

from api import seats
from api.context import ApiContext, Ctx
from api.errors import ApiError
from availability.engine import slots
from availability.inputs import Query
from domain.config import EventType
from domain.zones import check_time_zone
from store import availability, config

router = APIRouter(prefix="/v2/slots", tags=["slots"])

MAX_WINDOW = timedelta(days=366)
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)
CURRENT = frozenset(
    {
        "eventTypeId",
        "eventTypeSlug",
        "username",
        "start",
        "end",
        "timeZone",
        "duration",
        "format",
        "bookingUidToReschedule",
        "organizationSlug",
    }
)
OLDER = frozenset(
    {
        "eventTypeId",
        "eventTypeSlug",
        "usernameList",
        "usernameList[]",
        "startTime",
        "endTime",
        "duration",
        "timeZone",
        "slotFormat",
        "orgSlug",
        "rescheduleUid",
    }
)
INVALID_RANGE = "Invalid time range given - check the 'start' and 'end' query parameters."


def _refuse_unknown(request: Request, allowed: frozenset[str]) -> None:
    """Cal.com validates with forbidNonWhitelisted: a parameter it does not know is a 400."""
    for name in request.query_params:
        if name not in allowed:
            raise ApiError(400, f"{name}: property {name} should not exist")


def _instant(value: str | None, field: str, *, end: bool) -> datetime:
    """ISO 8601 in UTC; a bare date is its first (start) or last (end) second, as Cal.com reads it."""
    if not value:
        raise ApiError(400, f"{field}: required, an ISO 8601 date or date-time in UTC")
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time(23, 59, 59) if end else time(0), UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"{field}: {value!r} is not an ISO 8601 date or date-time") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if not EARLIEST <= moment <= LATEST:
        raise ApiError(400, f"{field}: {value!r} is outside the years 1970 to 9000")
    return moment


def _integer(value: str | None, field: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 0 < int(value) <= 2**31 - 1:
        raise ApiError(400, f"{field}: {value!r} is not a positive whole number")
    return int(value)


def _zone(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    try:
        return check_time_zone(value)
    except ValueError as error:
        raise ApiError(400, f"{field}: {error}") from None


def iso(moment: datetime, zone: str | None) -> str:
    """Luxon's ``toISO()`` as Cal.com answers: milliseconds, and ``Z`` only in UTC."""
    text = moment.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if zone in (None, "UTC") else text


async def event_type_for(
    ctx: ApiContext, event_type_id: int | None, slug: str | None, username: str | None
) -> EventType:
    """The event type by id, or by slug and owner username (404s in Cal.com's words)."""
    async with ctx.db.sessions() as session:
        if event_type_id is not None:
            found = await config.get_event_type(session, event_type_id)
        elif slug and username:
            if not any(u.username == username for u in await config.list_users(session)):
                raise ApiError(404, f"User with username {username} not found")
            found = await config.find_event_type(session, username, slug)
        else:
            raise ApiError(400, "eventTypeId: provide eventTypeId, or eventTypeSlug with username")
    if found is None:
        raise ApiError(404, "Event Type not found")
    return found


def duration_of(event_type: EventType, duration: int | None, field: str) -> int:
    """The slot length: ``duration`` if the event type offers it, else its own length."""
    if duration is None or duration == event_type.length_in_minutes:
        return event_type.length_in_minutes
    options = event_type.length_in_minutes_options
    if not options or duration not in options:
        allowed = ", ".join(str(o) for o in (options or [event_type.length_in_minutes]))
        raise ApiError(400, f"{field}: {duration} is not one of the event type's lengths ({allowed})")
    return duration


async def compute(
    ctx: ApiContext,
    event_type: EventType,
    start: datetime,
    end: datetime,
    zone: str,
    minutes: int,
    ignore: str | None,
    *,
    only_hosts: Collection[int] | None = None,
) -> dict[date, list[datetime]]:
    """The event type's slots in ``[start, end]``, grouped by date in ``zone``.

    ``only_hosts``: count only these of its hosts (a routed booking's routed hosts); default all of them.
    """
    if end < start:
        raise ApiError(400, f"end: {INVALID_RANGE}")
    if end - start > MAX_WINDOW:
        raise ApiError(400, "end: the window from start to end is longer than 366 days; ask for less")
    now = datetime.now(UTC)
    host_ids = [h.user_id for h in event_type.hosts if only_hosts is None or h.user_id in only_hosts]
    first, last = event_type.data_window(start, end, now)
    async with ctx.db.sessions() as session:
        shared = await seats.open_slots(session, event_type, first, last)  # seated slots with seats left
        hosts = await availability.load_hosts(
            session, event_type, host_ids, first, last, now, ignore=(ignore, *(b.uid for b in shared))
        )
    found = slots(Query(event_type, hosts, start, end, now, length=minutes, viewer_zone=zone))
    return seats.only_shared_starts(found, shared, timedelta(minutes=minutes))


@dataclass(frozen=True)
class Family:
    """How one API version names the parameters and the slot fields."""

    allowed: frozenset[str]
    format_param: str
    start_param: str
    end_param: str
    reschedule_param: str
    username_params: tuple[str, ...]
    single: str  # the slot's field in the time format
    range_keys: tuple[str, str]  # its fields in the range format


CURRENT_FAMILY = Family(
    CURRENT, "format", "start", "end", "bookingUidToReschedule", ("username",), "start", ("start", "end")
)
OLDER_FAMILY = Family(
    OLDER,
    "slotFormat",
    "startTime",
    "endTime",
    "rescheduleUid",
    ("usernameList", "usernameList[]"),
    "time",
    ("startTime", "endTime"),
)


async def _answer(request: Request, ctx: ApiContext, family: Family) -> dict[str, list[dict[str, Any]]]:
    """The slots a request of ``family`` asks for, keyed by date in its zone and shaped as it names them."""
    _refuse_unknown(request, family.allowed)
    q = request.query_params
    fmt = (q.get(family.format_param) or "time").lower()
    if fmt not in ("range", "time"):
        raise ApiError(400, f"{family.format_param}: slotFormat must be either 'range' or 'time'")
    zone = _zone(q.get("timeZone"), "timeZone")
    start = _instant(q.get(family.start_param), family.start_param, end=False)
    end = _instant(q.get(family.end_param), family.end_param, end=True)
    usernames = [u for name in family.username_params for u in q.getlist(name)]
    event_type = await event_type_for(
        ctx, _integer(q.get("eventTypeId"), "eventTypeId"), q.get("eventTypeSlug"), usernames[0] if usernames else None
    )
    minutes = duration_of(event_type, _integer(q.get("duration"), "duration"), "duration")
    found = await compute(ctx, event_type, start, end, zone or "UTC", minutes, q.get(family.reschedule_param))
    length = timedelta(minutes=minutes)
    first, last = family.range_keys

    counts = await seats.slot_counts(ctx, event_type, start, end)

    def slot(moment: datetime) -> dict[str, Any]:
        if fmt == "range":
            return {first: iso(moment, zone), last: iso(moment + length, zone)} | counts(moment)
        return {family.single: iso(moment, zone)} | counts(moment)

    return {day.isoformat(): [slot(m) for m in day_slots] for day, day_slots in found.items()}


@router.get("")
async def get_slots(request: Request, ctx: Ctx) -> dict[str, Any]:
    """Available start times by date: ``{"status": "success", "data": {"YYYY-MM-DD": [{"start": …}]}}``."""
    return {"status": "success", "data": await _answer(request, ctx, CURRENT_FAMILY)}


@router.get("/available")
async def get_available_slots(request: Request, ctx: Ctx) -> dict[str, Any]:
    """The 2024-04-15 family: ``{"data": {"slots": {"YYYY-MM-DD": [{"time": …}]}}}``."""
    return {"status": "success", "data": {"slots": await _answer(request, ctx, OLDER_FAMILY)}}

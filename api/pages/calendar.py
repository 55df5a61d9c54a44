"""The month view of a booking page: the days with free slots and the slots of the chosen day.

One request computes the whole month with the code ``GET /v2/slots`` runs (``api.slots.compute``), in the
booker's time zone; the page's query parameters (``month``, ``date``, ``tz``) are checked here, each
refusal a 400 naming the parameter.
"""

import calendar as weeks
import functools
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

from api import slots
from api.context import ApiContext
from api.errors import ApiError
from domain.config import EventType
from domain.zones import check_time_zone

SEARCH_MONTHS = 12  # how far ahead an empty month looks for the next free time


@functools.cache
def time_zones() -> list[str]:
    """The IANA zones a booker can pick: the regional names (not Etc/…, SystemV/…, posix/… aliases)."""
    legacy = ("Etc/", "SystemV/", "posix/", "right/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/")
    names = {z for z in available_timezones() if "/" in z and not z.startswith(legacy)}
    return sorted(names | {"UTC"})


@dataclass(frozen=True)
class Link:
    """Builds this page's URLs: its path, the parameters every link carries, and the ones that change."""

    path: str
    carried: Mapping[str, str]

    def __call__(self, **changes: str | None) -> str:
        params = {k: v for k, v in ({**self.carried, **changes}).items() if v}
        return f"{self.path}?{urlencode(params)}" if params else self.path


@dataclass(frozen=True)
class Day:
    day: date
    slots: int  # free start times that day (0: not bookable)


@dataclass(frozen=True)
class MonthView:
    """What the calendar partial shows."""

    zone: str
    month: date  # its first day
    weeks: list[list[Day | None]]  # Monday first; None pads the first and last week
    chosen: date | None
    times: list[datetime]  # the chosen day's free start times, in ``zone``
    minutes: int
    previous: date | None  # the previous month, unless it lies wholly in the past
    next: date
    # When this month has no free time: the first month after it that has (searched up to SEARCH_MONTHS
    # ahead), None when there is none.
    next_free: date | None = None
    jumped_from: date | None = None  # the month asked for, when the view jumped from it to ``next_free``
    searched: int = SEARCH_MONTHS

    @property
    def title(self) -> str:
        return self.month.strftime("%B %Y")

    @property
    def has_slots(self) -> bool:
        return any(d is not None and d.slots for week in self.weeks for d in week)


def zone_param(value: str | None, default: str) -> str:
    """The ``tz`` parameter (an IANA zone), ``default`` when absent, else a 400 naming it."""
    if not value:
        return default
    try:
        return check_time_zone(value)
    except ValueError as bad:
        raise ApiError(400, f"tz: {bad}") from None


def _month(value: str | None, today: date) -> date:
    if not value:
        return today.replace(day=1)
    try:
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise ApiError(400, f"month: {value!r} is not a month such as {today:%Y-%m}") from None
    if not 1971 <= month.year <= 8999:  # far from the ends of the calendar, where time zones overflow
        raise ApiError(400, f"month: {value} is outside the years 1971 to 8999")
    return month


def _day(value: str | None, month: date) -> date | None:
    if not value:
        return None
    try:
        chosen = date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"date: {value!r} is not a date such as {month:%Y-%m-%d}") from None
    if (chosen.year, chosen.month) != (month.year, month.month):
        raise ApiError(400, f"date: {value} is not in the month shown ({month:%Y-%m})")
    return chosen


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _length(value: str | None, event_type: EventType) -> int:
    """The ``duration`` parameter: one of the event type's lengths (its own when absent), else a 400."""
    if not value:
        return slots.duration_of(event_type, None, "duration")
    if not value.isdigit() or len(value) > 5:
        raise ApiError(400, f"duration: {value!r} is not a number of minutes")
    return slots.duration_of(event_type, int(value), "duration")


async def month_view(
    ctx: ApiContext,
    event_type: EventType,
    params: Mapping[str, str],
    default_zone: str,
    reschedule_uid: str | None = None,
    only_hosts: Collection[int] | None = None,
) -> MonthView:
    """The month ``params`` ask for (``month``, ``date``, ``tz``, ``duration``), with the event type's free slots.

    ``reschedule_uid``: the booking being moved, whose own time counts as free (``bookingUidToReschedule``).
    ``only_hosts``: count only these hosts' free time (a routed visitor's routed hosts).
    A month without free time finds the next one that has some (one more slots computation, over up to
    ``SEARCH_MONTHS`` months); a first visit (no ``month`` or ``date`` asked) jumps straight to it.
    """
    zone = zone_param(params.get("tz"), default_zone)
    tz = ZoneInfo(zone)
    now = datetime.now(UTC)
    month = _month(params.get("month"), now.astimezone(tz).date())
    chosen = _day(params.get("date"), month)
    following = _next_month(month)
    first = datetime.combine(month, time(0), tz).astimezone(UTC)
    last = datetime.combine(following, time(0), tz).astimezone(UTC) - timedelta(seconds=1)
    # Nothing before now, nothing past the booking horizon: what the booking itself would refuse.
    horizon = now + timedelta(days=ctx.config.booking.booking_horizon_days)
    start, end = max(first, now), min(last, horizon)
    minutes = _length(params.get("duration"), event_type)

    async def free(start: datetime, end: datetime) -> dict[date, list[datetime]]:
        if start >= end:
            return {}
        return await slots.compute(ctx, event_type, start, end, zone, minutes, reschedule_uid, only_hosts=only_hosts)

    found = await free(start, end)
    next_free = None
    if not found:  # the first later day with a free time, in one request (slots' window is at most 366 days)
        search_end = datetime.combine(_months_after(following, SEARCH_MONTHS), time(0), tz).astimezone(UTC)
        after = max(last, now)
        later = await free(after, min(search_end - timedelta(seconds=1), horizon, after + slots.MAX_WINDOW))
        next_free = min(later).replace(day=1) if later else None
        if next_free is not None and not params.get("month") and not params.get("date"):
            jumped = await month_view(
                ctx, event_type, {**params, "month": f"{next_free:%Y-%m}"}, default_zone, reschedule_uid, only_hosts
            )
            return replace(jumped, jumped_from=month)
    calendar_weeks = [
        [Day(d, len(found.get(d, []))) if d.month == month.month else None for d in week]
        for week in weeks.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    ]
    previous = (month - timedelta(days=1)).replace(day=1)
    return MonthView(
        zone=zone,
        month=month,
        weeks=calendar_weeks,
        chosen=chosen,
        times=[t.astimezone(tz) for t in found.get(chosen, [])] if chosen else [],
        minutes=minutes,
        previous=previous if datetime.combine(month, time(0), tz) > now else None,
        next=following,
        next_free=next_free,
    )


def _months_after(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month`` (a first day)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def parse_start(value: str | None, zone: str) -> datetime:
    """A slot's start as the page sends it (ISO 8601; without an offset, in ``zone``), in ``zone``,
    else a 400 naming ``start``."""
    if not value:
        raise ApiError(400, "start: pick a time first")
    try:
        moment = datetime.fromisoformat(value)
        if not 1971 <= moment.year <= 8999:
            raise ValueError("out of range")
        return (moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))).astimezone(ZoneInfo(zone))
    except (ValueError, OverflowError):
        raise ApiError(400, f"start: {value!r} is not a time such as 2030-01-31T09:30:00+01:00") from None

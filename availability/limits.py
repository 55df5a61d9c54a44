"""When an event type may be booked at all: notice, booking window, and booking-limit periods."""

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta

from availability import wallclock
from availability.inputs import Booked
from availability.intervals import Interval
from domain.busy import USER_PERIODS
from domain.config import EventType, User

NEVER = 2**62
PeriodKey = Callable[[date], tuple[date, date]]


def _day(d: date) -> tuple[date, date]:
    return d, d + timedelta(days=1)


def _week(d: date) -> tuple[date, date]:
    first = d - timedelta(days=d.weekday())  # weeks start on Monday
    return first, first + timedelta(days=7)


def _month(d: date) -> tuple[date, date]:
    first = d.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


def _year(d: date) -> tuple[date, date]:
    return d.replace(month=1, day=1), d.replace(year=d.year + 1, month=1, day=1)


PERIODS: dict[str, PeriodKey] = {"day": _day, "week": _week, "month": _month, "year": _year}


def bounds(event_type: EventType, zone: str, now: int, *, for_slots: bool) -> tuple[int, int]:
    """The earliest and (exclusive) latest start the event type allows at ``now``.

    ROLLING_WINDOW's end depends on which days have slots: the engine narrows it (``rolling_window_end``).
    """
    notice = event_type.minimum_booking_notice * 60
    earliest = now + (max(notice, 60) if for_slots else notice)
    latest = NEVER
    if event_type.period_type == "ROLLING" and event_type.period_days:
        today = wallclock.local_date(zone, now)
        last = _add_days(today, event_type.period_days, event_type.period_count_calendar_days)
        latest = wallclock.start_of_day(zone, last + timedelta(days=1))
    elif event_type.period_type == "RANGE" and event_type.period_start_date and event_type.period_end_date:
        earliest = max(earliest, wallclock.start_of_day(zone, event_type.period_start_date))
        latest = wallclock.start_of_day(zone, event_type.period_end_date + timedelta(days=1))
    return earliest, latest


# Cal.com's ROLLING_WINDOW_PERIOD_MAX_DAYS_TO_CHECK: the days looked at for bookable ones (about two months).
ROLLING_WINDOW_DAYS_CHECKED = 30 + 31


def rolling_window_days(today: date, calendar_days: bool) -> list[date]:
    """The days ROLLING_WINDOW looks at, from today: every day, or (business days) Monday to Friday after today."""
    days = [today]
    while len(days) < ROLLING_WINDOW_DAYS_CHECKED:
        days.append(_add_days(days[-1], 1, calendar_days))
    return days


def rolling_window_end(
    event_type: EventType, zone: str, today: date, bookable: set[date], known_until: date
) -> int | None:
    """periodType ROLLING_WINDOW (Cal.com): the (exclusive) end of the ``periodDays``-th day with a slot.

    ``bookable`` holds the days with a slot up to ``known_until``; None when the window reaches past it.
    Without enough bookable days in the checked days, Cal.com ends the window at the last one found.
    """
    needed = event_type.period_days or 0
    last, found = None, 0
    days = rolling_window_days(today, event_type.period_count_calendar_days)
    for day in days:
        if found >= needed:
            break
        if day > known_until:
            return None
        if day in bookable:
            found, last = found + 1, day
    end = last if last is not None else _add_days(days[-1], 1, event_type.period_count_calendar_days)
    return wallclock.start_of_day(zone, end + timedelta(days=1))


def _add_days(day: date, count: int, calendar_days: bool) -> date:
    if calendar_days:
        return day + timedelta(days=count)
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _full_periods(
    booked: Iterable[Booked], zone: str, limits: dict[str, int], weight: Callable[[Booked], int], extra: int
) -> list[Interval]:
    """Periods (as instants) in which the booked weight plus ``extra`` would exceed the limit."""
    busy: list[Interval] = []
    booked = list(booked)
    for period, limit in limits.items():
        key = PERIODS[period]
        totals: Counter[tuple[date, date]] = Counter()
        for item in booked:
            totals[key(wallclock.local_date(zone, wallclock.seconds(item.start)))] += weight(item)
        for (first, end), total in totals.items():
            if total + extra > limit:
                busy.append((wallclock.start_of_day(zone, first), wallclock.start_of_day(zone, end)))
    return busy


def limit_periods(
    event_type: EventType, user: User, booked: Sequence[Booked], zone: str, length: int
) -> list[Interval]:
    """Time closed to this event type for one host by event-type and user booking limits."""
    count, duration, per_user = event_type.booking_limits_count, event_type.booking_limits_duration, user.booking_limits
    if count is None and duration is None and per_user is None:
        return []  # the common case: no limits, so the host's bookings need no counting
    accepted = [b for b in booked if b.accepted]
    mine = [b for b in accepted if b.event_type_id == event_type.id]
    busy: list[Interval] = []
    if count is not None:
        limits = {p: v for p in PERIODS if (v := getattr(count, p)) is not None}
        busy += _full_periods(mine, zone, limits, lambda _b: 1, 1)
    if duration is not None:
        limits = {p: v for p in PERIODS if (v := getattr(duration, p)) is not None}
        busy += _full_periods(mine, zone, limits, _minutes, length)
    if per_user is not None:
        limits = {p: v for p, name in USER_PERIODS.items() if (v := getattr(per_user, name)) is not None}
        busy += _full_periods(accepted, user.time_zone, limits, lambda _b: 1, 1)
    return busy


def _minutes(item: Booked) -> int:
    return int((item.end - item.start).total_seconds() // 60)

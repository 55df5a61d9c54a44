"""A schedule's hours as instants: weekly ranges per local date, overrides replacing a date's ranges."""

from datetime import date, timedelta

from availability import wallclock
from availability.intervals import Interval, clip, merge
from domain.schedules import DAY_NAMES, Schedule


def _day_ranges(schedule: Schedule) -> tuple[dict[int, list[tuple[int, int]]], dict[date, list[tuple[int, int]]]]:
    weekly: dict[int, list[tuple[int, int]]] = {i: [] for i in range(7)}
    for rule in schedule.availability:
        for day in rule.days:
            weekly[DAY_NAMES.index(day)].append(rule.minutes)
    overrides: dict[date, list[tuple[int, int]]] = {}
    for override in schedule.overrides:
        ranges = overrides.setdefault(override.date, [])
        if not override.blocks_day:
            ranges.append(override.minutes)
    return weekly, overrides


def expand(schedule: Schedule, start: int, end: int) -> list[Interval]:
    """The schedule's available time within ``[start, end)`` as sorted, disjoint instants."""
    name = schedule.time_zone
    weekly, overrides = _day_ranges(schedule)
    # One day of margin on each side: a local date can start up to 14 h before or after the UTC date.
    day = wallclock.local_date(name, start) - timedelta(days=1)
    last = wallclock.local_date(name, end) + timedelta(days=1)
    found: list[Interval] = []
    while day <= last:
        ranges = overrides.get(day)
        if ranges is None:
            ranges = weekly[day.weekday()]
        for first, final in ranges:
            found.append(
                (wallclock.instant(name, day, first, end=False), wallclock.instant(name, day, final, end=True))
            )
        day += timedelta(days=1)
    return clip(merge(found), start, end)

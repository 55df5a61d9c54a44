"""Slots and the booking-time check over hosts' schedules, busy time and the event type's limits."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from operator import itemgetter

from availability import limits, wallclock
from availability.inputs import HostAvailability, Query
from availability.intervals import Interval, contains, intersect, subtract
from availability.schedule import expand
from domain.config import EventType

ALIGNMENTS = (60, 30, 20, 15, 10, 5)
_START = itemgetter(0)
DAY = timedelta(days=1)


class Refusal(StrEnum):
    """Why a time cannot be booked, as Cal.com distinguishes it."""

    PAST = "past"
    OUT_OF_BOUNDS = "out_of_bounds"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Verdict:
    """The booking-time check: the hosts free for exactly the requested time, or why it is refused."""

    free_host_ids: list[int]
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def event_zone(event_type: EventType, hosts: Sequence[HostAvailability]) -> str:
    """Where limits and windows count: the event type's schedule zone, else the first host's zone."""
    for host in hosts:
        if event_type.schedule_id is not None and host.schedule.id == event_type.schedule_id:
            return host.schedule.time_zone
    return hosts[0].schedule.time_zone if hosts else "UTC"


def free_ranges(host: HostAvailability, event_type: EventType, length: int, start: int, end: int) -> list[Interval]:
    """Where ``host`` could hold a meeting of ``length`` minutes of ``event_type`` within ``[start, end)``.

    Busy time is widened by the requested event's buffers, so a slot only has to fit a free range.
    """
    hours = expand(host.schedule, start, end)
    if not hours:
        return []
    busy = [b.span for b in host.busy]
    before, after = event_type.before_event_buffer * 60, event_type.after_event_buffer * 60
    if before or after:
        busy = [(s - after, e + before) for s, e in busy]
    if host.booked:
        zone = event_zone(event_type, [host])
        busy += limits.limit_periods(event_type, host.user, host.booked, zone, length)
    # The sweep needs the starts in order only: sorting on them compares ints, not tuples. Busy time
    # after the schedule's last hour costs this sort and nothing more.
    busy.sort(key=_START)
    return subtract(hours, busy)


def _alignment(step_minutes: int) -> int:
    return next((a for a in ALIGNMENTS if step_minutes % a == 0), 1) * 60


def _aligned(zone: str, t: int, align: int) -> int:
    """The first instant at or after ``t`` whose wall-clock time is a multiple of ``align`` from the hour."""
    shift = wallclock.offset(zone, t)
    candidate = -(-(t + shift) // align) * align - shift
    later = wallclock.offset(zone, candidate)
    if later == shift:
        return candidate
    # A transition lies between: take the first aligned wall time under the new offset.
    candidate = -(-(t + later) // align) * align - later
    while wallclock.offset(zone, candidate) != later:
        candidate += align
    return candidate


def _starts(ranges: list[Interval], zone: str, length: int, step: int, align: int, lo: int, hi: int) -> list[int]:
    """Slot starts in each range: from its aligned start (wall clock of ``zone``), every ``step``."""
    out: list[int] = []
    # The zone's offset from ``since`` until ``changes``: ranges come in order, so one table look-up
    # serves every range until the next offset change, and only a range across one takes _aligned's path.
    since = changes = shift = 0
    for first, last in ranges:
        begin, stop = max(first, lo), min(last - length, hi - 1)
        if stop < begin:
            continue  # too short for a meeting (a gap between bookings): no start can fit
        if not since <= begin < changes:
            since, (shift, changes) = begin, wallclock.offset_until(zone, begin)
        t = -(-(begin + shift) // align) * align - shift
        if t >= changes:
            t = _aligned(zone, begin, align)
        out.extend(range(t, stop + 1, step))
    return out


def _grid(query: Query, zone: str, lo: int, hi: int, start: int, end: int) -> list[int]:
    """Bookable starts in ``[lo, hi)`` from the hosts' free time within ``[start, end)``, sorted."""
    event_type, hosts = query.event_type, query.hosts
    length = query.minutes * 60
    step_minutes = event_type.slot_interval or query.minutes
    step, align = step_minutes * 60, _alignment(step_minutes)
    per_host = [free_ranges(h, event_type, query.minutes, start, end) for h in hosts]
    if event_type.scheduling_type == "collective":
        shared = per_host[0]
        for ranges in per_host[1:]:
            shared = intersect(shared, ranges)
        return _starts(shared, zone, length, step, align, lo, hi)
    found: set[int] = set()
    for host, ranges in zip(hosts, per_host, strict=True):
        found.update(_starts(ranges, host.schedule.time_zone, length, step, align, lo, hi))
    return sorted(found)


def _rolling_window_latest(query: Query, zone: str, now: int, earliest: int) -> int:
    """periodType ROLLING_WINDOW: the (exclusive) latest start, the end of the ``periodDays``-th day from
    today (event zone) that has a slot. The hosts' data must cover from ``now`` to ``query.end``."""
    event_type = query.event_type
    today = wallclock.local_date(zone, now)
    checked = limits.rolling_window_days(today, event_type.period_count_calendar_days)
    horizon = wallclock.start_of_day(zone, checked[-1] + timedelta(days=1))
    # Whole local days only (the store loads a day of margin around the window).
    end = min(horizon, wallclock.start_of_day(zone, wallclock.local_date(zone, wallclock.seconds(query.end)) + DAY))
    bookable = {wallclock.local_date(zone, t) for t in _grid(query, zone, earliest, limits.NEVER, now, end)}
    latest = limits.rolling_window_end(event_type, zone, today, bookable, wallclock.local_date(zone, end - 1))
    return limits.NEVER if latest is None else latest


def slot_starts(query: Query) -> list[int]:
    """Every bookable start (epoch seconds, sorted) of the query's window."""
    event_type, hosts = query.event_type, query.hosts
    if not hosts:
        return []
    zone = event_zone(event_type, hosts)
    now = wallclock.seconds(query.now)
    lo, hi = limits.bounds(event_type, zone, now, for_slots=True)
    if event_type.period_type == "ROLLING_WINDOW":
        hi = min(hi, _rolling_window_latest(query, zone, now, lo))
    start, end = wallclock.seconds(query.start), wallclock.seconds(query.end)
    lo = max(lo, start)
    if lo >= min(hi, end):
        return []
    return _grid(query, zone, lo, hi, start, end)


def slots(query: Query) -> dict[date, list[datetime]]:
    """Slots grouped by date in the viewer's zone (empty dates absent), as aware datetimes in that zone."""
    tz = wallclock.zone(query.viewer_zone)
    grouped: dict[date, list[datetime]] = {}
    for start in slot_starts(query):
        moment = datetime.fromtimestamp(start, tz)
        day = grouped.setdefault(moment.date(), [])
        if not (query.event_type.only_show_first_available_slot and day):
            day.append(moment)
    return grouped


def check(query: Query) -> Verdict:
    """Whether the meeting ``[query.start, +length)`` can be booked now, and with which hosts.

    Recomputes availability for exactly that time; the slot grid is not re-checked.
    """
    event_type, hosts = query.event_type, query.hosts
    start = wallclock.seconds(query.start)
    end = start + query.minutes * 60
    now = wallclock.seconds(query.now)
    if start <= now:
        return Verdict([], Refusal.PAST)
    zone = event_zone(event_type, hosts)
    lo, hi = limits.bounds(event_type, zone, now, for_slots=False)
    if event_type.period_type == "ROLLING_WINDOW" and lo <= start < hi:
        hi = min(hi, _rolling_window_latest(query, zone, now, lo))
    if start < lo or start >= hi:
        return Verdict([], Refusal.OUT_OF_BOUNDS)
    free = [h.user.id for h in hosts if contains(free_ranges(h, event_type, query.minutes, start, end), start, end)]
    everyone = event_type.scheduling_type == "collective"
    if not free or (everyone and len(free) < len(hosts)):
        return Verdict(free, Refusal.UNAVAILABLE)
    return Verdict(free)


def still_free(event_type: EventType, start: datetime, end: datetime, now: datetime) -> Callable[..., bool]:
    """A test the store runs on the hosts it loaded under lock: is ``[start, end)`` still bookable?"""
    minutes = int((end - start).total_seconds() // 60)

    def test(hosts: Sequence[HostAvailability]) -> bool:
        return check(Query(event_type, hosts, start, end, now, length=minutes)).ok

    return test

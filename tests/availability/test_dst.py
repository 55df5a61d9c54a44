"""DST and odd offsets (spec §1.2), checked against a minute-by-minute oracle over every transition of two years.

The oracle reads wall clocks only: a range covers the instants from the first whose wall time reaches its
start to the last whose wall time equals its end (or, when no instant has that wall time, the instant the
clock jumps past it). That is the spec's rule (gap → transition instant; ambiguous start → earlier,
ambiguous end → later) stated without zoneinfo's fold.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from availability.engine import slot_starts, slots
from tests.availability.support import event_type, host, query, schedule

ZONES = (
    "America/New_York",
    "Europe/Rome",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Sao_Paulo",
)
FROM, TO = datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _offset(zone: ZoneInfo, t: int) -> timedelta:
    return datetime.fromtimestamp(t, zone).utcoffset() or timedelta()


def transitions(name: str) -> list[int]:
    """Every offset change in the two years (epoch seconds); the 1st of each month for zones without DST."""
    zone, found = ZoneInfo(name), []
    t, end = int(FROM.timestamp()), int(TO.timestamp())
    while t < end:
        if _offset(zone, t) != _offset(zone, t + 3600):
            low, high = t, t + 3600
            while high - low > 1:
                mid = (low + high) // 2
                low, high = (mid, high) if _offset(zone, mid) == _offset(zone, t) else (low, mid)
            found.append(high)
        t += 3600
    if not found:
        found = [int(datetime(2026 + m // 12, m % 12 + 1, 1, 12, tzinfo=UTC).timestamp()) for m in range(24)]
    return found


TRANSITIONS = {name: transitions(name) for name in ZONES}
CASES = [(name, t) for name in ZONES for t in TRANSITIONS[name]]


def test_the_zones_have_the_transitions_we_expect():
    assert len(TRANSITIONS["America/New_York"]) == 4 and len(TRANSITIONS["Europe/Rome"]) == 4
    assert len(TRANSITIONS["Australia/Lord_Howe"]) == 4 and len(TRANSITIONS["Pacific/Chatham"]) == 4
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    t = TRANSITIONS["Australia/Lord_Howe"][0]
    assert abs(_offset(lord_howe, t) - _offset(lord_howe, t - 1)) == timedelta(minutes=30)


def _wall(zone: ZoneInfo, t: int) -> datetime:
    return datetime.fromtimestamp(t, zone).replace(tzinfo=None)


def oracle(name: str, start: int, end: int, rule: tuple[int, int], length: int, step: int, align: int) -> list[int]:
    zone = ZoneInfo(name)
    grid = list(range(start - 2 * 86400, end + 2 * 86400, 60))
    walls = [_wall(zone, t) for t in grid]
    free: set[int] = set()
    first_day = _wall(zone, start).date() - timedelta(days=1)
    for offset in range((end - start) // 86400 + 3):
        day = datetime.combine(first_day + timedelta(days=offset), datetime.min.time())
        lo, hi = day + timedelta(minutes=rule[0]), day + timedelta(minutes=rule[1])
        begin = min(t for t, w in zip(grid, walls, strict=True) if w >= lo)
        exact = [t for t, w in zip(grid, walls, strict=True) if w == hi]
        finish = max(exact) if exact else max(t for t, w in zip(grid, walls, strict=True) if w < hi) + 60
        free.update(t for t in range(begin, finish, 60) if start <= t < end)
    found, t = [], start
    while t < end:
        if t in free and t - 60 not in free:  # a free run starts here
            run_end = t
            while run_end in free:
                run_end += 60
            x = t
            while datetime.fromtimestamp(x, zone).minute % align:
                x += 60
            while x + length <= run_end:
                found.append(x)
                x += step
            t = run_end
        t += 60
    return found


def _near(transition: int, name: str) -> st.SearchStrategy[int]:
    """Quarter hours of the day, half the time within two hours of the transition's wall time."""
    wall = _wall(ZoneInfo(name), transition - 1)
    minute = wall.hour * 60 + wall.minute // 15 * 15
    close = st.integers(-8, 8).map(lambda q: min(max(minute + q * 15, 0), 1425))
    return st.one_of(close, st.integers(0, 95).map(lambda q: q * 15))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    case=st.sampled_from(CASES),
    length=st.sampled_from([15, 30, 45, 60, 90]),
    interval=st.sampled_from([None, 10, 15, 20, 30, 60]),
    viewer=st.sampled_from((*ZONES, "UTC")),
)
def test_slots_match_the_wall_clock_oracle(data, case, length, interval, viewer):
    name, transition = case
    first = data.draw(_near(transition, name), label="first")
    last = data.draw(st.one_of(_near(transition, name), st.just(1440)).filter(lambda m: m > first), label="last")
    span = last - first
    last = min(first + span, 1440)
    end_text = "24:00" if last == 1440 else f"{last // 60:02d}:{last % 60:02d}"
    sched = schedule(name, f"{first // 60:02d}:{first % 60:02d}", end_text, days=DAYS)
    start = datetime.fromtimestamp(transition - 86400, UTC).replace(minute=0, second=0)
    q = query(event_type(length, slot_interval=interval), [host(sched)], start, days=2, viewer_zone=viewer)
    step_minutes = interval or length
    align = next((a for a in (60, 30, 20, 15, 10, 5) if step_minutes % a == 0), 1)
    expected = oracle(
        name, int(q.start.timestamp()), int(q.end.timestamp()), (first, last), length * 60, step_minutes * 60, align
    )
    assert slot_starts(q) == expected
    # Viewer-independent instants; every slot lasts exactly its length in absolute time.
    shown = [s for day in slots(q).values() for s in day]
    assert [int(s.timestamp()) for s in shown] == expected
    assert all(str(s.tzinfo) == viewer for s in shown)


@pytest.mark.parametrize(("name", "transition"), CASES)
def test_nine_oclock_on_both_sides_of_every_transition(name, transition):
    zone = ZoneInfo(name)
    sched = schedule(name, days=DAYS)
    day = datetime.fromtimestamp(transition, zone).date()
    start = datetime.combine(day - timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
    found = slots(query(event_type(), [host(sched)], start, days=3, viewer_zone=name))
    for offset in (-1, 0, 1):
        local = found[day + timedelta(days=offset)]
        assert [s.strftime("%H:%M") for s in local] == [f"{h:02d}:00" for h in range(9, 17)], (name, day, offset)


def test_spring_gap_rule_starts_at_the_transition_and_fall_back_rule_spans_both_hours():
    ny = "America/New_York"
    gap = schedule(ny, "02:00", "04:00", days=DAYS)
    spring = datetime(2026, 3, 8, 5, tzinfo=UTC)
    starts = [
        s.isoformat()
        for s in slots(query(event_type(30), [host(gap)], spring, days=0.5, viewer_zone=ny))[date(2026, 3, 8)]
    ]
    assert starts == ["2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"]
    ambiguous = schedule(ny, "01:00", "01:30", days=DAYS)
    fall = datetime(2026, 11, 1, 4, tzinfo=UTC)
    found = slots(query(event_type(30), [host(ambiguous)], fall, days=0.5, viewer_zone=ny))[date(2026, 11, 1)]
    # From 01:00 EDT (the earlier) to 01:30 EST (the later): 90 absolute minutes.
    assert [s.isoformat() for s in found] == [
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:00:00-05:00",
    ]

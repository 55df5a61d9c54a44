"""The engine against a brute-force reference: a few hundred small random scenarios, minute by minute.

The engine sweeps sorted intervals and skips work it can prove useless; this test pins that none of that
changes a result. The reference shares no code with the engine: it marks every minute of the window free
or taken and reads the free runs off that array. Times are whole minutes in UTC, so the reference needs no
time-zone rules (the DST property tests in test_dst.py cover those).
"""

import random
from datetime import date, timedelta

from availability.engine import check, slot_starts
from availability.inputs import Busy, HostAvailability, Query
from domain.config import EventType
from domain.schedules import DAY_NAMES, DateOverride, Schedule, WeeklyRange
from tests.availability.support import FAR_PAST, at, event_type, user

SCENARIOS = 300
MINUTE = 60
WINDOW_START = at(2050, 9, 4)  # a Sunday: the window takes in a weekend and weekdays
DAYS = 3
WINDOW_MINUTES = DAYS * 24 * 60
WINDOW_SECONDS = int(WINDOW_START.timestamp())


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _random_range(rng: random.Random) -> tuple[int, int]:
    first = rng.randrange(0, 23 * 60, rng.choice((5, 15, 60)))
    return first, rng.randrange(first + 5, 24 * 60 + 1, 5)


def _random_schedule(rng: random.Random, owner: int) -> Schedule:
    """One or two weekly ranges on disjoint days, sometimes an override (a day's other hours, or blocked)."""
    days = list(DAY_NAMES)
    rng.shuffle(days)
    cut = rng.randrange(1, 7)
    rules = [days[:cut]] + ([days[cut:]] if rng.random() < 0.5 else [])
    weekly = []
    for rule_days in rules:
        first, last = _random_range(rng)
        weekly.append(WeeklyRange(days=rule_days, start_time=_hhmm(first), end_time=_hhmm(last)))
    overrides = []
    if rng.random() < 0.4:
        day = WINDOW_START.date() + timedelta(days=rng.randrange(DAYS))
        first, last = _random_range(rng) if rng.random() < 0.7 else (0, 0)
        overrides.append(DateOverride(date=day, start_time=_hhmm(first), end_time=_hhmm(last)))
    return Schedule(id=owner, owner_id=owner, name="s", time_zone="UTC", availability=weekly, overrides=overrides)


def _random_busy(rng: random.Random) -> list[Busy]:
    """Overlapping, touching, long, empty and out-of-window busy times, in no particular order."""
    spans = []
    for _ in range(rng.randrange(0, 40)):
        first = rng.randrange(-600, WINDOW_MINUTES + 600)
        length = rng.choice((0, 5, 15, 30, 60, 90, 600)) if rng.random() < 0.9 else -10
        spans.append((first, first + length))
    if spans and rng.random() < 0.5:
        end = rng.choice(spans)[1]
        spans.append((end, end + 30))  # touching another
    return [Busy((WINDOW_SECONDS + s * MINUTE, WINDOW_SECONDS + e * MINUTE), "calendar") for s, e in spans]


def _random_event_type(rng: random.Random, hosts: int) -> EventType:
    return event_type(
        length=rng.choice((5, 15, 20, 30, 45, 60, 90)),
        hosts=range(1, hosts + 1),
        slot_interval=rng.choice((None, None, 10, 15, 20, 25, 45, 90)),
        before_event_buffer=rng.choice((0, 0, 5, 15)),
        after_event_buffer=rng.choice((0, 0, 10, 30)),
        scheduling_type=rng.choice(("roundRobin", "collective")),
    )


def _free_minutes(host: HostAvailability, et: EventType) -> list[bool]:
    """Whether each minute of the window is in the schedule's hours and not busy (busy widened by the
    event type's buffers), by marking every minute."""
    weekly = {d: rule.minutes for rule in host.schedule.availability for d in rule.days}
    overrides: dict[date, list[tuple[int, int]]] = {}
    for override in host.schedule.overrides:
        overrides.setdefault(override.date, []).extend([] if override.blocks_day else [override.minutes])
    free = []
    for d in range(DAYS):
        day = WINDOW_START.date() + timedelta(days=d)
        name = DAY_NAMES[day.weekday()]
        ranges = overrides.get(day, [weekly[name]] if name in weekly else [])
        free += [any(a <= minute < b for a, b in ranges) for minute in range(24 * 60)]
    for start, end in (b.span for b in host.busy):
        # Widened first: a meeting's after-buffer must end by a busy start, its before-buffer begin after a
        # busy end. What is empty once widened takes nothing.
        first = (start - WINDOW_SECONDS) // MINUTE - et.after_event_buffer
        last = (end - WINDOW_SECONDS) // MINUTE + et.before_event_buffer
        for minute in range(max(first, 0), min(last, WINDOW_MINUTES)):
            free[minute] = False
    return free


def _reference_starts(free: list[bool], et: EventType, length: int) -> list[int]:
    """Starts from each maximal free run: the first aligned minute, then every step, while the meeting fits."""
    step = et.slot_interval or length
    align = next((a for a in (60, 30, 20, 15, 10, 5) if step % a == 0), 1)
    out = []
    m = 0
    while m < len(free):
        if not free[m]:
            m += 1
            continue
        run_end = m
        while run_end < len(free) and free[run_end]:
            run_end += 1
        t = -(-m // align) * align
        while t + length <= run_end:
            out.append(t)
            t += step
        m = run_end
    return out


def _scenario(seed: int) -> tuple[EventType, list[HostAvailability], list[list[bool]]]:
    rng = random.Random(seed)
    count = rng.randrange(1, 4)
    et = _random_event_type(rng, count)
    hosts = [HostAvailability(user(h, "UTC"), _random_schedule(rng, h), _random_busy(rng)) for h in range(1, count + 1)]
    return et, hosts, [_free_minutes(h, et) for h in hosts]


def test_slots_match_a_minute_by_minute_reference():
    for seed in range(SCENARIOS):
        et, hosts, free = _scenario(seed)
        length = et.length_in_minutes
        # Collective: the minutes every host has free; round robin: any host's starts.
        together = [[all(column) for column in zip(*free, strict=True)]]
        runs = together if et.scheduling_type == "collective" else free
        expected = sorted({t for host_free in runs for t in _reference_starts(host_free, et, length)})
        end = WINDOW_START + timedelta(days=DAYS)
        found = slot_starts(Query(et, hosts, WINDOW_START, end, FAR_PAST))
        assert [(t - WINDOW_SECONDS) // MINUTE for t in found] == expected, f"seed {seed}"


def test_booking_check_matches_the_reference():
    rng = random.Random(7)
    for seed in range(SCENARIOS):
        et, hosts, free = _scenario(seed)
        length = et.length_in_minutes
        for _ in range(5):
            m = rng.randrange(0, WINDOW_MINUTES - length)
            start = WINDOW_START + timedelta(minutes=m)
            verdict = check(Query(et, hosts, start, start + timedelta(minutes=length), FAR_PAST))
            expected = [h.user.id for h, f in zip(hosts, free, strict=True) if all(f[m : m + length])]
            assert verdict.free_host_ids == expected, f"seed {seed}, minute {m}"

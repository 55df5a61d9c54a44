"""Wall-clock times of an IANA zone as instants, with Bookflow's DST rules (spec §1.2).

A nonexistent local time (spring gap) is the transition instant; an ambiguous one (fall back) is the
earlier instant when it starts a range and the later when it ends one.
"""

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = 86_400


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The zone ``name`` (cached: ZoneInfo lookups cost more than the arithmetic that follows)."""
    return ZoneInfo(name)


def _probe(zone_name: str, instant: int) -> int:
    delta = datetime.fromtimestamp(instant, zone(zone_name)).utcoffset()
    return int(delta.total_seconds()) if delta else 0


BLOCK = 2**25  # about 388 days of seconds


@lru_cache(maxsize=1024)
def _offset_table(zone_name: str, block: int) -> tuple[list[int], list[int]]:
    """The offset changes of one block of time: their instants and the offsets from each on."""
    t, end = block * BLOCK - DAY, (block + 1) * BLOCK + DAY
    instants, offsets = [t], [_probe(zone_name, t)]
    step = 6 * 3600  # offsets never change twice within six hours
    while t < end:
        nxt = t + step
        if _probe(zone_name, nxt) != offsets[-1]:
            low, high = t, nxt
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (low, middle) if _probe(zone_name, middle) != offsets[-1] else (middle, high)
            instants.append(high)
            offsets.append(_probe(zone_name, high))
        t = nxt
    return instants, offsets


def offset(zone_name: str, instant: int) -> int:
    """The zone's UTC offset in seconds at ``instant`` (from a per-year table of its changes)."""
    instants, offsets = _offset_table(zone_name, instant // BLOCK)
    return offsets[bisect_right(instants, instant) - 1]


def offset_until(zone_name: str, instant: int) -> tuple[int, int]:
    """The zone's UTC offset at ``instant`` and an instant before which it certainly stays the same
    (its next change, or the end of the table's block): callers skip a second look-up for nearby times."""
    block = instant // BLOCK
    instants, offsets = _offset_table(zone_name, block)
    index = bisect_right(instants, instant) - 1
    changes = instants[index + 1] if index + 1 < len(instants) else (block + 1) * BLOCK
    return offsets[index], changes


def local_date(zone_name: str, instant: int) -> date:
    """The date in the zone at ``instant``."""
    return datetime.fromtimestamp(instant, zone(zone_name)).date()


def _transition(zone_name: str, before: int, after: int) -> int:
    """The first second in ``(before, after]`` whose offset is the one at ``after``."""
    target = _probe(zone_name, after)
    low, high = before, after
    while high - low > 1:
        middle = (low + high) // 2
        if _probe(zone_name, middle) == target:
            high = middle
        else:
            low = middle
    return high


@lru_cache(maxsize=65_536)
def instant(zone_name: str, day: date, minutes: int, *, end: bool) -> int:
    """Epoch seconds of ``minutes`` after midnight of ``day`` in the zone (1440 = the next midnight)."""
    naive = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minutes)
    tz = zone(zone_name)
    first = int(naive.replace(tzinfo=tz, fold=0).timestamp())
    second = int(naive.replace(tzinfo=tz, fold=1).timestamp())
    if first == second:
        return first
    if first < second:  # ambiguous: the wall time happens twice
        return second if end else first
    return _transition(zone_name, second, first)  # nonexistent: the gap's transition


def start_of_day(zone_name: str, day: date) -> int:
    return instant(zone_name, day, 0, end=False)


def as_datetime(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def seconds(moment: datetime) -> int:
    return int(moment.timestamp())

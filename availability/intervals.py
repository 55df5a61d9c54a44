"""Half-open intervals ``(start, end)`` of epoch seconds, kept sorted and disjoint (busy time: sorted by start)."""

from bisect import bisect_right
from collections.abc import Iterable

Interval = tuple[int, int]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same time (touching intervals join); empty ones dropped."""
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract(free: list[Interval], busy: list[Interval]) -> list[Interval]:
    """``free`` (sorted, disjoint) minus ``busy`` (sorted by start only; may overlap or be empty), in one sweep.

    No merge pass first: a host's busy time is hundreds of overlapping bookings and calendar events, and
    ``cursor`` (the furthest busy end seen) already plays the merged interval's part. Busy time past the last
    free range is never visited. Empty busy intervals are skipped: they must not split a free range.
    """
    out: list[Interval] = []
    i, count = 0, len(busy)
    cursor = free[0][0] if free else 0
    for start, end in free:
        cursor = max(cursor, start)  # busy time running into this range from before it
        while i < count:
            busy_start, busy_end = busy[i]
            if busy_start >= end:
                break
            i += 1
            if busy_end <= busy_start:
                continue
            if busy_start > cursor:
                out.append((cursor, busy_start))
            if busy_end > cursor:
                cursor = busy_end
        if cursor < end:
            out.append((cursor, end))
    return out


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """The time in both ``a`` and ``b`` (sorted and disjoint)."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def clip(intervals: list[Interval], start: int, end: int) -> list[Interval]:
    """The part of ``intervals`` inside ``[start, end)``."""
    return [(max(s, start), min(e, end)) for s, e in intervals if s < end and e > start]


def contains(intervals: list[Interval], start: int, end: int) -> bool:
    """Whether one interval of the sorted, disjoint ``intervals`` holds all of ``[start, end)``."""
    index = bisect_right(intervals, (start, float("inf"))) - 1
    return index >= 0 and intervals[index][0] <= start and end <= intervals[index][1]

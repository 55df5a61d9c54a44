"""Timestamps as Cal.com writes them, and the wrapper every enveloped body shares."""

from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

# "z": 2024-07-01T10:00:00Z, "ms": JavaScript's toISOString(), "offset": 2024-07-01T10:00:00+00:00.
TimeStyle = Literal["z", "ms", "offset"]


def stamp_ms(moment: datetime) -> str:
    """JavaScript's ``Date.toISOString()``: UTC with milliseconds and a Z, as Cal.com's ``createdAt``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def stamp(moment: datetime, style: TimeStyle) -> str:
    """``moment`` in UTC, written in one of Cal.com's styles."""
    utc = moment.astimezone(UTC)
    if style == "ms":
        return stamp_ms(utc)
    if style == "offset":
        return utc.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_offset(time_zone: str, at: datetime) -> int:
    """Minutes east of UTC of ``time_zone`` at the instant ``at`` (Cal.com's ``utcOffset``)."""
    offset = at.astimezone(ZoneInfo(time_zone)).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def envelope(trigger: str, created_at: datetime, payload: dict[str, Any]) -> dict[str, Any]:
    """Cal.com's wrapper ``{triggerEvent, createdAt, payload}``."""
    return {"triggerEvent": trigger, "createdAt": stamp_ms(created_at), "payload": payload}

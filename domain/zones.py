"""IANA time zone names, checked against the shipped tz database (the ``tzdata`` package)."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def check_time_zone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone, else raise ValueError naming it."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'") from None
    return name

"""Reading `--since` values: an ISO 8601 time, or an age such as 90s, 15m, 2h, 3d."""

import re
from datetime import UTC, datetime, timedelta

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """The moment ``text`` names; a time without a zone is taken as UTC. ValueError says what is accepted."""
    now = now or datetime.now(UTC)
    if match := _AGE.match(text):
        return now - timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--since: {text!r} is neither an ISO 8601 time nor an age like 30m, 2h or 1d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

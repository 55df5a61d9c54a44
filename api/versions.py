"""`cal-api-version`: which of Cal.com's dated shapes a route family answers with.

Cal.com versions each route family by a date header. A request may send any date: the newest known
version on or before it is served (a later date than we know gets the newest shapes, a date between
two versions the earlier one, a date before the first the oldest); no header gets the newest shapes.
The version served is echoed in the ``cal-api-version`` response header.
"""

from collections.abc import Callable
from datetime import date
from enum import StrEnum

from fastapi import Request, Response

from api.errors import ApiError

HEADER = "cal-api-version"


class Family(StrEnum):
    BOOKINGS = "bookings"
    EVENT_TYPES = "event-types"
    SLOTS = "slots"
    SCHEDULES = "schedules"


# The dated versions Cal.com documents per family, oldest first.
KNOWN: dict[Family, tuple[str, ...]] = {
    Family.BOOKINGS: ("2024-04-15", "2024-08-13"),
    Family.EVENT_TYPES: ("2024-06-14",),
    Family.SLOTS: ("2024-09-04",),
    Family.SCHEDULES: ("2024-06-11",),
}


def resolve(family: Family, sent: str | None) -> str:
    """The version of ``family`` served for the header value ``sent``; a non-date → 400 naming the header."""
    known = KNOWN[family]
    if sent is None or not sent.strip():
        return known[-1]
    try:
        asked = date.fromisoformat(sent.strip())
    except ValueError:
        raise ApiError(400, f"{HEADER}: {sent[:40]!r} is not a date (YYYY-MM-DD), e.g. {known[-1]}") from None
    earlier = [v for v in known if date.fromisoformat(v) <= asked]
    return earlier[-1] if earlier else known[0]


def served(family: Family) -> Callable[[Request, Response], str]:
    """A dependency resolving the request's version for ``family``, echoing it and keeping it on the request."""

    def dependency(request: Request, response: Response) -> str:
        version = resolve(family, request.headers.get(HEADER))
        request.state.cal_api_version = version
        response.headers[HEADER] = version
        return version

    return dependency


def version_of(request: Request, family: Family) -> str:
    """The version served to ``request`` (the newest when the family's dependency did not run)."""
    return getattr(request.state, "cal_api_version", KNOWN[family][-1])

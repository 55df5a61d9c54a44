"""Cal.com's recurring event types (Recurrence_2024_06_14): when each occurrence of a series starts."""

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil import rrule
from pydantic import Field

from domain.base import CamelModel

# Cal.com's limit on a series' length.
MAX_OCCURRENCES = 32
_FREQUENCIES = {"weekly": rrule.WEEKLY, "monthly": rrule.MONTHLY, "yearly": rrule.YEARLY}


class Recurrence(CamelModel):
    """Repeat every ``interval`` weeks, months or years, ``occurrences`` times in all."""

    frequency: Literal["weekly", "monthly", "yearly"]
    interval: int = Field(ge=1, le=99)
    occurrences: int = Field(ge=1, le=MAX_OCCURRENCES)


def occurrence_starts(first: datetime, recurrence: Recurrence, count: int, time_zone: str) -> list[datetime]:
    """The starts of ``count`` occurrences from ``first``, in UTC.

    As Cal.com's booker does (rrule with the first start as DTSTART), the rule runs in the booker's time zone:
    a weekly 09:00 stays 09:00 there across a DST change, and a month without the day (the 31st) is skipped.
    """
    zone = ZoneInfo(time_zone)
    local = first.astimezone(zone).replace(tzinfo=None)
    rule = rrule.rrule(_FREQUENCIES[recurrence.frequency], dtstart=local, interval=recurrence.interval, count=count)
    return [moment.replace(tzinfo=zone).astimezone(first.tzinfo) for moment in rule]

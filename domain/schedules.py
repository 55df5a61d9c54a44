"""Schedules (Cal.com API 2024-06-11 shape), out-of-office entries and user booking limits.

A schedule is wall-clock time in its own IANA zone: weekly ranges by day name and date overrides that
replace a date's weekly ranges (start equal to end blocks the day).
"""

import re
from datetime import date as Date
from itertools import pairwise
from typing import Any, Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from domain.base import CamelModel
from domain.text_bounds import NAME
from domain.zones import check_time_zone

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DayName = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
OutOfOfficeReason = Literal["unspecified", "vacation", "travel", "sick", "public_holiday"]


def minutes_of(hhmm: str) -> int:
    """Minutes since midnight of a validated ``HH:MM`` (``24:00`` and Cal.com's ``23:59`` end = 1440)."""
    if hhmm in ("24:00", "23:59"):
        return 24 * 60
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _check_time(value: str, *, end: bool) -> str:
    if _HHMM.match(value) or (end and value == "24:00"):
        return value
    allowed = "HH:MM between 00:00 and 24:00" if end else "HH:MM between 00:00 and 23:59"
    raise ValueError(f"{value!r} is not a time; use {allowed}")


class TimeRange(CamelModel):
    """``startTime``-``endTime`` in HH:MM; 24:00 is allowed as the end."""

    start_time: str
    end_time: str

    @field_validator("start_time")
    @classmethod
    def _start(cls, value: str) -> str:
        return _check_time(value, end=False)

    @field_validator("end_time")
    @classmethod
    def _end(cls, value: str) -> str:
        return _check_time(value, end=True)

    @property
    def minutes(self) -> tuple[int, int]:
        return minutes_of(self.start_time), minutes_of(self.end_time)


class WeeklyRange(TimeRange):
    days: list[DayName] = Field(min_length=1)

    @field_validator("days", mode="before")
    @classmethod
    def _day_names(cls, value: Any) -> Any:
        # Day names are matched without regard to case ("monday" is Monday); anything else is refused.
        if isinstance(value, list):
            return [v.capitalize() if isinstance(v, str) and v.capitalize() in DAY_NAMES else v for v in value]
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "WeeklyRange":
        start, end = self.minutes
        if end <= start:
            raise ValueError(f"endTime: {self.end_time} is not after startTime {self.start_time}")
        return self


class DateOverride(TimeRange):
    """The hours of one date, replacing its weekly ranges; start equal to end makes the date unavailable."""

    date: Date

    @model_validator(mode="after")
    def _ordered(self) -> "DateOverride":
        start, end = self.minutes
        if end < start:
            raise ValueError(f"endTime: {self.end_time} is before startTime {self.start_time}")
        return self

    @property
    def blocks_day(self) -> bool:
        start, end = self.minutes
        return start == end


def _first_overlap(ranges: list[tuple[int, int]]) -> tuple[int, int] | None:
    ordered = sorted(ranges)
    for (s1, e1), (s2, _e2) in pairwise(ordered):
        if s2 < e1:
            return s1, s2
    return None


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


WORKING_HOURS = [WeeklyRange(days=list(DAY_NAMES[:5]), start_time="09:00", end_time="17:00")]


class ScheduleFields(CamelModel):
    """What a client sends to create or change a schedule."""

    name: str = Field(min_length=1, max_length=NAME)
    time_zone: str = Field(max_length=NAME)
    is_default: bool = False
    availability: list[WeeklyRange] = Field(default_factory=lambda: list(WORKING_HOURS), max_length=100)
    overrides: list[DateOverride] = Field(default=[], max_length=1000)

    _tz = field_validator("time_zone")(check_time_zone)

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        # The v1→v2 migration guide calls the weekly ranges "schedule"; config files may say "userId".
        if isinstance(data, dict):
            data = dict(data)
            if "schedule" in data and "availability" not in data:
                data["availability"] = data.pop("schedule")
            if "userId" in data and "ownerId" not in data and "owner_id" not in data:
                data["ownerId"] = data.pop("userId")
        return data

    @model_validator(mode="after")
    def _no_overlaps(self) -> "ScheduleFields":
        for day in DAY_NAMES:
            ranges = [r.minutes for r in self.availability if day in r.days]
            if clash := _first_overlap(ranges):
                raise ValueError(f"availability: ranges on {day} overlap at {_hhmm(clash[1])}")
        dates = {o.date for o in self.overrides}
        for day in dates:
            ranges = [o.minutes for o in self.overrides if o.date == day and not o.blocks_day]
            if clash := _first_overlap(ranges):
                raise ValueError(f"overrides: ranges on {day.isoformat()} overlap at {_hhmm(clash[1])}")
        return self


class Schedule(ScheduleFields):
    """A stored schedule: Cal.com's ScheduleOutput_2024_06_11."""

    id: int = Field(ge=1)
    owner_id: int = Field(ge=1)


def always_available(schedule_id: int, owner_id: int, time_zone: str = "UTC") -> Schedule:
    """A 24/7 schedule: every day 00:00-24:00."""
    every_day = WeeklyRange(days=list(DAY_NAMES), start_time="00:00", end_time="24:00")
    return Schedule(
        id=schedule_id, owner_id=owner_id, name="24/7", time_zone=time_zone, is_default=True, availability=[every_day]
    )


def working_hours(owner_id: int, time_zone: str) -> Schedule:
    """Cal.com's default schedule (D1): Monday-Friday 09:00-17:00 in the user's zone; id 0 = not stored."""
    return Schedule.model_construct(
        id=0,
        owner_id=owner_id,
        name="Working hours",
        time_zone=time_zone,
        is_default=True,
        availability=list(WORKING_HOURS),
        overrides=[],
    )


class OutOfOfficeFields(CamelModel):
    """Cal.com's out-of-office entry as API v2 takes it."""

    start: AwareDatetime
    end: AwareDatetime
    reason: OutOfOfficeReason = "unspecified"
    notes: str | None = Field(default=None, max_length=2000)
    to_user_id: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> "OutOfOfficeFields":
        if self.end <= self.start:
            raise ValueError(f"end: {self.end.isoformat()} is not after start {self.start.isoformat()}")
        return self


class OutOfOffice(OutOfOfficeFields):
    id: int = Field(ge=1)
    user_id: int = Field(ge=1)


class UserBookingLimits(CamelModel):
    """``/v2/me/booking-limits``: accepted bookings over all event types per period (user's zone)."""

    per_day: int | None = Field(default=None, ge=1)
    per_week: int | None = Field(default=None, ge=1)
    per_month: int | None = Field(default=None, ge=1)
    per_year: int | None = Field(default=None, ge=1)

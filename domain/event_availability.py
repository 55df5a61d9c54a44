"""The availability fields of an event type, with Cal.com's names, defaults and checks (spec §1.3)."""

from datetime import date, datetime
from itertools import pairwise
from typing import Any, Literal

from pydantic import Field, model_validator

from domain.base import CamelModel

PeriodType = Literal["UNLIMITED", "ROLLING", "ROLLING_WINDOW", "RANGE"]
PERIODS = ("day", "week", "month", "year")


class BookingLimitsCount(CamelModel):
    """Bookings of the event type per host and period; day ≤ week ≤ month ≤ year."""

    day: int | None = Field(default=None, ge=1)
    week: int | None = Field(default=None, ge=1)
    month: int | None = Field(default=None, ge=1)
    year: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> "BookingLimitsCount":
        _check_ordered(self, "bookingLimitsCount", "number of bookings")
        return self


class BookingLimitsDuration(CamelModel):
    """Booked minutes of the event type per host and period: multiples of 15, at least 15."""

    day: int | None = Field(default=None, ge=15, multiple_of=15)
    week: int | None = Field(default=None, ge=15, multiple_of=15)
    month: int | None = Field(default=None, ge=15, multiple_of=15)
    year: int | None = Field(default=None, ge=15, multiple_of=15)

    @model_validator(mode="after")
    def _ordered(self) -> "BookingLimitsDuration":
        _check_ordered(self, "bookingLimitsDuration", "duration of bookings")
        return self


def _check_ordered(limits: CamelModel, field: str, what: str) -> None:
    set_ = [(p, getattr(limits, p)) for p in PERIODS if getattr(limits, p) is not None]
    for (shorter, a), (longer, b) in pairwise(set_):
        if a > b:
            raise ValueError(f"Invalid {field}: The {what} for {shorter} cannot exceed the {what} for {longer}.")


class EventTypeAvailability(CamelModel):
    """Mixed into EventType: where and when its slots lie."""

    schedule_id: int | None = Field(default=None, ge=1)
    minimum_booking_notice: int = Field(default=120, ge=0, le=525_600)
    before_event_buffer: int = Field(default=0, ge=0, le=24 * 60)
    after_event_buffer: int = Field(default=0, ge=0, le=24 * 60)
    slot_interval: int | None = Field(default=None, ge=1, le=24 * 60)
    period_type: PeriodType = "UNLIMITED"
    period_days: int | None = Field(default=None, ge=1, le=3660)
    period_count_calendar_days: bool = True
    period_start_date: date | None = None
    period_end_date: date | None = None
    booking_limits_count: BookingLimitsCount | None = None
    booking_limits_duration: BookingLimitsDuration | None = None
    only_show_first_available_slot: bool = False
    length_in_minutes_options: list[int] | None = None
    # Cal.com: a booking awaiting confirmation holds its slot only if set (domain.busy.holds_time); unpaid always.
    requires_confirmation_will_block_slot: bool = False

    @model_validator(mode="before")
    @classmethod
    def _booking_window(cls, data: Any) -> Any:
        """Accept API 2024-06-14's ``bookingWindow`` and store it as Cal.com's period fields."""
        if not isinstance(data, dict) or "bookingWindow" not in data:
            return data
        data = dict(data)
        window = data.pop("bookingWindow") or {}
        if not isinstance(window, dict):
            raise ValueError("bookingWindow: must be an object")
        kind = window.get("type")
        if window.get("disabled") or kind is None:
            data["periodType"] = "UNLIMITED"
        elif kind in ("businessDays", "calendarDays"):
            # ``rolling: true``: the N days are bookable days (Cal.com's ROLLING_WINDOW).
            rolling = "ROLLING_WINDOW" if window.get("rolling") is True else "ROLLING"
            data |= {"periodType": rolling, "periodDays": window.get("value")}
            data["periodCountCalendarDays"] = kind == "calendarDays"
        elif kind == "range":
            value = window.get("value")
            if not isinstance(value, list) or len(value) != 2:
                raise ValueError("bookingWindow.value: a range is two dates, e.g. ['2030-09-05', '2030-09-09']")
            data |= {"periodType": "RANGE", "periodStartDate": value[0], "periodEndDate": value[1]}
        else:
            raise ValueError(f"bookingWindow.type: {kind!r} is not businessDays, calendarDays or range")
        return data

    @model_validator(mode="after")
    def _window_complete(self) -> "EventTypeAvailability":
        if self.period_type in ("ROLLING", "ROLLING_WINDOW") and self.period_days is None:
            raise ValueError(f"periodDays: required when periodType is {self.period_type}")
        if self.period_type == "RANGE":
            if self.period_start_date is None or self.period_end_date is None:
                raise ValueError("periodStartDate: RANGE needs periodStartDate and periodEndDate")
            if self.period_end_date < self.period_start_date:
                raise ValueError("periodEndDate: is before periodStartDate")
        return self

    def data_window(self, start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime]:
        """The span whose busy time availability reads for ``[start, end]``: from now on for ROLLING_WINDOW,
        whose end depends on which days from today have slots."""
        return (min(start, now), end) if self.period_type == "ROLLING_WINDOW" else (start, end)

    def lengths(self, default: int) -> list[int]:
        """The lengths a booker may pick (``lengthInMinutesOptions``, else the one length)."""
        return self.length_in_minutes_options or [default]

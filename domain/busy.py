"""Busy time of hosts, tagged with its source: what the store loads and the availability engine reads."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from domain.booking import Booking, BookingStatus
from domain.config import EventType, User
from domain.schedules import Schedule

# Every kind of time a host cannot be booked. Calendar busy times are one more source.
BusySource = Literal["booking", "hold", "reservation", "out_of_office", "calendar"]


@dataclass(frozen=True, slots=True)
class Busy:
    """Time a host is taken, as epoch seconds ``[start, end)``. Holds arrive already widened by their buffers.

    Seconds, not datetimes: the engine reads every busy interval of every host on every request.
    """

    span: tuple[int, int]
    source: BusySource
    ref: str | None = None

    @classmethod
    def between(cls, start: datetime, end: datetime, source: BusySource, ref: str | None = None) -> "Busy":
        return cls((int(start.timestamp()), int(end.timestamp())), source, ref)

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.span[0], UTC)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self.span[1], UTC)


@dataclass(frozen=True, slots=True)
class Booked:
    """A booking of the host that counts toward booking limits."""

    start: datetime
    end: datetime
    event_type_id: int
    accepted: bool = True


@dataclass(frozen=True)
class HostAvailability:
    """One host: who they are, the schedule that applies to this event type, and their busy time."""

    user: User
    schedule: Schedule
    busy: Sequence[Busy] = ()
    booked: Sequence[Booked] = ()


PERIODS = ("day", "week", "month", "year")
USER_PERIODS = {"day": "per_day", "week": "per_week", "month": "per_month", "year": "per_year"}


def counting_period(event_type: EventType, user: User) -> str | None:
    """The longest booking-limit period that applies to ``user`` hosting ``event_type`` (None: no limits)."""
    found: set[str] = set()
    for limits in (event_type.booking_limits_count, event_type.booking_limits_duration):
        if limits is not None:
            found |= {p for p in PERIODS if getattr(limits, p) is not None}
    if user.booking_limits is not None:
        found |= {p for p, name in USER_PERIODS.items() if getattr(user.booking_limits, name) is not None}
    return next((p for p in reversed(PERIODS) if p in found), None)


def holds_time(booking: Booking) -> bool:
    """Whether a booking keeps its hosts' time: accepted, awaiting payment, or awaiting confirmation when
    its event type sets ``requiresConfirmationWillBlockSlot``. Otherwise (Cal.com) an unconfirmed
    booking leaves the time offered to others, and confirming it re-checks that the time is still free.
    """
    if booking.status is BookingStatus.ACCEPTED:
        return True
    if booking.status is not BookingStatus.PENDING:
        return False
    event_type = booking.event_type
    if booking.awaiting_payment or not event_type.requires_confirmation:
        return True
    return event_type.requires_confirmation_will_block_slot

"""Building blocks for availability tests: users, schedules, event types and engine queries."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from availability.inputs import Booked, Busy, HostAvailability, Query
from domain.config import EventType, Host, User
from domain.schedules import DAY_NAMES, Schedule, WeeklyRange

FAR_PAST = datetime(2000, 1, 1, tzinfo=UTC)


def user(user_id: int = 1, zone: str = "UTC", **fields: Any) -> User:
    return User(
        id=user_id,
        name=f"User {user_id}",
        email=f"u{user_id}@example.com",
        username=f"u{user_id}",
        time_zone=zone,
        **fields,
    )


def schedule(
    zone: str,
    start: str = "09:00",
    end: str = "17:00",
    days: Sequence[str] = DAY_NAMES[:5],
    owner: int = 1,
    schedule_id: int = 1,
    **fields: Any,
) -> Schedule:
    rule = WeeklyRange(days=list(days), start_time=start, end_time=end)
    return Schedule(id=schedule_id, owner_id=owner, name="s", time_zone=zone, availability=[rule], **fields)


def event_type(length: int = 60, hosts: Sequence[int] = (1,), **fields: Any) -> EventType:
    base = {
        "id": 1,
        "slug": "meet",
        "title": "Meet",
        "length_in_minutes": length,
        "hosts": [Host(user_id=h) for h in hosts],
        "minimum_booking_notice": 0,
    }
    return EventType(**(base | fields))


def host(
    sched: Schedule,
    busy: Sequence[Busy] = (),
    booked: Sequence[Booked] = (),
    zone: str | None = None,
    **user_fields: Any,
) -> HostAvailability:
    return HostAvailability(user(sched.owner_id, zone or sched.time_zone, **user_fields), sched, busy, booked)


def query(
    et: EventType,
    hosts: Sequence[HostAvailability],
    start: datetime,
    days: float = 1,
    now: datetime = FAR_PAST,
    **fields: Any,
) -> Query:
    return Query(et, hosts, start, start + timedelta(days=days), now, **fields)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)

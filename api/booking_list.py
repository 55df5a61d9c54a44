"""`GET /v2/bookings`'s query and answer: Cal.com's filters, sorts and pagination metadata."""

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query

from api.errors import ApiError
from api.slots import _instant  # Cal.com's reading of a date or date-time parameter, shared with /v2/slots
from store.bookings import BookingFilter, Party, SortDirection

STATUSES = frozenset({"upcoming", "recurring", "past", "cancelled", "unconfirmed"})
Sort = Annotated[SortDirection | None, Query()]
Text = Annotated[str | None, Query(max_length=320)]


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip()) if value else ()


def _ids(value: str | None, field: str) -> tuple[int, ...]:
    parts = _csv(value)
    if bad := [p for p in parts if not p.isdigit() or not 0 < int(p) <= 2**31 - 1]:
        raise ApiError(400, f"{field}: {bad[0]!r} is not a positive whole number")
    return tuple(int(p) for p in parts)


def _moment(value: str | None, field: str, *, end: bool) -> datetime | None:
    return None if value is None else _instant(value, field, end=end)


def booking_query(
    status: Annotated[list[str] | None, Query()] = None,
    attendee_email: Annotated[Text, Query(alias="attendeeEmail")] = None,
    attendee_name: Annotated[Text, Query(alias="attendeeName")] = None,
    booking_uid: Annotated[Text, Query(alias="bookingUid")] = None,
    event_type_id: Annotated[int | None, Query(alias="eventTypeId", ge=1, le=2**31 - 1)] = None,
    event_type_ids: Annotated[Text, Query(alias="eventTypeIds")] = None,
    after_start: Annotated[Text, Query(alias="afterStart")] = None,
    before_end: Annotated[Text, Query(alias="beforeEnd")] = None,
    after_created: Annotated[Text, Query(alias="afterCreatedAt")] = None,
    before_created: Annotated[Text, Query(alias="beforeCreatedAt")] = None,
    after_updated: Annotated[Text, Query(alias="afterUpdatedAt")] = None,
    before_updated: Annotated[Text, Query(alias="beforeUpdatedAt")] = None,
    sort_start: Annotated[Sort, Query(alias="sortStart")] = None,
    sort_end: Annotated[Sort, Query(alias="sortEnd")] = None,
    sort_created: Annotated[Sort, Query(alias="sortCreated")] = None,
    sort_updated: Annotated[Sort, Query(alias="sortUpdatedAt")] = None,
    take: Annotated[int, Query(ge=1, le=250)] = 100,
    skip: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> BookingFilter:
    """Cal.com's list parameters as a store filter (no caller scoping yet); a bad value → 400 naming it."""
    statuses = tuple(s for value in status or () for s in _csv(value))  # ?status=a,b and ?status=a&status=b
    if unknown := [s for s in statuses if s not in STATUSES]:
        raise ApiError(400, f"status: {unknown[0]!r} is not one of {', '.join(sorted(STATUSES))}")
    sorts = (("start", sort_start), ("end", sort_end), ("created", sort_created), ("updated", sort_updated))
    return BookingFilter(
        statuses=statuses,
        attendee_email=attendee_email,
        event_type_id=event_type_id,
        take=take,
        skip=skip,
        attendee_name=attendee_name,
        event_type_ids=_ids(event_type_ids, "eventTypeIds"),
        booking_uid=booking_uid,
        after_start=_moment(after_start, "afterStart", end=False),
        before_end=_moment(before_end, "beforeEnd", end=True),
        after_created=_moment(after_created, "afterCreatedAt", end=False),
        before_created=_moment(before_created, "beforeCreatedAt", end=True),
        after_updated=_moment(after_updated, "afterUpdatedAt", end=False),
        before_updated=_moment(before_updated, "beforeUpdatedAt", end=True),
        sort=tuple((field, direction) for field, direction in sorts if direction is not None),
    )


def scoped(filters: BookingFilter, party: Party | None) -> BookingFilter:
    """``filters`` limited to what the caller's party may see (None: every booking)."""
    return replace(filters, party=party)


def pagination(total: int, returned: int, take: int, skip: int) -> dict[str, Any]:
    """Cal.com's PaginationMetaDto for one page of ``total`` items."""
    return {
        "totalItems": total,
        "remainingItems": max(0, total - (skip + take)),
        "returnedItems": returned,
        "itemsPerPage": take,
        "currentPage": skip // take + 1,
        "totalPages": -(-total // take),
        "hasNextPage": skip + take < total,
        "hasPreviousPage": skip > 0,
    }

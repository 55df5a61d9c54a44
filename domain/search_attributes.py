"""The search attributes a BookingWorkflow carries, so operators find bookings in Temporal's visibility.

They must be registered on the cluster before use: the dev stack registers them at start; production
clusters need `temporal operator search-attribute create` once (see docs/operations.md).
"""

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from domain.booking import Booking

BOOKING_UID = SearchAttributeKey.for_keyword("BookingUid")
BOOKING_STATUS = SearchAttributeKey.for_keyword("BookingStatus")
EVENT_TYPE_ID = SearchAttributeKey.for_int("EventTypeId")
ATTENDEE_EMAIL = SearchAttributeKey.for_keyword("AttendeeEmail")

# Name → Temporal's type name, as `temporal operator search-attribute create --type` spells it.
REGISTERED: dict[str, str] = {
    BOOKING_UID.name: "Keyword",
    BOOKING_STATUS.name: "Keyword",
    EVENT_TYPE_ID.name: "Int",
    ATTENDEE_EMAIL.name: "Keyword",
}


def for_booking(booking: Booking) -> TypedSearchAttributes:
    """The attributes a booking's workflow starts with."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(BOOKING_UID, booking.uid),
            SearchAttributePair(BOOKING_STATUS, booking.status.value),
            SearchAttributePair(EVENT_TYPE_ID, booking.event_type.id),
            SearchAttributePair(ATTENDEE_EMAIL, str(booking.attendees[0].email).lower()),
        ]
    )

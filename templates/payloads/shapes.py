"""The per-trigger field tables: which keys each booking trigger's payload has, in Cal.com's order.

Each trigger has its own shape in Cal.com: the booking family (CREATED, RESCHEDULED, REQUESTED) carries
the full calendar event, CANCELLED and REJECTED an older variant, the payment triggers yet another, and
the recording, instant-meeting and no-show triggers their own. A ``Shape`` names the keys and the style
of the nested people, responses and times; the values come from ``catalogue``.
"""

from dataclasses import dataclass
from typing import Any

from domain.triggers import Trigger
from templates.payloads.people import AttendeeStyle, OrganizerStyle
from templates.payloads.responses import ResponsesStyle
from templates.payloads.times import TimeStyle


@dataclass(frozen=True)
class Shape:
    """One trigger's payload: its keys in Cal.com's order and the styles of its nested values."""

    keys: tuple[str, ...]
    times: TimeStyle = "z"
    organizer: OrganizerStyle = "full"
    attendees: AttendeeStyle = "booker"
    responses: ResponsesStyle = "labelled"
    destination_calendar: Any = None


_BOOKING_HEAD = (
    "bookerUrl",
    "title",
    "startTime",
    "endTime",
    "additionalNotes",
    "type",
    "description",
    "eventTypeId",
    "hideCalendarNotes",
    "hideCalendarEventDetails",
    "hideOrganizerEmail",
    "schedulingType",
    "seatsPerTimeSlot",
    "seatsShowAttendees",
    "seatsShowAvailabilityCount",
    "customReplyToEmail",
    "disableRescheduling",
    "disableCancelling",
    "organizer",
    "attendees",
    "customInputs",
    "responses",
    "userFieldsResponses",
    "location",
    "destinationCalendar",
)
_VIDEO = ("conferenceData", "videoCallData", "appsStatus")
_EVENT_TYPE_TAIL = ("eventTitle", "eventDescription", "price", "currency", "length", "bookingId")
_PAYMENT_HEAD = (
    "type",
    "title",
    "description",
    "additionalNotes",
    "customInputs",
    "startTime",
    "endTime",
    "organizer",
    "attendees",
    "location",
    "destinationCalendar",
    "hideCalendarNotes",
    "requiresConfirmation",
    "eventTypeId",
    "seatsShowAttendees",
    "seatsShowAvailabilityCount",
    "schedulingType",
    "iCalUID",
    "iCalSequence",
    "uid",
    "bookingId",
    "eventTitle",
    "eventDescription",
    "price",
    "currency",
    "length",
    "paymentId",
)
# The calendar, confirmation and identity fields every booking payload carries, in Cal.com's order.
_CONFIRMATION = (
    "iCalUID",
    "iCalSequence",
    "requiresConfirmation",
    "oneTimePassword",
    "organizationId",
    "hashedLink",
    "uid",
)
_RECORDING = ("type", "title", "startTime", "endTime", "organizer", "attendees", "uid", "customReplyToEmail")


def _legacy(keys: tuple[str, ...], times: TimeStyle) -> Shape:
    """CANCELLED and REJECTED come from Cal.com's older event builder: stored responses, phone numbers."""
    return Shape(keys, times=times, attendees="legacy", responses="plain", destination_calendar=[])


def _no_show(who: tuple[str, ...]) -> Shape:
    """The Cal Video no-show triggers: the meeting, who joined, then who did not (``who``)."""
    keys = ("title", "bookingId", "bookingUid", "startTime", "attendees", "endTime", "participants")
    return Shape((*keys, *who, "eventType", "message"), times="ms", attendees="row")


SHAPES: dict[Trigger, Shape] = {
    Trigger.BOOKING_CREATED: Shape(
        (
            *_BOOKING_HEAD,
            *_CONFIRMATION,
            *_VIDEO,
            *_EVENT_TYPE_TAIL,
            "metadata",
            "status",
        ),
    ),
    Trigger.BOOKING_RESCHEDULED: Shape(
        (
            *_BOOKING_HEAD,
            *_CONFIRMATION,
            *_VIDEO,
            *_EVENT_TYPE_TAIL,
            "rescheduleId",
            "rescheduleUid",
            "rescheduleStartTime",
            "rescheduleEndTime",
            "metadata",
            "status",
        ),
    ),
    Trigger.BOOKING_REQUESTED: Shape(
        (
            *_BOOKING_HEAD,
            *_CONFIRMATION,
            *_EVENT_TYPE_TAIL,
            "metadata",
            "status",
        ),
    ),
    Trigger.BOOKING_CANCELLED: _legacy(
        (
            "bookerUrl",
            "title",
            "length",
            "type",
            "additionalNotes",
            "description",
            "customInputs",
            "eventTypeId",
            "userFieldsResponses",
            "responses",
            "startTime",
            "endTime",
            "organizer",
            "attendees",
            "uid",
            "bookingId",
            "location",
            "destinationCalendar",
            "cancellationReason",
            "seatsPerTimeSlot",
            "seatsShowAttendees",
            "iCalUID",
            "iCalSequence",
            "hideOrganizerEmail",
            "customReplyToEmail",
            "organizationId",
            "eventTitle",
            "eventDescription",
            "requiresConfirmation",
            "price",
            "currency",
            "status",
            "requestReschedule",
        ),
        times="offset",
    ),
    Trigger.BOOKING_REJECTED: _legacy(
        (
            "type",
            "title",
            "description",
            "bookerUrl",
            "userFieldsResponses",
            "responses",
            "customInputs",
            "startTime",
            "endTime",
            "organizer",
            "attendees",
            "location",
            "uid",
            "destinationCalendar",
            "requiresConfirmation",
            "hideOrganizerEmail",
            "hideCalendarNotes",
            "hideCalendarEventDetails",
            "eventTypeId",
            "customReplyToEmail",
            "organizationId",
            "additionalNotes",
            "rejectionReason",
            *_EVENT_TYPE_TAIL,
            "status",
        ),
        times="ms",
    ),
    Trigger.BOOKING_PAID: Shape(
        (*_PAYMENT_HEAD, "metadata", "status"), times="ms", organizer="payment", attendees="payment"
    ),
    Trigger.BOOKING_PAYMENT_INITIATED: Shape(
        (*_PAYMENT_HEAD, "status", "metadata"), times="ms", organizer="payment", attendees="payment"
    ),
    Trigger.RECORDING_READY: Shape(
        (*_RECORDING, "downloadLink"), times="ms", organizer="recording", attendees="recording"
    ),
    Trigger.RECORDING_TRANSCRIPTION_GENERATED: Shape(
        (*_RECORDING, "downloadLinks"), times="ms", organizer="recording", attendees="recording"
    ),
    Trigger.INSTANT_MEETING: Shape(
        ("triggerEvent", "uid", "responses", "connectAndJoinUrl", "eventTypeId", "eventTypeTitle", "customInputs"),
        responses="values",
    ),
    Trigger.INSTANT_MEETING_ACCEPTED: Shape(
        (
            "bookingId",
            "bookingUid",
            "eventTypeId",
            "status",
            "title",
            "startTime",
            "endTime",
            "organizer",
            "attendees",
            "responses",
            "location",
            "metadata",
        ),
        times="ms",
        organizer="instant",
        attendees="instant",
        responses="instant",
    ),
    Trigger.AFTER_HOSTS_CAL_VIDEO_NO_SHOW: _no_show(("hostEmail", "noShowHost")),
    Trigger.AFTER_GUESTS_CAL_VIDEO_NO_SHOW: _no_show(("guests",)),
}

"""Where each field of a booking payload comes from: one catalogue, so a field is computed in one place.

``catalogue`` holds the fields many triggers share, computed on demand in a shape's styles;
``trigger_fields`` those that only some triggers carry, mostly from the workflow's ``extra``.
"""

from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any
from urllib.parse import urlencode

from domain.booking import Booking
from domain.triggers import Trigger
from templates.payloads.ids import derived_number, derived_uuid
from templates.payloads.people import attendee, organizer, people
from templates.payloads.responses import responses, user_fields_responses
from templates.payloads.shapes import Shape
from templates.payloads.times import stamp, stamp_ms
from templates.payloads.video import video_fields, video_metadata

# Where bookers reach this deployment; Cal.com's `bookerUrl`. Callers may pass `bookerUrl` in ``extra``.
DEFAULT_BOOKER_URL = "http://localhost:8000"
_SCHEDULING_TYPES = {"collective": "COLLECTIVE", "roundRobin": "ROUND_ROBIN", "managed": "MANAGED"}


def booker_url(extra: dict[str, Any]) -> str:
    """The ``bookerUrl`` the caller passed, else the default."""
    return extra.get("bookerUrl") or DEFAULT_BOOKER_URL


def connect_and_join_url(booking: Booking, extra: dict[str, Any]) -> str:
    """Where a host accepts an instant meeting: the deployment's page (api/pages/connect_and_join.py, in the
    console, where hosts sign in) with the meeting's one-time token (``connectAndJoinToken``, from the
    workflow); else a caller's own URL, or the booking's uid for a sample."""
    site = booker_url(extra).rstrip("/")
    if token := extra.get("connectAndJoinToken"):
        return f"{site}/console/connect-and-join?{urlencode({'token': token})}"
    return extra.get("connectAndJoinUrl") or f"{site}/connect-and-join?uid={booking.uid}"


def catalogue(booking: Booking, shape: Shape, extra: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    """Every field a booking payload may carry, computed on demand in the shape's styles."""
    event_type = booking.event_type
    seats = event_type.seats
    site = booker_url(extra)
    notes = booking.booking_fields_responses.get("notes") or ""
    video = video_fields(booking, site)
    everyone = people(booking, extra.get("seatAttendee"))  # a seat's trigger: only that seat's attendee
    return {
        "bookerUrl": lambda: site,
        "title": lambda: booking.title,
        "startTime": lambda: stamp(booking.start, shape.times),
        "endTime": lambda: stamp(booking.end, shape.times),
        "additionalNotes": lambda: notes,
        "type": lambda: event_type.slug,
        "description": lambda: booking.description or notes,
        "eventTypeId": lambda: event_type.id,
        "hideCalendarNotes": lambda: False,
        "hideCalendarEventDetails": lambda: False,
        "hideOrganizerEmail": lambda: False,
        "schedulingType": lambda: _SCHEDULING_TYPES.get(event_type.scheduling_type or ""),
        "seatsPerTimeSlot": lambda: seats.seats_per_time_slot if seats else None,
        "seatsShowAttendees": lambda: seats.show_attendee_info if seats else True,
        "seatsShowAvailabilityCount": lambda: seats.show_availability_count if seats else True,
        "customReplyToEmail": lambda: None,
        "disableRescheduling": lambda: event_type.disable_rescheduling,
        "disableCancelling": lambda: event_type.disable_cancelling,
        "organizer": lambda: organizer(booking, shape.organizer),
        "attendees": lambda: [attendee(p, booking, shape.attendees) for p in everyone],
        "customInputs": lambda: {},
        "responses": lambda: responses(booking, shape.responses),
        "userFieldsResponses": lambda: user_fields_responses(booking),
        "location": lambda: booking.location,
        "destinationCalendar": lambda: shape.destination_calendar,
        "iCalUID": lambda: booking.ical_uid,
        "iCalSequence": lambda: booking.ical_sequence,
        "requiresConfirmation": lambda: event_type.requires_confirmation,
        "oneTimePassword": lambda: None,
        "organizationId": lambda: None,
        "hashedLink": lambda: None,
        "uid": lambda: booking.uid,
        "conferenceData": lambda: video.get("conferenceData"),
        "videoCallData": lambda: video.get("videoCallData"),
        "appsStatus": lambda: video.get("appsStatus", []),
        "eventTitle": lambda: event_type.title,
        "eventDescription": lambda: event_type.description,
        "price": lambda: event_type.price,
        "currency": lambda: event_type.currency.lower(),
        "length": lambda: event_type.length_in_minutes,
        "bookingId": lambda: booking.id,
        "metadata": lambda: video_metadata(booking, site),
        "status": lambda: booking.status.value,
        "cancellationReason": lambda: booking.cancellation_reason,
        "rejectionReason": lambda: booking.rejection_reason,
    }


def trigger_fields(trigger: Trigger, booking: Booking, extra: dict[str, Any]) -> dict[str, Any]:
    """Fields that only some triggers carry, mostly from the workflow's ``extra``."""
    fields: dict[str, Any] = {
        "triggerEvent": trigger.value,
        "bookingUid": booking.uid,
        "eventTypeTitle": booking.event_type.title,
        "connectAndJoinUrl": connect_and_join_url(booking, extra),
        "downloadLink": extra.get("downloadLink"),
        "downloadLinks": extra.get("downloadLinks"),
        "participants": [{"email": str(j.email), "joinedAt": stamp_ms(j.joined_at)} for j in booking.joins],
        "eventType": {"id": booking.event_type.id, "teamId": None, "parentId": None, "calVideoSettings": None},
        "requestReschedule": bool(extra.get("requestReschedule", False)),
    }
    for key in ("rescheduleId", "rescheduleUid", "rescheduleStartTime", "rescheduleEndTime"):
        fields[key] = extra.get(key)
    match trigger:
        case Trigger.BOOKING_REQUESTED:
            fields["oneTimePassword"] = derived_uuid(booking, "one-time-password")
            fields["metadata"] = dict(booking.metadata)
        case Trigger.BOOKING_PAYMENT_INITIATED | Trigger.BOOKING_PAID:
            fields |= _payment_fields(trigger, booking, extra)
        case Trigger.AFTER_HOSTS_CAL_VIDEO_NO_SHOW | Trigger.AFTER_GUESTS_CAL_VIDEO_NO_SHOW:
            fields |= _no_show_fields(trigger, booking, extra)
    return fields


def _payment_fields(trigger: Trigger, booking: Booking, extra: dict[str, Any]) -> dict[str, Any]:
    # Cal.com's paymentId is its Payment row's id; ours is derived from the payment's own reference.
    reference = extra.get("paymentId") or booking.payment_uid or booking.uid
    fields: dict[str, Any] = {
        "paymentId": derived_number(str(reference)),
        "currency": booking.event_type.currency.upper(),
    }
    if trigger is Trigger.BOOKING_PAID:
        fields["metadata"] = {
            "identifier": "bookflow",
            "bookingId": booking.id,
            "eventTypeId": booking.event_type.id,
            "bookerEmail": str(booking.attendees[0].email),
            "eventTitle": booking.event_type.title,
            "externalId": extra.get("externalId") or str(reference),
        }
    else:
        fields["metadata"] = {}
    return fields


def _no_show_fields(trigger: Trigger, booking: Booking, extra: dict[str, Any]) -> dict[str, Any]:
    event_type = booking.event_type
    if trigger is Trigger.AFTER_HOSTS_CAL_VIDEO_NO_SHOW:
        host = extra.get("hostEmail") or str(booking.organizer.email)
        deadline = _no_show_deadline(booking, event_type.host_no_show_after_minutes)
        return {
            "hostEmail": host,
            "noShowHost": bool(extra.get("noShowHost", True)),
            "message": f"Host with email {host} didn't join the call or didn't join before {deadline}",
        }
    deadline = _no_show_deadline(booking, event_type.guest_no_show_after_minutes)
    missing = {str(g["email"]).lower() for g in extra.get("guests", [])}
    guests = [attendee(p, booking, "row") | {"noShow": True} for p in people(booking) if p.email.lower() in missing]
    return {"guests": guests, "message": f"Guest didn't join the call or didn't join before {deadline}"}


def _no_show_deadline(booking: Booking, minutes: float | None) -> str:
    """Cal.com's no-show message names the deadline: the start plus the event type's no-show window."""
    return (booking.start + timedelta(minutes=minutes or 0)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +00:00")

"""The body of a booking trigger, built from the booking as it is now.

MEETING_STARTED/ENDED are the raw booking row with no envelope; BOOKING_NO_SHOW_UPDATED says who was
marked; every other booking trigger is its ``Shape``'s keys, valued from the catalogue, in Cal.com's
envelope.
"""

from datetime import datetime
from typing import Any

from domain.booking import Booking
from domain.triggers import FLAT_TRIGGERS, Trigger
from templates.payloads.catalogue import booker_url, catalogue, trigger_fields
from templates.payloads.ids import derived_uuid
from templates.payloads.people import attendee, people, user_row
from templates.payloads.responses import responses
from templates.payloads.shapes import SHAPES
from templates.payloads.times import envelope, stamp, stamp_ms
from templates.payloads.video import video_fields

NO_SHOW_TRIGGERS = frozenset({Trigger.AFTER_HOSTS_CAL_VIDEO_NO_SHOW, Trigger.AFTER_GUESTS_CAL_VIDEO_NO_SHOW})


def _no_show_updated(booking: Booking, extra: dict[str, Any]) -> dict[str, Any]:
    """BOOKING_NO_SHOW_UPDATED: Cal.com's message says who was marked or unmarked."""
    marks = [{"email": str(a["email"]), "noShow": bool(a["noShow"])} for a in extra.get("attendees", [])]
    marked = [m["email"] for m in marks if m["noShow"]]
    unmarked = [m["email"] for m in marks if not m["noShow"]]
    parts = [f"{', '.join(marked)} marked as no-show"] if marked else []
    parts += [f"{', '.join(unmarked)} unmarked as no-show"] if unmarked else []
    return {
        "message": "; ".join(parts) or str(extra.get("message", "")),
        "attendees": marks,
        "bookingUid": booking.uid,
        "bookingId": booking.id,
    }


def meeting_row(trigger: Trigger, booking: Booking, extra: dict[str, Any]) -> dict[str, Any]:
    """MEETING_STARTED/ENDED: ``triggerEvent`` and the raw booking row, with no envelope."""
    return {
        "triggerEvent": trigger.value,
        "id": booking.id,
        "uid": booking.uid,
        "idempotencyKey": booking.idempotency_key or derived_uuid(booking, "idempotency-key"),
        "userId": booking.organizer.id,
        "userPrimaryEmail": str(booking.organizer.email),
        "eventTypeId": booking.event_type.id,
        "title": booking.title,
        "description": booking.description,
        "customInputs": {},
        "responses": responses(booking, "labelled"),
        "startTime": stamp(booking.start, "ms"),
        "endTime": stamp(booking.end, "ms"),
        "location": booking.location,
        "createdAt": stamp_ms(booking.created_at),
        "updatedAt": stamp_ms(booking.updated_at or booking.created_at),
        "status": booking.status.value,
        "paid": booking.paid,
        "destinationCalendarId": None,
        "cancellationReason": booking.cancellation_reason,
        "rejectionReason": booking.rejection_reason,
        "reassignReason": None,
        "reassignById": None,
        "dynamicEventSlugRef": None,
        "dynamicGroupSlugRef": None,
        "rescheduled": booking.rescheduled or None,
        "fromReschedule": booking.from_reschedule,
        "recurringEventId": booking.recurring_booking_uid,  # the series of a recurring booking
        "smsReminderNumber": booking.attendees[0].phone_number,
        "scheduledJobs": [],
        "metadata": dict(booking.metadata),
        "isRecorded": False,
        "iCalUID": booking.ical_uid,
        "iCalSequence": booking.ical_sequence,
        "rating": None,
        "ratingFeedback": None,
        "noShowHost": booking.absent_host,
        "oneTimePassword": None,
        "cancelledBy": booking.cancelled_by_email,
        "rescheduledBy": booking.rescheduled_by_email,
        "creationSource": "API_V2",
        "user": user_row(booking),
        "attendees": [attendee(p, booking, "row") for p in people(booking)],
        "payment": [],
        "references": [],
        "appsStatus": video_fields(booking, booker_url(extra)).get("appsStatus", []),
    }


def build_body(trigger: Trigger, booking: Booking, created_at: datetime, extra: dict[str, Any]) -> dict:
    """The JSON body of ``trigger`` for ``booking`` as it is now; ``extra`` holds trigger-specific fields.

    MEETING_STARTED/ENDED are flat; every other booking trigger is wrapped in Cal.com's envelope. The
    no-show triggers' ``webhook`` field depends on the subscriber and is added at delivery
    (``with_subscription``). Routing-form and out-of-office triggers have their own builders.
    """
    if trigger in FLAT_TRIGGERS:
        return meeting_row(trigger, booking, extra)
    if trigger is Trigger.BOOKING_NO_SHOW_UPDATED:
        return envelope(trigger.value, created_at, _no_show_updated(booking, extra))
    shape = SHAPES.get(trigger)
    if shape is None:
        raise ValueError(f"{trigger.value} is not a booking trigger; use its own body builder")
    shared = catalogue(booking, shape, extra)
    specific = trigger_fields(trigger, booking, extra)
    payload = {key: specific[key] if key in specific else shared[key]() for key in shape.keys}
    return envelope(trigger.value, created_at, payload)


def with_subscription(body: dict[str, Any], webhook: dict[str, Any]) -> dict[str, Any]:
    """The body one subscriber receives: no-show payloads echo the subscriber's webhook (without secret)."""
    if body.get("triggerEvent") not in NO_SHOW_TRIGGERS:
        return body
    payload = dict(body["payload"])
    message = payload.pop("message", None)
    return body | {"payload": payload | {"webhook": webhook, "message": message}}

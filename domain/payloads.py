"""Webhook bodies exactly as Cal.com sends them (payload version 2021-10-20), built from a booking.

Each trigger has its own shape in Cal.com: the booking family (CREATED, RESCHEDULED, REQUESTED) carries
the full calendar event, CANCELLED and REJECTED an older variant, the payment triggers yet another, and
MEETING_STARTED/ENDED the raw booking row with no envelope. A ``Shape`` names, per trigger, the keys
of the payload in Cal.com's order and the style of its nested people, responses and times; every value
comes from one catalogue of the booking's fields, so a field is computed in one place only.

The example payloads of Cal.com's Webhooks guide are the reference (tests/webhooks/golden/).
"""

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from domain.booking import Booking
from domain.triggers import FLAT_TRIGGERS, Trigger

WEBHOOK_VERSION = "2021-10-20"
# Where bookers reach this deployment; Cal.com's `bookerUrl`. Callers may pass `bookerUrl` in ``extra``.
DEFAULT_BOOKER_URL = "http://localhost:8000"
# The namespace of the UUIDs Cal.com keeps per booking (conference request id, one-time password):
# derived from the booking uid so a retried or replayed build produces the same body.
_NAMESPACE = uuid.UUID("5b1e7c1e-8f2a-4c55-9a57-6f0e4d2b8a10")

NO_SHOW_TRIGGERS = frozenset({Trigger.AFTER_HOSTS_CAL_VIDEO_NO_SHOW, Trigger.AFTER_GUESTS_CAL_VIDEO_NO_SHOW})

TimeStyle = Literal["z", "ms", "offset"]
OrganizerStyle = Literal["full", "payment", "recording", "instant"]
AttendeeStyle = Literal["booker", "legacy", "payment", "row", "recording", "instant"]
ResponsesStyle = Literal["labelled", "plain", "values", "instant"]


def stamp_ms(moment: datetime) -> str:
    """JavaScript's ``Date.toISOString()``: UTC with milliseconds and a Z, as Cal.com's ``createdAt``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _stamp(moment: datetime, style: TimeStyle) -> str:
    utc = moment.astimezone(UTC)
    if style == "ms":
        return stamp_ms(utc)
    if style == "offset":
        return utc.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_offset(time_zone: str, at: datetime) -> int:
    """Minutes east of UTC of ``time_zone`` at the instant ``at`` (Cal.com's ``utcOffset``)."""
    offset = at.astimezone(ZoneInfo(time_zone)).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def _derived_uuid(booking: Booking, purpose: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{booking.uid}:{purpose}"))


def _derived_number(text: str) -> int:
    """A stable positive id below 2**48 (safe in JavaScript) for records we key by strings."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


# -- people -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    """An attendee or a guest; Cal.com lists guests as attendees with an empty name."""

    id: int
    name: str
    email: str
    time_zone: str
    locale: str
    phone_number: str | None
    no_show: bool


def _people(booking: Booking) -> list[_Person]:
    first = booking.attendees[0]
    people = [(a.name, str(a.email), a.time_zone, a.language, a.phone_number, a.absent) for a in booking.attendees] + [
        ("", str(g), first.time_zone, first.language, None, False) for g in booking.guests
    ]
    # Attendee rows have ids in Cal.com; ours are stable per booking (at most 31 people per booking).
    return [_Person(booking.id * 100 + i + 1, *p) for i, p in enumerate(people)]


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first, last


def _attendee(person: _Person, booking: Booking, style: AttendeeStyle) -> dict[str, Any]:
    language = {"locale": person.locale}
    offset = utc_offset(person.time_zone, booking.start)
    match style:
        case "booker":
            first, last = _split_name(person.name)
            return {
                "email": person.email,
                "name": person.name,
                "firstName": first,
                "lastName": last,
                "timeZone": person.time_zone,
                "language": language,
                "utcOffset": offset,
            }
        case "legacy":
            return {
                "name": person.name,
                "email": person.email,
                "timeZone": person.time_zone,
                "phoneNumber": person.phone_number,
                "language": language,
                "utcOffset": offset,
            }
        case "payment":
            return {"name": person.name, "email": person.email, "timeZone": person.time_zone, "language": language}
        case "row":
            return {
                "id": person.id,
                "email": person.email,
                "name": person.name,
                "timeZone": person.time_zone,
                "phoneNumber": person.phone_number,
                "locale": person.locale,
                "bookingId": booking.id,
                "noShow": person.no_show,
            }
        case "recording":
            return {
                "id": person.id,
                "name": person.name,
                "email": person.email,
                "timeZone": person.time_zone,
                "language": language,
                "utcOffset": offset,
            }
        case "instant":
            return {
                "email": person.email,
                "name": person.name,
                "timeZone": person.time_zone,
                "language": language,
                "utcOffset": offset,
            }


def _organizer(booking: Booking, style: OrganizerStyle) -> dict[str, Any]:
    user = booking.organizer
    core = {"id": user.id, "name": user.name, "email": str(user.email), "username": user.username}
    language = {"locale": "en"}
    offset = utc_offset(user.time_zone, booking.start)
    match style:
        case "full":
            return core | {
                "usernameInOrg": user.username,
                "timeZone": user.time_zone,
                "language": language,
                "timeFormat": "h:mma",
                "utcOffset": offset,
            }
        case "payment":  # Cal.com's payment builders send the raw 12/24 preference here
            return core | {"timeZone": user.time_zone, "language": language, "timeFormat": 12}
        case "recording":
            return {
                "email": str(user.email),
                "name": user.name,
                "timeZone": user.time_zone,
                "language": language,
                "utcOffset": offset,
            }
        case "instant":
            return core | {"timeZone": user.time_zone, "language": language, "timeFormat": "h:mma", "utcOffset": offset}


def _user_row(booking: Booking) -> dict[str, Any]:
    user = booking.organizer
    return {"email": str(user.email), "name": user.name, "timeZone": user.time_zone, "username": user.username}


# -- booking-form responses -------------------------------------------------------------------------

# Cal.com's system booking fields: (field name, i18n label, hidden by default).
_SYSTEM_FIELDS = (
    ("name", "your_name", False),
    ("email", "email_address", False),
    ("attendeePhoneNumber", "phone_number", True),
    ("location", "location", False),
    ("title", "what_is_this_meeting_about", True),
    ("notes", "additional_notes", False),
    ("guests", "additional_guests", False),
    ("rescheduleReason", "reason_for_reschedule", False),
)
_SYSTEM_NAMES = frozenset(name for name, _, _ in _SYSTEM_FIELDS)


def _answers(booking: Booking) -> dict[str, Any]:
    """Every system field's answer (None when unanswered), from the booking and its form responses."""
    given = booking.booking_fields_responses
    booker = booking.attendees[0]
    return {
        "name": booker.name,
        "email": str(booker.email),
        "attendeePhoneNumber": booker.phone_number or given.get("attendeePhoneNumber"),
        "location": {"optionValue": "", "value": booking.location} if booking.location else None,
        "title": given.get("title"),
        "notes": given.get("notes"),
        "guests": [str(g) for g in booking.guests],
        "rescheduleReason": booking.rescheduling_reason or given.get("rescheduleReason"),
    }


def _custom_answers(booking: Booking) -> dict[str, Any]:
    return {k: v for k, v in booking.booking_fields_responses.items() if k not in _SYSTEM_NAMES}


def _labelled(label: str, value: Any, hidden: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"label": label}
    if value is not None:
        entry["value"] = value
    entry["isHidden"] = hidden
    return entry


def _responses(booking: Booking, style: ResponsesStyle) -> dict[str, Any]:
    answers = _answers(booking)
    custom = _custom_answers(booking)
    match style:
        case "labelled":  # the booking form as rendered: every field, answered or not
            fields = {name: _labelled(label, answers[name], hidden) for name, label, hidden in _SYSTEM_FIELDS}
            return fields | {k: _labelled(k, v, False) for k, v in custom.items()}
        case "plain":  # the stored responses: answered fields only, labelled by their names
            answered = {k: v for k, v in answers.items() if v not in (None, []) and k != "location"}
            return {k: {"label": k, "value": v} for k, v in (answered | custom).items()}
        case "values":  # instant meetings send bare values
            return {k: answers[k] or ("" if k == "notes" else answers[k]) for k in ("name", "email", "notes", "guests")}
        case "instant":
            return {
                "name": {"label": "your_name", "value": answers["name"]},
                "email": {"label": "email_address", "value": answers["email"]},
            }


def _user_fields_responses(booking: Booking) -> dict[str, Any]:
    return {k: _labelled(k, v, False) for k, v in _custom_answers(booking).items()}


# -- video conferencing -----------------------------------------------------------------------------


def _video_app(booking: Booking) -> str | None:
    """The conferencing app of an ``integrations:<app>`` location (Cal Video is ``daily``)."""
    location = booking.location or ""
    return location.removeprefix("integrations:").split(":")[0] if location.startswith("integrations:") else None


def _video_url(booking: Booking, booker_url: str) -> str:
    return booking.metadata.get("videoCallUrl") or f"{booker_url}/video/{booking.uid}"


def _video_fields(booking: Booking, booker_url: str) -> dict[str, Any]:
    app = _video_app(booking)
    if app is None:
        return {}
    kind = f"{app}_video"
    return {
        "conferenceData": {"createRequest": {"requestId": _derived_uuid(booking, "conference")}},
        "videoCallData": {"type": kind, "id": booking.uid, "password": "", "url": _video_url(booking, booker_url)},
        "appsStatus": [_app_status(kind, app)],
    }


def _app_status(kind: str, app: str) -> dict[str, Any]:
    return {"appName": "Cal Video" if app == "daily" else app, "type": kind, "success": 1, "failures": 0, "errors": []}


def _video_metadata(booking: Booking, booker_url: str) -> dict[str, Any]:
    if _video_app(booking) is None:
        return dict(booking.metadata)
    return dict(booking.metadata) | {"videoCallUrl": _video_url(booking, booker_url)}


# -- the catalogue and the shapes -------------------------------------------------------------------


_SCHEDULING_TYPES = {"collective": "COLLECTIVE", "roundRobin": "ROUND_ROBIN", "managed": "MANAGED"}


@dataclass(frozen=True)
class Shape:
    """One trigger's payload: its keys in Cal.com's order and the styles of its nested values."""

    keys: tuple[str, ...]
    times: TimeStyle = "z"
    organizer: OrganizerStyle = "full"
    attendees: AttendeeStyle = "booker"
    responses: ResponsesStyle = "labelled"
    destination_calendar: Any = None


def _catalogue(booking: Booking, shape: Shape, extra: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    """Every field a booking payload may carry, computed on demand in the shape's styles."""
    event_type = booking.event_type
    booker_url = extra.get("bookerUrl") or DEFAULT_BOOKER_URL
    notes = booking.booking_fields_responses.get("notes") or ""
    video = _video_fields(booking, booker_url)
    people = _people(booking)
    return {
        "bookerUrl": lambda: booker_url,
        "title": lambda: booking.title,
        "startTime": lambda: _stamp(booking.start, shape.times),
        "endTime": lambda: _stamp(booking.end, shape.times),
        "additionalNotes": lambda: notes,
        "type": lambda: event_type.slug,
        "description": lambda: booking.description or notes,
        "eventTypeId": lambda: event_type.id,
        "hideCalendarNotes": lambda: False,
        "hideCalendarEventDetails": lambda: False,
        "hideOrganizerEmail": lambda: False,
        "schedulingType": lambda: _SCHEDULING_TYPES.get(event_type.scheduling_type or ""),
        "seatsPerTimeSlot": lambda: None,
        "seatsShowAttendees": lambda: True,
        "seatsShowAvailabilityCount": lambda: True,
        "customReplyToEmail": lambda: None,
        "disableRescheduling": lambda: event_type.disable_rescheduling,
        "disableCancelling": lambda: event_type.disable_cancelling,
        "organizer": lambda: _organizer(booking, shape.organizer),
        "attendees": lambda: [_attendee(p, booking, shape.attendees) for p in people],
        "customInputs": lambda: {},
        "responses": lambda: _responses(booking, shape.responses),
        "userFieldsResponses": lambda: _user_fields_responses(booking),
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
        "metadata": lambda: _video_metadata(booking, booker_url),
        "status": lambda: booking.status.value,
        "cancellationReason": lambda: booking.cancellation_reason,
        "rejectionReason": lambda: booking.rejection_reason,
    }


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
    Trigger.BOOKING_CANCELLED: Shape(
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
        attendees="legacy",
        responses="plain",
        destination_calendar=[],
    ),
    Trigger.BOOKING_REJECTED: Shape(
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
        attendees="legacy",
        responses="plain",
        destination_calendar=[],
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
    Trigger.AFTER_HOSTS_CAL_VIDEO_NO_SHOW: Shape(
        (
            "title",
            "bookingId",
            "bookingUid",
            "startTime",
            "attendees",
            "endTime",
            "participants",
            "hostEmail",
            "noShowHost",
            "eventType",
            "message",
        ),
        times="ms",
        attendees="row",
    ),
    Trigger.AFTER_GUESTS_CAL_VIDEO_NO_SHOW: Shape(
        (
            "title",
            "bookingId",
            "bookingUid",
            "startTime",
            "attendees",
            "endTime",
            "participants",
            "guests",
            "eventType",
            "message",
        ),
        times="ms",
        attendees="row",
    ),
}


def _trigger_fields(trigger: Trigger, booking: Booking, created_at: datetime, extra: dict[str, Any]) -> dict:
    """Fields that only some triggers carry, mostly from the workflow's ``extra``."""
    booker_url = extra.get("bookerUrl") or DEFAULT_BOOKER_URL
    people = _people(booking)
    fields: dict[str, Any] = {
        "triggerEvent": trigger.value,
        "bookingUid": booking.uid,
        "eventTypeTitle": booking.event_type.title,
        "connectAndJoinUrl": extra.get("connectAndJoinUrl") or f"{booker_url}/connect-and-join?uid={booking.uid}",
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
            fields["oneTimePassword"] = _derived_uuid(booking, "one-time-password")
            fields["metadata"] = dict(booking.metadata)
        case Trigger.BOOKING_PAYMENT_INITIATED | Trigger.BOOKING_PAID:
            fields |= _payment_fields(trigger, booking, extra)
        case Trigger.AFTER_HOSTS_CAL_VIDEO_NO_SHOW | Trigger.AFTER_GUESTS_CAL_VIDEO_NO_SHOW:
            fields |= _no_show_fields(trigger, booking, people, extra)
    return fields


def _payment_fields(trigger: Trigger, booking: Booking, extra: dict[str, Any]) -> dict[str, Any]:
    # Cal.com's paymentId is its Payment row's id; ours is derived from the payment's own reference.
    reference = extra.get("paymentId") or booking.payment_uid or booking.uid
    fields: dict[str, Any] = {
        "paymentId": _derived_number(str(reference)),
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


def _no_show_fields(trigger: Trigger, booking: Booking, people: list[_Person], extra: dict[str, Any]) -> dict:
    """Cal.com's message names the deadline: the start plus the event type's no-show window."""
    event_type = booking.event_type
    if trigger is Trigger.AFTER_HOSTS_CAL_VIDEO_NO_SHOW:
        minutes = event_type.host_no_show_after_minutes or 0
        host = extra.get("hostEmail") or str(booking.organizer.email)
        deadline = (booking.start + timedelta(minutes=minutes)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +00:00")
        return {
            "hostEmail": host,
            "noShowHost": bool(extra.get("noShowHost", True)),
            "message": f"Host with email {host} didn't join the call or didn't join before {deadline}",
        }
    minutes = event_type.guest_no_show_after_minutes or 0
    deadline = (booking.start + timedelta(minutes=minutes)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +00:00")
    missing = {str(g["email"]).lower() for g in extra.get("guests", [])}
    guests = [_attendee(p, booking, "row") | {"noShow": True} for p in people if p.email.lower() in missing]
    return {"guests": guests, "message": f"Guest didn't join the call or didn't join before {deadline}"}


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
    shape = Shape((), times="ms", attendees="row")
    return {
        "triggerEvent": trigger.value,
        "id": booking.id,
        "uid": booking.uid,
        "idempotencyKey": booking.idempotency_key or _derived_uuid(booking, "idempotency-key"),
        "userId": booking.organizer.id,
        "userPrimaryEmail": str(booking.organizer.email),
        "eventTypeId": booking.event_type.id,
        "title": booking.title,
        "description": booking.description,
        "customInputs": {},
        "responses": _responses(booking, "labelled"),
        "startTime": _stamp(booking.start, "ms"),
        "endTime": _stamp(booking.end, "ms"),
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
        "recurringEventId": None,
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
        "user": _user_row(booking),
        "attendees": [_attendee(p, booking, shape.attendees) for p in _people(booking)],
        "payment": [],
        "references": [],
        "appsStatus": _video_fields(booking, extra.get("bookerUrl") or DEFAULT_BOOKER_URL).get("appsStatus", []),
    }


def envelope(trigger: str, created_at: datetime, payload: dict[str, Any]) -> dict[str, Any]:
    """Cal.com's wrapper ``{triggerEvent, createdAt, payload}``."""
    return {"triggerEvent": trigger, "createdAt": stamp_ms(created_at), "payload": payload}


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
    catalogue = _catalogue(booking, shape, extra)
    specific = _trigger_fields(trigger, booking, created_at, extra)
    payload = {key: specific[key] if key in specific else catalogue[key]() for key in shape.keys}
    return envelope(trigger.value, created_at, payload)


def with_subscription(body: dict[str, Any], webhook: dict[str, Any]) -> dict[str, Any]:
    """The body one subscriber receives: no-show payloads echo the subscriber's webhook (without secret)."""
    if body.get("triggerEvent") not in NO_SHOW_TRIGGERS:
        return body
    payload = dict(body["payload"])
    message = payload.pop("message", None)
    return body | {"payload": payload | {"webhook": webhook, "message": message}}


# -- routing forms and other non-booking triggers ----------------------------------------------------


def form_submitted_body(
    created_at: datetime, form_id: str, form_name: str, team_id: int | None, responses: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """FORM_SUBMITTED: ``responses`` maps each question's label to ``{"value", "response"}``.

    Cal.com also copies every answer's value to the top level, keyed by label, for old receivers.
    """
    root = {label: answer.get("value") for label, answer in responses.items()}
    payload = {"formId": form_id, "formName": form_name, "teamId": team_id, "responses": _form_responses(responses)}
    return root | envelope(Trigger.FORM_SUBMITTED.value, created_at, payload)


def form_submitted_no_event_body(
    created_at: datetime,
    form_id: str,
    form_name: str,
    team_id: int | None,
    response_id: int,
    redirect: dict[str, Any],
    responses: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """FORM_SUBMITTED_NO_EVENT: fired when no booking followed a routing-form response.

    ``redirect`` is the route's action, e.g. ``{"type": "customPageMessage", "value": "Thanks!"}``.
    """
    payload = {
        "formId": form_id,
        "formName": form_name,
        "teamId": team_id,
        "redirect": {"type": redirect["type"], "value": redirect.get("value")},
        "responseId": response_id,
        "responses": _form_responses(responses),
    }
    return envelope(Trigger.FORM_SUBMITTED_NO_EVENT.value, created_at, payload)


def _form_responses(responses: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        label: {"value": a.get("value"), "response": a.get("response", a.get("value"))}
        for label, a in responses.items()
    }


def wrong_assignment_report_body(created_at: datetime, booking: dict[str, Any], report: dict[str, Any]) -> dict:
    """WRONG_ASSIGNMENT_REPORT from plain dicts.

    ``booking``: uid, id, title, startTime, endTime (datetimes or ISO strings), status, eventType
    {id, title, slug, teamId}. ``report``: reportedBy {id, email, name}, routingReason, guest,
    host {email, name}, correctAssignee, additionalNotes.
    """
    event_type = booking["eventType"]
    reporter, host = report["reportedBy"], report["host"]
    payload = {
        "booking": {
            "uid": booking["uid"],
            "id": booking["id"],
            "title": booking["title"],
            "startTime": _iso(booking["startTime"]),
            "endTime": _iso(booking["endTime"]),
            "status": str(booking["status"]).upper(),
            "eventType": {k: event_type.get(k) for k in ("id", "title", "slug", "teamId")},
        },
        "report": {
            "reportedBy": {k: reporter.get(k) for k in ("id", "email", "name")},
            "routingReason": report.get("routingReason"),
            "guest": report.get("guest"),
            "host": {k: host.get(k) for k in ("email", "name")},
            "correctAssignee": report.get("correctAssignee"),
            "additionalNotes": report.get("additionalNotes"),
        },
    }
    return envelope(Trigger.WRONG_ASSIGNMENT_REPORT.value, created_at, payload)


def ooo_created_body(created_at: datetime, ooo_entry: dict[str, Any]) -> dict[str, Any]:
    """OOO_CREATED: ``ooo_entry`` as Cal.com's (id, start, end, notes, reason, user, toUser, uuid, …)."""
    return envelope(Trigger.OOO_CREATED.value, created_at, {"oooEntry": ooo_entry})


def ping_body(created_at: datetime) -> dict[str, Any]:
    """The test event `bookflow webhooks ping` sends, shaped like Cal.com's test trigger."""
    now = stamp_ms(created_at)
    payload = {"type": "Test", "title": "Test trigger event", "startTime": now, "endTime": now}
    return envelope("PING", created_at, payload | {"attendees": [], "organizer": {}})


def _iso(value: datetime | str) -> str:
    return stamp_ms(value) if isinstance(value, datetime) else value

"""Booking-form responses in the styles Cal.com's triggers use: the rendered form, the stored answers, bare values."""

from typing import Any, Literal

from domain.booking import Booking

ResponsesStyle = Literal["labelled", "plain", "values", "instant"]

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


def responses(booking: Booking, style: ResponsesStyle) -> dict[str, Any]:
    """A payload's ``responses`` in ``style``."""
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


def user_fields_responses(booking: Booking) -> dict[str, Any]:
    """A payload's ``userFieldsResponses``: the event type's own (non-system) questions."""
    return {k: _labelled(k, v, False) for k, v in _custom_answers(booking).items()}

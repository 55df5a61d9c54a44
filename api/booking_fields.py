"""A booking's answers checked as Cal.com checks them against its event type (API 2024-08-13).

Who the attendee is (an email, or a phone number alone where the event type allows it), the guests, and
``bookingFieldsResponses`` against the event type's ``bookingFields``: required fields, the type of each
answer and the options of choice fields. Each refusal is a 400 naming the field.
"""

import re
from collections.abc import Callable
from typing import Any

from pydantic import EmailStr, TypeAdapter, ValidationError

from api.errors import ApiError
from domain.booking import phone_only_email
from domain.config import EventType
from domain.phone import check_e164

# The booking field whose presence lets an event type be booked with a phone number and no email.
PHONE_FIELD = "attendeePhoneNumber"
# Default fields answered by the booking's own inputs (attendee, guests, location), not by responses.
ANSWERED_ELSEWHERE = frozenset({"name", "email", "location", "guests", PHONE_FIELD})

_EMAIL = TypeAdapter(EmailStr)
_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)


def _field_slug(field: dict[str, Any]) -> str | None:
    """A field's slug; Cal.com's name and email default fields are told by their type alone."""
    slug = field.get("slug")
    if slug is None and field.get("type") in ("name", "email"):
        return str(field["type"])
    return slug


def _field(event_type: EventType, slug: str) -> dict[str, Any] | None:
    return next((f for f in event_type.booking_fields if _field_slug(f) == slug), None)


def allows_phone_only(event_type: EventType) -> bool:
    """Whether the event type may be booked without an email: it asks for ``attendeePhoneNumber`` and
    its email field is not required (Cal.com's phone-only event types)."""
    phone = _field(event_type, PHONE_FIELD)
    email = _field(event_type, "email")
    return phone is not None and email is not None and email.get("required") is False


def attendee_contact(
    event_type: EventType, email: str | None, phone: str | None, responses: dict[str, Any]
) -> tuple[str, str | None]:
    """The attendee's (email, phone number): an email, or where the event type allows it a phone alone."""
    if phone is None and isinstance(responses.get(PHONE_FIELD), str):
        try:
            phone = check_e164(responses[PHONE_FIELD])
        except ValueError as bad:
            raise ApiError(400, f"bookingFieldsResponses.{PHONE_FIELD}: {bad}") from None
    phone_field = _field(event_type, PHONE_FIELD)
    if phone is None and phone_field is not None and phone_field.get("required") and not phone_field.get("hidden"):
        raise ApiError(400, "attendee.phoneNumber: required by this event type (e.g. +14155550123)")
    if email is not None:
        return email, phone
    if not allows_phone_only(event_type):
        raise ApiError(400, "attendee.email: Field required (this event type is not booked by phone alone)")
    if phone is None:
        raise ApiError(400, "attendee.phoneNumber: required when attendee.email is left out (e.g. +14155550123)")
    return phone_only_email(phone), phone


def check_guests(event_type: EventType, guests: list[str]) -> None:
    """Guests are refused where the event type disables them (``disableGuests`` or a hidden guests field)."""
    if not guests:
        return
    field = _field(event_type, "guests")
    if event_type.disable_guests or (field is not None and field.get("hidden")):
        raise ApiError(400, "guests: this event type does not take guests")


def _is_email(value: Any) -> bool:
    try:
        _EMAIL.validate_python(value)
    except ValidationError:
        return False
    return True


def _is_phone(value: Any) -> bool:
    try:
        check_e164(value)
    except (ValueError, TypeError):
        return False
    return True


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# What an answer to each Cal.com field type must be, and how the refusal says it.
_ANSWER: dict[str, tuple[Callable[[Any], bool], str]] = {
    "text": (lambda v: isinstance(v, str), "must be text"),
    "textarea": (lambda v: isinstance(v, str), "must be text"),
    "address": (lambda v: isinstance(v, str), "must be text"),
    "title": (lambda v: isinstance(v, str), "must be text"),
    "notes": (lambda v: isinstance(v, str), "must be text"),
    "rescheduleReason": (lambda v: isinstance(v, str), "must be text"),
    "number": (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "must be a number"),
    "boolean": (lambda v: isinstance(v, bool), "must be true or false"),
    "url": (lambda v: isinstance(v, str) and bool(_URL.match(v)), "must be a URL (http:// or https://)"),
    "phone": (_is_phone, "must be a phone number in international format, such as +14155550123"),
    "email": (_is_email, "must be an email address"),
    "multiemail": (lambda v: isinstance(v, list) and all(_is_email(e) for e in v), "must be a list of emails"),
    "select": (lambda v: isinstance(v, str), "must be one of the options"),
    "radio": (lambda v: isinstance(v, str), "must be one of the options"),
    "multiselect": (_strings, "must be a list of options"),
    "checkbox": (_strings, "must be a list of options"),
}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def check_responses(event_type: EventType, responses: dict[str, Any]) -> None:
    """``bookingFieldsResponses`` against the event type's ``bookingFields``: every required, shown field
    answered, each answer of its field's type, and choice answers among the field's options.

    Answers to slugs the event type does not ask about are kept as sent (Cal.com stores them too).
    """
    for field in event_type.booking_fields:
        slug = _field_slug(field)
        if slug is None or slug in ANSWERED_ELSEWHERE:
            continue
        named = f"bookingFieldsResponses.{slug}"
        value = responses.get(slug)
        if _empty(value):
            if field.get("required") is True and not field.get("hidden"):
                raise ApiError(400, f"{named}: required by this event type")
            continue
        kind = str(field.get("type") or slug)
        accepts, wanted = _ANSWER.get(kind, (lambda _v: True, ""))
        if not accepts(value):
            raise ApiError(400, f"{named}: {wanted}")
        options = field.get("options")
        if kind in ("select", "radio", "multiselect", "checkbox") and isinstance(options, list):
            allowed = {o if isinstance(o, str) else o.get("value") for o in options if isinstance(o, str | dict)}
            chosen = value if isinstance(value, list) else [value]
            if stray := [c for c in chosen if c not in allowed]:
                listed = ", ".join(repr(o) for o in sorted(a for a in allowed if isinstance(a, str)))
                raise ApiError(400, f"{named}: {stray[0]!r} is not one of the options ({listed})")

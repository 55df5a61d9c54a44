"""A routing-form response as the outside sees it: the webhook ``responses`` map, the submitter's
email, the API answer, the routing reason, and how the booking side refers to the response.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from domain.base import CamelModel
from domain.routing_forms import FormField, RoutingDecision, RoutingForm

# The event log keys events by a subject; a response's events use this one.
RESPONSE_SUBJECT = "routing-response:{}"


def response_subject(response_id: int) -> str:
    return RESPONSE_SUBJECT.format(response_id)


def response_workflow_id(form_filler_id: str) -> str:
    """The RoutingResponseWorkflow of a response (the BookingWorkflow signals it).

    Named by the response's random formFillerId, not its row id, so that two stores sharing one
    Temporal namespace never collide.
    """
    return f"routing-response-{form_filler_id}"


class RoutingResponseInput(CamelModel):
    """What starts a RoutingResponseWorkflow: the stored, not yet decided, response."""

    response_id: int
    form_filler_id: str


class WrongAssignmentInput(CamelModel):
    """A report that a routed booking went to the wrong person (POST /v2/bookings/{uid}/wrong-assignment)."""

    report_id: str
    booking_uid: str
    reported_by: dict[str, Any]
    correct_assignee: str | None = None
    additional_notes: str | None = None
    at: datetime


class BookedFromResponse(CamelModel):
    """A booking was made from a routing response: what the BookingWorkflow tells its workflow."""

    booking_uid: str
    attendee_email: str


def _answer(field: FormField, value: Any) -> dict[str, Any]:
    """Cal.com's ``{value, response}``: choices as label lists and ``[{label, id}]``, the rest as given."""
    if not field.options:
        return {"value": value, "response": value}
    by_key = {o.key: o for o in field.options}
    items = value if isinstance(value, list) else [value]
    chosen = [by_key.get(str(item)) for item in items]
    labels = [o.label if o else str(item) for o, item in zip(chosen, items, strict=True)]
    pairs = [{"label": label, "id": o.id if o else None} for o, label in zip(chosen, labels, strict=True)]
    return {"value": labels, "response": pairs}


def webhook_responses(form: RoutingForm, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """FORM_SUBMITTED's ``responses``: each answered field by identifier (else label)."""
    return {f.key: _answer(f, values[f.id]) for f in form.fields if not f.deleted and f.id in values}


def submitter_email(form: RoutingForm, values: Mapping[str, Any]) -> str | None:
    """The submitter's email: the ``email`` field, else the first email field, else the first answer with an @."""
    ordered = sorted(
        (f for f in form.fields if f.id in values),
        key=lambda f: (f.identifier != "email", f.type != "email"),
    )
    for field in ordered:
        value = values[field.id]
        if isinstance(value, str) and "@" in value:
            return value.strip().lower()
    return None


def routing_reason(decision: RoutingDecision) -> str:
    """The assignment reason as one line (Cal.com's reasonString; WRONG_ASSIGNMENT_REPORT's routingReason)."""
    trace = decision.trace
    parts = [f"{decision.assignment_reason}: route {decision.route_name or decision.route_id!r}"]
    if decision.is_fallback:
        parts[0] += " (fallback)"
    if trace.attributes is not None:
        parts.append(trace.attributes.reason)
    if trace.crm is not None:
        parts.append(trace.crm.reason)
    if trace.host is not None:
        parts.append(f"host {trace.host.email}: {trace.host.reason}")
    return "; ".join(parts)


def booking_redirect_url(action_value: str, response_id: int, booking_token: str) -> str:
    """The booking page's URL with the parameters that bind the booking to this response (Cal.com's
    ``cal.routingFormResponseId``, plus the one-time token the booking must present)."""
    query = urlencode({"cal.routingFormResponseId": response_id, "cal.routingFormResponseToken": booking_token})
    return f"/{action_value.lstrip('/')}?{query}"


def api_answer(response_id: int, decision: RoutingDecision, booking_token: str | None = None) -> dict[str, Any]:
    """What POST /v2/routing-forms/{id}/responses answers: a message, a URL, or an event type to book.

    ``booking_token`` goes only to the submitter: a booking made from the response must present it.
    """
    action = decision.action
    if action.type == "customPageMessage":
        return {"routingCustomMessage": action.value}
    if action.type == "externalRedirectUrl":
        return {"routingExternalRedirectUrl": action.value}
    answer: dict[str, Any] = {
        "eventTypeId": action.event_type_id,
        "routing": {
            "responseId": response_id,
            "teamMemberIds": decision.team_member_ids,
            "teamMemberEmail": decision.team_member_email,
            "skipContactOwner": decision.skip_contact_owner,
            "crmAppSlug": decision.crm_app_slug,
            "crmOwnerRecordType": decision.crm_owner_record_type,
        },
    }
    if booking_token is not None:
        answer["routing"]["bookingToken"] = booking_token
        answer["routingRedirectUrl"] = booking_redirect_url(action.value, response_id, booking_token)
    return answer

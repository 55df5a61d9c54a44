"""Bodies of the triggers about no single booking: routing forms, wrong assignments, out-of-office, ping."""

from datetime import datetime
from typing import Any

from domain.triggers import Trigger
from templates.payloads.times import envelope, stamp_ms


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

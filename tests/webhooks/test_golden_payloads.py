"""Golden tests: every body we build has every field of the Cal.com guide's example, with its JSON type."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.triggers import Trigger
from templates.payloads.booking import build_body, with_subscription
from templates.payloads.non_booking import (
    form_submitted_body,
    form_submitted_no_event_body,
    ooo_created_body,
    wrong_assignment_report_body,
)
from tests.webhooks.samples import sample_event, sample_webhook
from tests.webhooks.structure import missing_or_mistyped, unexpected

GOLDEN = Path(__file__).parent / "golden"
CREATED_AT = datetime(2024, 7, 1, 10, 5, 0, 123000, tzinfo=UTC)
BOOKING_TRIGGERS = [
    Trigger.BOOKING_CREATED,
    Trigger.BOOKING_RESCHEDULED,
    Trigger.BOOKING_REQUESTED,
    Trigger.BOOKING_CANCELLED,
    Trigger.BOOKING_REJECTED,
    Trigger.BOOKING_PAYMENT_INITIATED,
    Trigger.BOOKING_PAID,
    Trigger.BOOKING_NO_SHOW_UPDATED,
    Trigger.MEETING_STARTED,
    Trigger.MEETING_ENDED,
    Trigger.AFTER_HOSTS_CAL_VIDEO_NO_SHOW,
    Trigger.AFTER_GUESTS_CAL_VIDEO_NO_SHOW,
    Trigger.RECORDING_READY,
    Trigger.RECORDING_TRANSCRIPTION_GENERATED,
    Trigger.INSTANT_MEETING,
    Trigger.INSTANT_MEETING_ACCEPTED,
]
# Maps whose keys depend on the booking form or the user's data, not on Cal.com's schema, and the
# video participants (every example's list is empty).
FREE = tuple(
    f"{prefix}{name}"
    for prefix in ("payload.", "")
    for name in ("responses", "userFieldsResponses", "metadata", "customInputs", "participants")
)
# Fields Cal.com sends that one example happens to omit (the rescheduled booking keeps its iCalUID).
EXTRAS = {Trigger.BOOKING_RESCHEDULED: {"payload.iCalUID"}}
FORM_RESPONSES = {
    "What Language do you prefer": {"value": ["English"], "response": [{"label": "English", "id": "opt-1"}]},
    "Where are you from": {"value": ["Berlin"], "response": [{"label": "Berlin", "id": "opt-2"}]},
}


def goldens(trigger: str) -> list[dict[str, Any]]:
    """Every example of ``trigger`` in the guide (some triggers have two or three)."""
    files = sorted(GOLDEN.glob(f"{trigger}.json")) + sorted(GOLDEN.glob(f"{trigger}.*.json"))
    assert files, f"no golden example for {trigger}"
    return [json.loads(f.read_text()) for f in files]


def assert_matches_goldens(trigger: str, body: dict[str, Any], extras: set[str] = frozenset()) -> None:
    body = json.loads(json.dumps(body))  # what goes over the wire
    examples = goldens(trigger)
    for example in examples:
        assert missing_or_mistyped(example, body) == []
    assert unexpected(examples, body, FREE) - extras == set()


@pytest.mark.parametrize("trigger", BOOKING_TRIGGERS, ids=str)
def test_booking_trigger_bodies_match_the_guide(trigger):
    booking, extra = sample_event(trigger)
    body = with_subscription(build_body(trigger, booking, CREATED_AT, extra), sample_webhook())
    assert_matches_goldens(trigger.value, body, EXTRAS.get(trigger, set()))


def test_form_submitted_matches_the_guide_with_root_duplicates():
    body = form_submitted_body(CREATED_AT, "form-1", "Intake", None, FORM_RESPONSES)
    assert_matches_goldens("FORM_SUBMITTED", body)
    assert body["Where are you from"] == ["Berlin"]


def test_form_submitted_no_event_matches_the_guide():
    redirect = {"type": "customPageMessage", "value": "Thanks!"}
    body = form_submitted_no_event_body(CREATED_AT, "form-1", "Intake", None, 100, redirect, FORM_RESPONSES)
    assert_matches_goldens("FORM_SUBMITTED_NO_EVENT", body)


def test_wrong_assignment_report_matches_the_guide():
    booking = {
        "uid": "bk-1",
        "id": 1,
        "title": "Sales Call",
        "startTime": datetime(2025, 1, 15, 14, tzinfo=UTC),
        "endTime": datetime(2025, 1, 15, 14, 30, tzinfo=UTC),
        "status": "accepted",
        "eventType": {"id": 100, "title": "Sales Call", "slug": "sales-call", "teamId": 50},
    }
    report = {
        "reportedBy": {"id": 1, "email": "rep@example.com", "name": "Rep"},
        "routingReason": "Company size: Enterprise",
        "guest": "lead@company.com",
        "host": {"email": "host@example.com", "name": "Host"},
        "correctAssignee": "right@example.com",
        "additionalNotes": "Enterprise team",
    }
    body = wrong_assignment_report_body(CREATED_AT, booking, report)
    assert_matches_goldens("WRONG_ASSIGNMENT_REPORT", body)
    assert body["payload"]["booking"]["status"] == "ACCEPTED"


def test_ooo_created_matches_the_guide():
    entry = goldens("OOO_CREATED")[0]["payload"]["oooEntry"]
    assert_matches_goldens("OOO_CREATED", ooo_created_body(CREATED_AT, entry))


def test_the_structure_check_fails_on_a_renamed_field():
    booking, extra = sample_event(Trigger.BOOKING_CREATED)
    body = build_body(Trigger.BOOKING_CREATED, booking, CREATED_AT, extra)
    body["payload"]["organizer"]["timezone"] = body["payload"]["organizer"].pop("timeZone")
    body["payload"]["price"] = "0"
    problems = missing_or_mistyped(goldens("BOOKING_CREATED")[0], body)
    assert problems == ["payload.organizer.timeZone: missing", "payload.price: string where the seed has number"]

"""docs/routing.md's examples route as documented, over the form and org of examples/config.yaml."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.routing_forms import (
    AssignmentRecord,
    RoutingContext,
    RoutingDecision,
    RoutingForm,
    TeamMember,
    validate_answers,
)
from domain.yaml_text import load_yaml
from routing.conditions import failed_conditions
from routing.engine import decide
from routing.validation import form_issues
from store.routing_context import routing_event_type
from worker import config_file
from worker.cli.route_render import decision_lines

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "routing.md").read_text()
CONFIG = config_file.load(ROOT / "examples" / "config.yaml")


def documented_examples() -> list[dict]:
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", DOC, flags=re.DOTALL) if b.startswith("# routing examples")]
    return load_yaml(block)


def example_form() -> RoutingForm:
    (form,) = [f for f in CONFIG.routing_forms if f.id == "sales-intake"]
    return form


def context() -> RoutingContext:
    users = {u.id: u for u in CONFIG.users}
    return RoutingContext(
        members=[TeamMember(user_id=u.id, email=str(u.email), name=u.name) for u in CONFIG.users],
        attributes=[a.attribute() for a in CONFIG.attributes],
        assignments=[held for a in CONFIG.attributes for held in a.user_assignments()],
        event_types=[routing_event_type(e, users) for e in CONFIG.event_types],
    )


def test_the_example_form_passes_every_save_time_check():
    attributes = [a.attribute() for a in CONFIG.attributes]
    assert form_issues(example_form(), attributes, {e.id for e in CONFIG.event_types}) == []


@pytest.mark.parametrize("example", documented_examples(), ids=lambda e: e["route"])
def test_each_documented_answer_routes_to_the_documented_result(example: dict):
    form = example_form()
    decision = decide(form, validate_answers(form, example["answers"]), context())
    assert decision.route_id == example["route"]
    assert decision.action.model_dump(by_alias=True, include=set(_snake(example["action"]))) == example["action"]
    assert decision.team_member_ids == example.get("teamMemberIds")


def test_the_documented_explanation_is_what_route_test_prints():
    (shown,) = [b for b in re.findall(r"```text\n(.*?)```", DOC, flags=re.DOTALL) if b.startswith("form sales-intake")]
    form = example_form()
    values = validate_answers(form, {"email": "kenji@example.jp", "employees": 800, "country": "Japan"})
    decision = decide(form, values, context())
    answers = {form.field_by_id()[k].key: v for k, v in values.items()}
    assert "\n".join(decision_lines(decision, answers, failed_conditions(form, values, decision))) + "\n" == shown


def test_weights_split_enterprise_leads_70_30_over_a_hundred_decisions():
    form = example_form()
    values = validate_answers(form, {"email": "lee@bigcorp.com", "employees": 800, "country": "United States"})
    org = context()
    for _ in range(100):
        decision = decide(form, values, org)
        org.history.append(_record(decision))
    hosts = [r.user_id for r in org.history]
    assert (hosts.count(1), hosts.count(2)) == (70, 30)


def _record(decision: RoutingDecision) -> AssignmentRecord:
    return AssignmentRecord(user_id=decision.host_user_id, assigned_at=datetime.now(UTC), event_type_id=4)


def _snake(action: dict) -> set[str]:
    return {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower() for k in action}

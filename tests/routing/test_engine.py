"""Form-level decisions: route order, fallback, attribute routing, CRM owner, trace, compile cache."""

from datetime import UTC, datetime

import pytest

from domain.crm import OwnerDecision, TraceStep
from domain.routing_forms import RoutingContext, RoutingForm, validate_answers
from routing import engine
from routing.engine import CompiledFormCache, decide
from tests.routing.conftest import form_document, group, rule


def answers(form: RoutingForm, **given: object) -> dict:
    return validate_answers(form, {"email": "lead@prospect.example.com", **given})


def test_first_matching_route_wins_and_trace_lists_each_route(form: RoutingForm) -> None:
    decision = decide(form, answers(form, name="acme corp", seats=3))
    assert decision.route_id == "r-acme"  # case-insensitive, as Cal.com
    assert [(r.route_id, r.matched) for r in decision.trace.routes] == [
        ("r-enterprise", False),
        ("r-dev", False),
        ("r-acme", True),
    ]
    assert decision.assignment_reason == "ROUTING_FORM_ROUTING"
    assert decision.trace.fallback_used is False


def test_fallback_is_tried_last(form: RoutingForm) -> None:
    decision = decide(form, answers(form, seats=2))
    assert decision.route_id == "r-fallback"
    assert decision.is_fallback and decision.trace.fallback_used
    assert decision.action.type == "customPageMessage"
    assert decision.assignment_reason == "ROUTING_FORM_ROUTING_FALLBACK"
    assert [r.matched for r in decision.trace.routes] == [False, False, False, True]


def test_fallback_listed_first_is_still_evaluated_last() -> None:
    document = form_document()
    document["routes"] = [document["routes"][3], *document["routes"][:3]]
    form = RoutingForm.model_validate(document)
    assert decide(form, answers(form, name="ACME corp")).route_id == "r-acme"


def test_multiselect_all_in_routes_subsets(form: RoutingForm) -> None:
    assert decide(form, answers(form, products=["API"])).route_id == "r-dev"
    assert decide(form, answers(form, products=["API", "UI"])).route_id == "r-dev"
    assert decide(form, answers(form, products=["API", "Billing"])).route_id == "r-fallback"


def test_empty_rule_matches() -> None:
    document = form_document()
    document["routes"][0]["queryValue"] = {"id": "root", "type": "group", "children1": {}}
    form = RoutingForm.model_validate(document)
    decision = decide(form, answers(form))
    assert decision.route_id == "r-enterprise"
    assert decision.trace.routes[0].empty_rule is True


def test_attribute_rule_with_field_value_selects_members(form: RoutingForm, context: RoutingContext) -> None:
    decision = decide(form, answers(form, seats=500, country="Germany"), context)
    assert decision.team_member_ids == [1, 2]
    assert decision.trace.attributes is not None
    assert decision.trace.attributes.checked_fallback is False
    assert decision.host_user_id in (1, 2)


def test_attribute_fallback_only_when_main_rule_matches_nobody(form: RoutingForm, context: RoutingContext) -> None:
    nobody_in_region = context.model_copy(
        update={"assignments": [a for a in context.assignments if a.attribute_id != "a-region"]}
    )
    decision = decide(form, answers(form, seats=500, country="United States"), nobody_in_region)
    assert decision.trace.attributes is not None
    assert decision.trace.attributes.checked_fallback is True
    assert decision.team_member_ids == [1, 2]  # the account executives
    matched = decide(form, answers(form, seats=500, country="United States"), context)
    assert matched.team_member_ids == [3]
    assert matched.trace.attributes is not None and matched.trace.attributes.checked_fallback is False


def test_weight_attribute_weights_the_host_choice(form: RoutingForm, context: RoutingContext) -> None:
    decision = decide(form, answers(form, seats=500, country="Germany"), context)
    assert decision.trace.attributes is not None
    assert decision.trace.attributes.weights == {1: 300, 2: 100, 3: 100}  # unweighted: 100
    assert decision.trace.host is not None
    assert decision.host_user_id == 1  # weight 300 of 400 with no history
    assert {c.user_id: c.weight for c in decision.trace.host.candidates} == {1: 300, 2: 100}


def test_host_choice_uses_the_history_passed_in(form: RoutingForm, context: RoutingContext) -> None:
    history = [{"userId": 1, "eventTypeId": 11, "assignedAt": datetime(2026, 1, d, tzinfo=UTC)} for d in (1, 2, 3)]
    busy = context.model_copy(update={"history": RoutingContext.model_validate({"history": history}).history})
    decision = decide(form, answers(form, seats=500, country="Germany"), busy)
    assert decision.host_user_id == 2  # ada already has 3 of the next 4 at weight 300/400


def test_crm_owner_who_hosts_the_event_type_is_used(form: RoutingForm, context: RoutingContext) -> None:
    owner = OwnerDecision(
        owner_email="BOB@team.example.com",
        record_type="Contact",
        trace=[TraceStep(step="contact_owner_lookup", outcome="found", reason="contact owner")],
    )
    decision = decide(form, answers(form, seats=500, country="Germany"), context, owner, "salesforce")
    assert decision.team_member_email == "BOB@team.example.com"
    assert decision.host_user_id == 2
    assert decision.crm_app_slug == "salesforce" and decision.crm_owner_record_type == "Contact"
    assert decision.assignment_reason == "SALESFORCE_ASSIGNMENT"
    assert decision.trace.crm is not None and decision.trace.crm.used
    assert decision.trace.crm.steps[0]["step"] == "contact_owner_lookup"


def test_crm_owner_outside_the_hosts_is_ignored(form: RoutingForm, context: RoutingContext) -> None:
    owner = OwnerDecision(owner_email="stranger@elsewhere.example.com")
    decision = decide(form, answers(form, seats=500, country="Germany"), context, owner, "salesforce")
    assert decision.team_member_email is None
    assert decision.trace.crm is not None and not decision.trace.crm.used
    assert "not a host" in decision.trace.crm.reason
    assert decision.assignment_reason == "ROUTING_FORM_ROUTING"


def test_route_can_skip_the_contact_owner(context: RoutingContext) -> None:
    document = form_document()
    document["routes"][0]["attributeRoutingConfig"] = {"skipContactOwner": True}
    form = RoutingForm.model_validate(document)
    decision = decide(
        form,
        answers(form, seats=500, country="Germany"),
        context,
        OwnerDecision(owner_email="bob@team.example.com"),
        "hubspot",
    )
    assert decision.skip_contact_owner is True
    assert decision.team_member_email is None
    assert decision.trace.crm is not None and decision.trace.crm.reason == "the route skips the contact owner"


def test_plain_jsonlogic_rule_by_identifier() -> None:
    document = form_document()
    document["routes"][2] = {
        "id": "r-big",
        "jsonLogic": {"and": [{">": [{"var": "seats"}, 10]}, {"==": [{"var": "country"}, "O-DE"]}]},
        "action": {"type": "customPageMessage", "value": "big German team"},
    }
    form = RoutingForm.model_validate(document)
    assert decide(form, answers(form, seats=50, country="Germany")).route_id == "r-big"
    assert decide(form, answers(form, seats=50, country="United States")).route_id == "r-fallback"


def test_rule_errors_count_as_no_match_and_are_traced() -> None:
    document = form_document()
    document["routes"][2] = {
        "id": "r-broken",
        "jsonLogic": {"/": [1, {"var": "seats"}]},
        "action": {"type": "customPageMessage", "value": "x"},
    }
    form = RoutingForm.model_validate(document)
    decision = decide(form, answers(form, seats=0))
    assert decision.route_id == "r-fallback"
    broken = decision.trace.routes[2]
    assert broken.route_id == "r-broken" and not broken.matched and "NaN" in (broken.error or "")


def test_decision_is_deterministic(form: RoutingForm, context: RoutingContext) -> None:
    values = answers(form, seats=500, country="Germany")
    assert decide(form, values, context) == decide(form, values, context)


def test_rules_compile_once_per_form_version(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = CompiledFormCache()
    monkeypatch.setattr(engine, "FORM_CACHE", cache)
    compiled_nodes = []
    original = engine.compile_node
    monkeypatch.setattr(engine, "compile_node", lambda *a: compiled_nodes.append(a) or original(*a))
    form = RoutingForm.model_validate(form_document(id="cache-form"))
    for seats in (1, 200, 3):
        decide(form, answers(form, seats=seats))
    assert cache.compilations == 1
    assert len(compiled_nodes) == 3  # the three non-fallback rules, once
    changed = form.model_copy(update={"version": 2})
    decide(changed, answers(changed, seats=1))
    decide(changed, answers(changed, seats=2))
    assert cache.compilations == 2
    assert cache.get(form) is cache.get(form)


def test_changed_rules_under_the_same_version_are_never_served_stale() -> None:
    form = RoutingForm.model_validate(form_document(id="stale-form"))
    values = answers(form, seats=500)
    assert decide(form, values).route_id == "r-enterprise"
    document = form_document(id="stale-form")
    document["routes"][0]["queryValue"] = group(rule("f-seats", "greater_or_equal", 1000))
    edited = RoutingForm.model_validate(document)
    assert decide(edited, values).route_id == "r-fallback"

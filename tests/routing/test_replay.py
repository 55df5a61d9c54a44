"""What-if replay reports exactly the decisions that change under new rules."""

from domain.routing_forms import RoutingContext, RoutingForm, validate_answers
from routing.engine import decide
from routing.replay import StoredResponse, replay
from tests.routing.conftest import form_document, group, rule


def test_replay_lists_changed_decisions_old_to_new(form: RoutingForm, context: RoutingContext) -> None:
    submissions = {1: {"seats": 150}, 2: {"seats": 40}, 3: {"seats": 5}, 4: {"name": "acme corp", "seats": 60}}
    stored = []
    for response_id, given in submissions.items():
        values = validate_answers(form, {"email": "x@example.com", "country": "Germany", **given})
        stored.append(StoredResponse(id=response_id, values=values, decision=decide(form, values, context)))

    document = form_document()
    document["routes"][0]["queryValue"] = group(rule("f-seats", "greater_or_equal", 50))  # enterprise from 50 seats
    new_form = RoutingForm.model_validate(document)
    seen: list[int] = []
    report = replay(new_form, stored, context, progress=seen.append)

    assert report.total == 4 and seen == [1, 2, 3, 4]
    assert report.changed == 1
    change = report.changes[0]
    assert change.response_id == 4
    assert (change.old.route_id, change.new.route_id) == ("r-acme", "r-enterprise")
    assert change.new.team_member_ids == [1, 2]


def test_replay_of_unchanged_rules_changes_nothing(form: RoutingForm) -> None:
    values = validate_answers(form, {"email": "x@example.com", "seats": 500})
    report = replay(form, [StoredResponse(id="a", values=values, decision=decide(form, values))])
    assert (report.total, report.changed, report.changes) == (1, 0, [])

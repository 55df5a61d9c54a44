"""Forms are refused with a message naming route and field; answers are checked field by field."""

import pytest

from domain.routing_forms import AnswerError, Attribute, RoutingForm, validate_answers
from routing.engine import compile_form
from routing.validation import FormValidationError, form_issues, validate_form
from tests.routing.conftest import form_document, group, rule


def issues_of(document: dict, attributes: list[Attribute] | None = None) -> list[str]:
    return [str(i) for i in form_issues(RoutingForm.model_validate(document), attributes)]


def test_valid_form_passes(form: RoutingForm) -> None:
    validate_form(form)


def test_missing_fallback_is_refused() -> None:
    document = form_document()
    document["routes"] = document["routes"][:3]
    with pytest.raises(FormValidationError, match="Fallback route is missing"):
        compile_form(RoutingForm.model_validate(document))


def test_two_fallbacks_are_refused() -> None:
    document = form_document()
    document["routes"][2]["isFallback"] = True
    assert any("more than one fallback route ('Acme', 'Everyone else')" in i for i in issues_of(document))


def test_rule_naming_unknown_field() -> None:
    document = form_document()
    document["routes"][1]["queryValue"] = group(rule("f-budget", "greater", 5))
    assert issues_of(document) == [
        "route 'Developers', field 'f-budget': the rule names a field the form does not have"
    ]


def test_operator_must_fit_the_field_type() -> None:
    document = form_document()
    document["routes"][2]["queryValue"] = group(rule("f-seats", "like", "10"))
    assert issues_of(document) == [
        "route 'Acme', field 'seats' (f-seats): operator 'like' does not fit a number field; use one of: between, "
        "equal, greater, greater_or_equal, is_empty, is_not_empty, less, less_or_equal, not_between, not_equal"
    ]


def test_select_value_must_be_an_option() -> None:
    document = form_document()
    document["routes"][2]["queryValue"] = group(rule("f-country", "select_equals", "o-fr"))
    assert issues_of(document) == [
        "route 'Acme', field 'country' (f-country): 'o-fr' is not one of the field's options; "
        "use one of the option ids 'o-de', 'o-us'"
    ]


def test_plain_jsonlogic_is_checked() -> None:
    document = form_document()
    document["routes"][2] = {
        "id": "r-x",
        "jsonLogic": {"regex": [{"var": "budget"}, "x"]},
        "action": {"type": "customPageMessage", "value": "x"},
    }
    found = issues_of(document)
    assert "route 'r-x', field 'budget': the rule names a field the form does not have" in found
    assert any("route 'r-x': the rule does not compile" in i and "regex" in i for i in found)


def test_attribute_rules_are_checked_against_attributes(context) -> None:  # type: ignore[no-untyped-def]
    document = form_document()
    document["routes"][0]["attributesQueryValue"] = group(
        rule("a-region", "multiselect_some_in", ["opt-de"]), rule("a-team", "select_equals", "x")
    )
    found = issues_of(document, context.attributes)
    assert (
        "route 'Enterprise', field 'Region' (a-region): operator 'multiselect_some_in' does not fit a SINGLE_SELECT "
        "attribute; use one of: is_empty, is_not_empty, select_any_in, select_equals, select_not_any_in, "
        "select_not_equals" in found
    )
    assert "route 'Enterprise', field 'a-team': the attribute rule names an unknown attribute" in found


def test_fallback_with_a_rule_is_refused() -> None:
    document = form_document()
    document["routes"][3]["queryValue"] = group(rule("f-seats", "greater", 5))
    assert issues_of(document) == ["route 'Everyone else': the fallback route matches everything; remove its rule"]


def test_action_needs_its_target() -> None:
    document = form_document()
    document["routes"][0]["action"] = {"type": "eventTypeRedirectUrl", "value": "team/sales/x"}
    with pytest.raises(ValueError, match="eventTypeRedirectUrl needs eventTypeId"):
        RoutingForm.model_validate(document)


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({}, "email", "is required"),
        ({"email": "not-an-email"}, "email", "should be a valid email"),
        ({"email": "a@example.com", "phone": "12"}, "phone", "should be a phone number"),
        ({"email": "a@example.com", "seats": "many"}, "seats", "should be a number"),
        ({"email": "a@example.com", "country": "France"}, "country", "is not one of its options"),
    ],
)
def test_bad_answers_name_the_field(form: RoutingForm, given: dict, field: str, message: str) -> None:
    with pytest.raises(AnswerError) as raised:
        validate_answers(form, given)
    assert raised.value.field == field
    assert message in str(raised.value)


def test_answers_are_keyed_by_field_id(form: RoutingForm) -> None:
    values = validate_answers(
        form,
        {
            "email": " a@example.com ",
            "phone": "+14155552671",
            "seats": "12",
            "country": "germany",
            "products": ["p-api", "UI"],
            "cal.isBookingDryRun": "true",
        },
    )
    assert values == {
        "f-email": "a@example.com",
        "f-phone": "+14155552671",
        "f-seats": 12,
        "f-country": "o-de",
        "f-products": ["p-api", "p-ui"],
    }


def test_a_label_given_as_a_query_builder_value_is_refused_with_the_option_id() -> None:
    document = form_document()
    document["routes"][2]["queryValue"] = group(rule("f-country", "select_equals", "Germany"))
    assert issues_of(document) == [
        "route 'Acme', field 'country' (f-country): 'Germany' is not one of the field's options; "
        "answers hold the option id, not its label: write 'o-de'"
    ]


def test_a_label_in_a_json_logic_rule_is_refused_with_the_option_id() -> None:
    document = form_document()
    document["routes"][2] = {
        "id": "r-de",
        "jsonLogic": {"==": [{"var": "country"}, "Germany"]},
        "action": {"type": "customPageMessage", "value": "Hallo"},
    }
    assert issues_of(document) == [
        "route 'r-de', field 'country' (f-country): 'Germany' is not one of the field's options; "
        "answers hold the option id, not its label: write 'o-de'"
    ]
    document["routes"][2]["jsonLogic"] = {"in": [{"var": "products"}, ["p-api", "Billing"]]}
    assert issues_of(document) == [
        "route 'r-de', field 'products' (f-products): 'Billing' is not one of the field's options; "
        "answers hold the option id, not its label: write 'p-bill'"
    ]


def test_a_route_to_a_missing_event_type_is_refused_with_the_fix() -> None:
    form = RoutingForm.model_validate(form_document())
    targets = {r.action.event_type_id for r in form.routes if r.action.event_type_id is not None}
    assert form_issues(form, event_type_ids=targets) == []
    missing = sorted(targets)[0]
    problems = [str(i) for i in form_issues(form, event_type_ids=targets - {missing})]
    assert problems and all(f"routes to event type {missing}, which does not exist" in p for p in problems)
    assert all("fix: set action.eventTypeId to one of" in p for p in problems)


def test_a_route_to_a_hidden_event_type_is_refused_with_the_fix() -> None:
    form = RoutingForm.model_validate(form_document())
    targets = {r.action.event_type_id for r in form.routes if r.action.event_type_id is not None}
    hidden = sorted(targets)[0]
    problems = [str(i) for i in form_issues(form, event_type_ids=targets | {77}, hidden_event_type_ids={hidden})]
    assert problems and all(
        f"routes to event type {hidden}, which is hidden (submitters could not book it)" in p for p in problems
    )
    bookable = sorted((targets | {77}) - {hidden})
    assert all(
        f"fix: set action.eventTypeId to one of {bookable}, or unhide event type {hidden}" in p for p in problems
    )
    assert all(p.startswith("route ") for p in problems)  # each names its route

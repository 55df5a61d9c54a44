"""Cal.com's routing-form operators (jsonLogicOverrides) and query-builder conversion."""

import pytest

from routing.calcom_logic import CALCOM
from routing.jsonlogic import apply, compile
from routing.querybuilder import QueryBuilderError, to_jsonlogic


def calcom(rule: dict, data: dict) -> object:
    return apply(rule, data, CALCOM)


def tree(*rules: dict, conjunction: str = "AND", negate: bool = False) -> dict:
    children = {f"r{i}": {"type": "rule", "properties": rule} for i, rule in enumerate(rules)}
    return {
        "id": "g",
        "type": "group",
        "children1": children,
        "properties": {"conjunction": conjunction, "not": negate},
    }


def rule(field: str, operator: str, *values: object) -> dict:
    return {"field": field, "operator": operator, "value": list(values), "valueSrc": ["value"] * len(values)}


@pytest.mark.parametrize("op", ["==", "==="])
def test_equality_ignores_case(op: str) -> None:
    assert calcom({op: [{"var": "f"}, "Enterprise"]}, {"f": "ENTERPRISE"}) is True
    assert calcom({op: [{"var": "f"}, "Enterprise"]}, {"f": "startup"}) is False


@pytest.mark.parametrize("op", ["!=", "!=="])
def test_inequality_ignores_case(op: str) -> None:
    assert calcom({op: [{"var": "f"}, "Enterprise"]}, {"f": "enterprise"}) is False
    assert calcom({op: [{"var": "f"}, "Enterprise"]}, {"f": "startup"}) is True


def test_strict_equality_keeps_types() -> None:
    assert calcom({"===": [{"var": "n"}, "5"]}, {"n": 5}) is False
    assert calcom({"==": [{"var": "n"}, "5"]}, {"n": 5}) is True


def test_in_ignores_case_for_substrings_and_lists() -> None:
    assert calcom({"in": ["ACME", {"var": "c"}]}, {"c": "the acme company"}) is True
    assert calcom({"in": [{"var": "c"}, ["US", "Canada"]]}, {"c": "canada"}) is True
    assert calcom({"in": [{"var": "c"}, ["US", "Canada"]]}, {"c": "Mexico"}) is False
    assert calcom({"in": ["x", {"var": "missing"}]}, {}) is False


def test_starts_with() -> None:
    assert calcom({"starts_with": [{"var": "p"}, "+49"]}, {"p": "+4930123"}) is True
    assert calcom({"starts_with": [{"var": "e"}, "SALES"]}, {"e": "sales@acme.com"}) is True
    assert calcom({"starts_with": [{"var": "e"}, ""]}, {"e": "x"}) is False
    assert calcom({"starts_with": [{"var": "n"}, "1"]}, {"n": 12}) is False


def test_multiselect_all_in_is_a_subset_test() -> None:
    logic = to_jsonlogic(tree(rule("m", "multiselect_equals", ["API", "UI"])))
    check = compile(logic, CALCOM)
    assert check({"m": ["api"]}) is True  # a subset matches ("wrongly implemented as includes")
    assert check({"m": ["API", "UI"]}) is True
    assert check({"m": ["API", "Billing"]}) is False
    assert check({}) is False  # unanswered: no match, no error


def test_multiselect_some_in() -> None:
    check = compile(to_jsonlogic(tree(rule("m", "multiselect_some_in", ["a", "b"]))), CALCOM)
    assert check({"m": ["x", "B"]}) is True
    assert check({"m": ["x"]}) is False


def test_empty_group_has_no_logic() -> None:
    assert to_jsonlogic({"id": "g", "type": "group", "children1": {}}) is None
    assert to_jsonlogic({"id": "g", "type": "group"}) is None
    assert to_jsonlogic(tree(rule("f", "select_equals"))) is None  # incomplete rules are dropped


@pytest.mark.parametrize(
    ("query_rule", "expected"),
    [
        (rule("f", "equal", "x"), {"==": [{"var": "f"}, "x"]}),
        (rule("f", "not_equal", "x"), {"!=": [{"var": "f"}, "x"]}),
        (rule("f", "select_equals", "o1"), {"==": [{"var": "f"}, "o1"]}),
        (rule("f", "select_any_in", ["o1", "o2"]), {"in": [{"var": "f"}, ["o1", "o2"]]}),
        (rule("f", "select_not_any_in", ["o1"]), {"!": {"in": [{"var": "f"}, ["o1"]]}}),
        (rule("f", "like", "acme"), {"in": ["acme", {"var": "f"}]}),
        (rule("f", "not_like", "acme"), {"!": {"in": ["acme", {"var": "f"}]}}),
        (rule("f", "starts_with", "ac"), {"starts_with": [{"var": "f"}, "ac"]}),
        (rule("f", "is_empty"), {"!": {"var": "f"}}),
        (rule("f", "is_not_empty"), {"!!": {"var": "f"}}),
        (rule("f", "greater", 5), {">": [{"var": "f"}, 5]}),
        (rule("f", "less_or_equal", 5), {"<=": [{"var": "f"}, 5]}),
        (rule("f", "between", "10", "20.7"), {"and": [{">=": [{"var": "f"}, 10]}, {"<=": [{"var": "f"}, 20]}]}),
        (rule("f", "not_between", 1, 2), {"or": [{"<": [{"var": "f"}, 1]}, {">": [{"var": "f"}, 2]}]}),
        (rule("f", "multiselect_all_in", ["a"]), {"all": [{"var": "f"}, {"in": [{"var": ""}, ["a"]]}]}),
        (rule("f", "multiselect_not_some_in", ["a"]), {"!": {"some": [{"var": "f"}, {"in": [{"var": ""}, ["a"]]}]}}),
    ],
)
def test_operator_conversion(query_rule: dict, expected: dict) -> None:
    assert to_jsonlogic(tree(query_rule)) == {"and": [expected]}


def test_conjunction_and_negation() -> None:
    logic = to_jsonlogic(tree(rule("a", "equal", 1), rule("b", "equal", 2), conjunction="OR", negate=True))
    assert logic == {"!": {"or": [{"==": [{"var": "a"}, 1]}, {"==": [{"var": "b"}, 2]}]}}
    assert calcom(logic, {"a": 1}) is False
    assert calcom(logic, {"a": 3, "b": 4}) is True


def test_between_is_inclusive_with_integer_bounds() -> None:
    check = compile(to_jsonlogic(tree(rule("n", "between", 10, 20))), CALCOM)
    assert [check({"n": v}) for v in (9, 10, "15", 20, 21)] == [False, True, True, True, False]


def test_unsupported_operator_names_the_field() -> None:
    with pytest.raises(QueryBuilderError) as raised:
        to_jsonlogic(tree(rule("company", "ends_with", "inc")))
    assert raised.value.field == "company"
    assert "ends_with" in str(raised.value)


def test_number_comparisons_follow_javascript() -> None:
    assert calcom({">": [{"var": "n"}, 10]}, {"n": "20"}) is True
    assert calcom({">": [{"var": "n"}, 10]}, {"n": "abc"}) is False  # NaN compares false, no error
    assert calcom({"<": [{"var": "missing"}, 10]}, {}) is True  # null is 0, as in json-logic-js

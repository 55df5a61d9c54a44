"""Form validation before a form is saved: every problem names the route and the field.

Checks: exactly one fallback route; unique field and route ids; every rule names a field of the form
(or, for attribute rules, a known attribute); the operator fits the field's type; chosen options
exist; plain JsonLogic rules compile with Cal.com's operators.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from domain.routing_forms import MULTI_CHOICE, SINGLE_CHOICE, TEXTUAL, Attribute, FormField, Route, RoutingForm
from routing.attributes import FIELD_TEMPLATE
from routing.calcom_logic import CALCOM
from routing.jsonlogic import JsonLogicError, compile_node
from routing.querybuilder import (
    BOOLEAN_OPERATORS,
    MULTISELECT_OPERATORS,
    NUMBER_OPERATORS,
    SELECT_OPERATORS,
    TEXT_OPERATORS,
    QueryBuilderError,
    QueryRule,
    iter_rules,
    to_jsonlogic,
)


@dataclass(frozen=True)
class FormIssue:
    route: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.route is not None:
            where.append(f"route {self.route!r}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class FormValidationError(ValueError):
    """The form is refused; ``issues`` lists every problem found."""

    def __init__(self, issues: list[FormIssue]) -> None:
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues


def field_operators(field: FormField) -> frozenset[str]:
    """The query-builder operators that fit a form field's type."""
    if field.type in SINGLE_CHOICE:
        return SELECT_OPERATORS
    if field.type in MULTI_CHOICE:
        return MULTISELECT_OPERATORS if field.options else BOOLEAN_OPERATORS
    if field.type == "number":
        return NUMBER_OPERATORS
    assert field.type in TEXTUAL
    return TEXT_OPERATORS


ATTRIBUTE_OPERATORS: dict[str, frozenset[str]] = {
    "TEXT": TEXT_OPERATORS,
    "NUMBER": NUMBER_OPERATORS,
    "SINGLE_SELECT": SELECT_OPERATORS,
    "MULTI_SELECT": MULTISELECT_OPERATORS | SELECT_OPERATORS,
}


def _chosen(values: tuple) -> Iterator[Any]:
    for value in values:
        yield from value if isinstance(value, list) else [value]


def _field_rule_issues(route: Route, rule: QueryRule, fields: dict[str, FormField]) -> Iterator[FormIssue]:
    field = fields.get(rule.field or "")
    if field is None:
        yield FormIssue(route.label, rule.field, "the rule names a field the form does not have")
        return
    if rule.operator not in field_operators(field):
        yield FormIssue(route.label, field.key, f"operator {rule.operator!r} does not fit a {field.type} field")
        return
    if field.options and rule.complete:
        keys = {o.key for o in field.options}
        for value in _chosen(rule.values):
            if isinstance(value, str) and value not in keys:
                yield FormIssue(route.label, field.key, f"{value!r} is not one of the field's options")


def _attribute_rule_issues(
    route: Route, rule: QueryRule, attributes: dict[str, Attribute], fields: dict[str, FormField]
) -> Iterator[FormIssue]:
    attribute = attributes.get(rule.field or "")
    if attribute is None:
        yield FormIssue(route.label, rule.field, "the attribute rule names an unknown attribute")
        return
    if rule.operator not in ATTRIBUTE_OPERATORS[attribute.type]:
        yield FormIssue(
            route.label, attribute.name, f"operator {rule.operator!r} does not fit a {attribute.type} attribute"
        )
        return
    options = {o.id for o in attribute.options}
    for value in _chosen(rule.values):
        template = FIELD_TEMPLATE.match(value) if isinstance(value, str) else None
        if template is not None:
            if template.group(1) not in fields:
                yield FormIssue(
                    route.label, template.group(1), "the attribute rule refers to a field the form does not have"
                )
        elif options and isinstance(value, str) and value not in options:
            yield FormIssue(route.label, attribute.name, f"{value!r} is not an option of the attribute")


def _logic_issues(route: Route, logic: Any, what: str) -> Iterator[FormIssue]:
    try:
        compile_node(logic, CALCOM)
    except JsonLogicError as error:
        yield FormIssue(route.label, None, f"{what} does not compile: {error}")


def _json_logic_vars(rule: Any) -> Iterator[str]:
    if isinstance(rule, dict):
        for op, args in rule.items():
            if op == "var":
                key = args[0] if isinstance(args, list) and args else args
                if isinstance(key, str) and key:
                    yield key.split(".")[0]
            else:
                yield from _json_logic_vars(args)
    elif isinstance(rule, list):
        for item in rule:
            yield from _json_logic_vars(item)


def _route_issues(
    route: Route, fields: dict[str, FormField], attributes: dict[str, Attribute] | None
) -> Iterator[FormIssue]:
    if route.query_value is not None:
        for rule in iter_rules(route.query_value):
            yield from _field_rule_issues(route, rule, fields)
        try:
            logic = to_jsonlogic(route.query_value)
        except QueryBuilderError as error:
            yield FormIssue(route.label, error.field, str(error))
        else:
            yield from _logic_issues(route, logic, "the rule")
    if route.json_logic is not None:
        names = set(fields) | {f.key for f in fields.values()}
        for name in _json_logic_vars(route.json_logic):
            if name not in names:
                yield FormIssue(route.label, name, "the rule names a field the form does not have")
        yield from _logic_issues(route, route.json_logic, "the rule")
    for tree in (route.attributes_query_value, route.fallback_attributes_query_value):
        if tree is None or attributes is None:
            continue
        for rule in iter_rules(tree):
            yield from _attribute_rule_issues(route, rule, attributes, fields)
    if attributes is not None and route.attribute_id_for_weights and route.attribute_id_for_weights not in attributes:
        yield FormIssue(route.label, route.attribute_id_for_weights, "the weight attribute is unknown")


def _has_rule(route: Route) -> bool:
    return route.json_logic is not None or to_jsonlogic(route.query_value) is not None


def form_issues(form: RoutingForm, attributes: Sequence[Attribute] | None = None) -> list[FormIssue]:
    """Every problem of ``form``; attribute rules are checked only when ``attributes`` are given."""
    issues: list[FormIssue] = []
    fields = {f.id: f for f in form.fields if not f.deleted}
    for kind, names in (
        ("field id", [f.id for f in form.fields]),
        ("field identifier", [f.key for f in fields.values()]),
        ("route id", [r.id for r in form.routes]),
    ):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        issues.extend(FormIssue(None, None, f"{kind} {name!r} is used more than once") for name in duplicates)
    fallbacks = [r for r in form.routes if r.is_fallback]
    if not fallbacks:
        issues.append(FormIssue(None, None, "Fallback route is missing: exactly one route must be the fallback"))
    elif len(fallbacks) > 1:
        names = ", ".join(repr(r.label) for r in fallbacks)
        issues.append(FormIssue(None, None, f"more than one fallback route ({names}); exactly one is allowed"))
    by_id = {a.id: a for a in attributes} if attributes is not None else None
    for route in form.routes:
        route_issues = list(_route_issues(route, fields, by_id))
        issues.extend(route_issues)
        if route.is_fallback and not route_issues and _has_rule(route):
            issues.append(FormIssue(route.label, None, "the fallback route matches everything; remove its rule"))
    return issues


def validate_form(form: RoutingForm, attributes: Sequence[Attribute] | None = None) -> None:
    """Raise ``FormValidationError`` (naming route and field) unless ``form`` can be saved."""
    issues = form_issues(form, attributes)
    if issues:
        raise FormValidationError(issues)

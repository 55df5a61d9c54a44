"""Form validation before a form is saved: every problem names the route and the field.

Checks: exactly one fallback route; unique field and route ids; every rule names a field of the form
(or, for attribute rules, a known attribute); the operator fits the field's type; chosen options
exist; plain JsonLogic rules compile with Cal.com's operators.
"""

from collections.abc import Collection, Iterator, Sequence
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
    field_id: str | None = None

    def __str__(self) -> str:
        where = []
        if self.route is not None:
            where.append(f"route {self.route!r}")
        if self.field is not None:
            shown = f"field {self.field!r}"
            where.append(shown + (f" ({self.field_id})" if self.field_id and self.field_id != self.field else ""))
        return f"{', '.join(where)}: {self.message}" if where else self.message


def _field_issue(route: Route, field: FormField, message: str) -> FormIssue:
    """An issue about a form field, named by its identifier with its id alongside."""
    return FormIssue(route.label, field.key, message, field.id)


def _operators_hint(operators: frozenset[str]) -> str:
    return "use one of: " + ", ".join(sorted(operators))


def _option_issue(route: Route, field: FormField, value: str) -> FormIssue:
    """A rule value that is not an option key; suggests the key when ``value`` is an option's label."""
    by_label = {o.label.lower(): o.key for o in field.options}
    suggestion = by_label.get(value.lower())
    if suggestion is not None and suggestion != value:
        fix = f"answers hold the option id, not its label: write {suggestion!r}"
    else:
        fix = "use one of the option ids " + ", ".join(repr(o.key) for o in field.options)
    return _field_issue(route, field, f"{value!r} is not one of the field's options; {fix}")


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
    fitting = field_operators(field)
    if rule.operator not in fitting:
        message = f"operator {rule.operator!r} does not fit a {field.type} field; {_operators_hint(fitting)}"
        yield _field_issue(route, field, message)
        return
    if field.options and rule.complete:
        keys = {o.key for o in field.options}
        for value in _chosen(rule.values):
            if isinstance(value, str) and value not in keys:
                yield _option_issue(route, field, value)


def _attribute_rule_issues(
    route: Route, rule: QueryRule, attributes: dict[str, Attribute], fields: dict[str, FormField]
) -> Iterator[FormIssue]:
    attribute = attributes.get(rule.field or "")
    if attribute is None:
        yield FormIssue(route.label, rule.field, "the attribute rule names an unknown attribute")
        return
    fitting = ATTRIBUTE_OPERATORS[attribute.type]
    if rule.operator not in fitting:
        message = f"operator {rule.operator!r} does not fit a {attribute.type} attribute; {_operators_hint(fitting)}"
        yield FormIssue(route.label, attribute.name, message, attribute.id)
        return
    options = {o.id for o in attribute.options}
    for value in _chosen(rule.values):
        template = FIELD_TEMPLATE.match(value) if isinstance(value, str) else None
        if template is not None:
            if template.group(1) not in fields:
                known = ", ".join(f"{{field:{f.id}}} ({f.key})" for f in fields.values())
                message = f"the attribute rule refers to a field the form does not have; use one of {known}"
                yield FormIssue(route.label, template.group(1), message)
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


def _var_field(node: Any, fields: dict[str, FormField]) -> FormField | None:
    """The choice field a ``{"var": ...}`` node reads (by id or identifier), if it is one."""
    if not (isinstance(node, dict) and set(node) == {"var"}):
        return None
    key = node["var"][0] if isinstance(node["var"], list) and node["var"] else node["var"]
    if not isinstance(key, str):
        return None
    field = fields.get(key) or next((f for f in fields.values() if f.key == key), None)
    return field if field is not None and field.options else None


def _literals(node: Any) -> Iterator[str]:
    """The string literals of a JsonLogic expression (not inside ``var``)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _literals(item)
    elif isinstance(node, dict) and "var" not in node:
        for args in node.values():
            yield from _literals(args)


def _json_logic_value_issues(route: Route, logic: Any, fields: dict[str, FormField]) -> Iterator[FormIssue]:
    """Literals compared with a choice field must be its option keys (answers hold ids, not labels)."""
    if isinstance(logic, list):
        for item in logic:
            yield from _json_logic_value_issues(route, item, fields)
        return
    if not isinstance(logic, dict):
        return
    for args in logic.values():
        items = args if isinstance(args, list) else [args]
        field = next((f for f in (_var_field(a, fields) for a in items) if f is not None), None)
        if field is None:
            yield from _json_logic_value_issues(route, items, fields)
            continue
        keys = {o.key.lower() for o in field.options}  # Cal.com's JsonLogic compares case-insensitively
        for value in _literals([a for a in items if _var_field(a, fields) is None]):
            if value and value.lower() not in keys:
                yield _option_issue(route, field, value)


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
        yield from _json_logic_value_issues(route, route.json_logic, fields)
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


def target_issues(
    form: RoutingForm, event_type_ids: Collection[int], hidden_event_type_ids: Collection[int] = ()
) -> list[FormIssue]:
    """Routes that send submitters to an event type that does not exist or is hidden from booking."""
    bookable = sorted(set(event_type_ids) - set(hidden_event_type_ids))
    choices = f"one of {bookable}" if bookable else "a configured event type that is not hidden"
    issues = []
    for route in form.routes:
        target = route.action.event_type_id
        if route.action.type != "eventTypeRedirectUrl":
            continue
        if target not in event_type_ids:
            why = "which does not exist"
        elif target in hidden_event_type_ids:
            why = "which is hidden (submitters could not book it)"
        else:
            continue
        fix = f"fix: set action.eventTypeId to {choices}"
        if target in hidden_event_type_ids:
            fix += f", or unhide event type {target}"
        issues.append(FormIssue(route.label, None, f"routes to event type {target}, {why}; {fix}"))
    return issues


def form_issues(
    form: RoutingForm,
    attributes: Sequence[Attribute] | None = None,
    event_type_ids: Collection[int] | None = None,
    hidden_event_type_ids: Collection[int] = (),
) -> list[FormIssue]:
    """Every problem of ``form``; attribute rules and route targets are checked only when given."""
    issues: list[FormIssue] = []
    if event_type_ids is not None:
        issues.extend(target_issues(form, event_type_ids, hidden_event_type_ids))
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


def validate_form(
    form: RoutingForm,
    attributes: Sequence[Attribute] | None = None,
    event_type_ids: Collection[int] | None = None,
    hidden_event_type_ids: Collection[int] = (),
) -> None:
    """Raise ``FormValidationError`` (naming route and field) unless ``form`` can be saved."""
    issues = form_issues(form, attributes, event_type_ids, hidden_event_type_ids)
    if issues:
        raise FormValidationError(issues)

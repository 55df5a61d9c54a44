"""The routing-form editor's rows: a form as rows of fields, options, routes and conditions, and back.

The editor posts the whole form as flat HTML form fields (``f.0.label``, ``r.1.c.0.op``, ...); this module
turns a stored form into rows for the template and the posted fields back into a form document in
Cal.com's shapes (a query-builder tree per route), so the API's own validation judges the result.
A route whose rule the builder cannot show (hand-written JsonLogic, nested groups) keeps its rule as JSON.
"""

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from domain.routing_forms import RoutingForm

FIELD_TYPES = ("text", "textarea", "email", "phone", "number", "select", "multiselect", "radio", "checkbox")
ACTION_TYPES = {
    "eventTypeRedirectUrl": "Book an event type",
    "customPageMessage": "Show a message",
    "externalRedirectUrl": "Redirect to a URL",
}
# How an operator reads in the builder (the operators themselves come from the engine's table).
OPERATOR_LABELS = {
    "equal": "equals",
    "not_equal": "does not equal",
    "select_equals": "is",
    "select_not_equals": "is not",
    "select_any_in": "is any of",
    "select_not_any_in": "is none of",
    "like": "contains",
    "not_like": "does not contain",
    "starts_with": "starts with",
    "less": "<",
    "less_or_equal": "≤",
    "greater": ">",
    "greater_or_equal": "≥",
    "between": "is between",
    "not_between": "is not between",
    "is_empty": "is empty",
    "is_not_empty": "is not empty",
    "multiselect_some_in": "includes any of",
    "multiselect_not_some_in": "includes none of",
    "multiselect_all_in": "includes all of",
    "multiselect_not_all_in": "does not include all of",
    "multiselect_equals": "is exactly",
    "multiselect_not_equals": "is not exactly",
}
FIELD_TEMPLATE = re.compile(r"^\{field:([^}]+)\}$")


def takes_list(operator: str) -> bool:
    """Whether the operator's one value is a list of options (Cal.com: ``value: [[a, b]]``)."""
    return operator.startswith("multiselect_") or operator in ("select_any_in", "select_not_any_in")


class OptionRow(BaseModel):
    """One option of a select field, as typed."""

    id: str = ""
    label: str = ""


class FieldRow(BaseModel):
    """One form field, as typed."""

    id: str
    identifier: str = ""
    label: str = ""
    type: str = "text"
    required: bool = False
    options: list[OptionRow] = []


class ConditionRow(BaseModel):
    """One rule of a route: ``field`` is a form field id (or an attribute id in attribute rules)."""

    id: str
    field: str = ""
    operator: str = ""
    values: list[str] = []  # the chosen option ids, or one text/number value
    value2: str = ""  # the upper bound of between


class RouteRow(BaseModel):
    """One route: its action, its conditions (or a rule the builder cannot show) and, for admins, attribute routing."""

    id: str
    name: str = ""
    is_fallback: bool = False
    action_type: str = "customPageMessage"
    event_type_id: str = ""
    action_value: str = ""
    conjunction: str = "AND"
    conditions: list[ConditionRow] = []
    raw_rule: str | None = None  # JSON the builder cannot show; edited as text
    attribute_conjunction: str = "AND"
    attribute_conditions: list[ConditionRow] = []
    weights_attribute: str = ""
    skip_contact_owner: bool = False

    @property
    def label(self) -> str:
        """How problems name the route: its name, else its id."""
        return self.name or self.id


class FormRows(BaseModel):
    """A whole form as the editor shows it."""

    id: str
    name: str
    description: str = ""
    fields: list[FieldRow]
    routes: list[RouteRow]


def new_id(prefix: str) -> str:
    """A fresh id for a row added in the editor (``f-1a2b3c4d``)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# -- stored form → rows -----------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _condition(rule_id: str, props: Mapping[str, Any]) -> ConditionRow:
    operator = _text(props.get("operator"))
    values = list(props.get("value") or [])
    row = ConditionRow(id=rule_id, field=_text(props.get("field")), operator=operator)
    if takes_list(operator):
        first = values[0] if values else []
        row.values = [_text(v) for v in (first if isinstance(first, list) else [first])]
    elif operator in ("between", "not_between"):
        row.values = [_text(values[0])] if values else []
        row.value2 = _text(values[1]) if len(values) > 1 else ""
    elif values:
        row.values = [_text(values[0])]
    return row


def _flat_rules(tree: Mapping[str, Any] | None) -> tuple[str, list[ConditionRow]] | None:
    """(conjunction, rules) of a one-level tree; None when the tree nests groups (the builder is flat)."""
    if not tree:
        return "AND", []
    props = tree.get("properties") or {}
    if props.get("not"):
        return None
    children = tree.get("children1") or {}
    items = (
        children.items() if isinstance(children, dict) else ((c.get("id", str(i)), c) for i, c in enumerate(children))
    )
    rows = []
    for rule_id, child in items:
        if not isinstance(child, dict) or child.get("type") != "rule":
            return None
        rows.append(_condition(str(child.get("id") or rule_id), child.get("properties") or {}))
    return str(props.get("conjunction") or "AND").upper(), rows


def form_rows(form: RoutingForm) -> FormRows:
    """A stored form as editor rows."""
    fields = [
        FieldRow(
            id=f.id,
            identifier=f.identifier or "",
            label=f.label,
            type=f.type,
            required=f.required,
            options=[OptionRow(id=o.id or "", label=o.label) for o in f.options],
        )
        for f in form.fields
        if not f.deleted
    ]
    routes = []
    for r in form.routes:
        row = RouteRow(
            id=r.id,
            name=r.name or "",
            is_fallback=r.is_fallback,
            action_type=r.action.type,
            event_type_id=_text(r.action.event_type_id),
            action_value=r.action.value,
            weights_attribute=r.attribute_id_for_weights or "",
            skip_contact_owner=bool(r.attribute_routing_config and r.attribute_routing_config.skip_contact_owner),
        )
        flat = _flat_rules(r.query_value) if r.json_logic is None else None
        if flat is None:
            rule = {"jsonLogic": r.json_logic} if r.json_logic is not None else {"queryValue": r.query_value}
            row.raw_rule = json.dumps(rule, indent=2)
        else:
            row.conjunction, row.conditions = flat
        attributes = _flat_rules(r.attributes_query_value)
        if attributes is not None:
            row.attribute_conjunction, row.attribute_conditions = attributes
        routes.append(row)
    return FormRows(id=form.id, name=form.name, description=form.description, fields=fields, routes=routes)


# -- posted fields → rows ---------------------------------------------------------------------------


class Posted:
    """The posted HTML form, read by the editor's naming scheme (``r.0.c.1.op``)."""

    def __init__(self, items: Iterable[tuple[str, Any]]) -> None:
        self.values: dict[str, list[str]] = {}
        for key, value in items:
            if isinstance(value, str):
                self.values.setdefault(key, []).append(value)

    def get(self, key: str, default: str = "") -> str:
        """The first value posted under ``key``, stripped."""
        found = self.values.get(key)
        return found[0].strip() if found else default

    def all(self, key: str) -> list[str]:
        """Every non-blank value posted under ``key`` (a multi-select), stripped."""
        return [v.strip() for v in self.values.get(key, []) if v.strip()]

    def has(self, key: str) -> bool:
        """Whether ``key`` was posted at all (a ticked checkbox)."""
        return key in self.values

    def indexes(self, prefix: str) -> list[int]:
        """The row numbers present under ``prefix`` (``r.`` → 0, 1, …), in order."""
        pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
        return sorted({int(m.group(1)) for key in self.values if (m := pattern.match(key))})

    def rows(self, prefix: str) -> list[str]:
        """The key prefix of each row under ``prefix`` (``r.`` → ``r.0.``, ``r.1.``, …) not marked ``remove``."""
        prefixes = (f"{prefix}{i}." for i in self.indexes(prefix))
        return [p for p in prefixes if not self.has(p + "remove")]

    def names(self) -> list[str]:
        """Every posted key."""
        return list(self.values)


def _conditions(posted: Posted, prefix: str) -> list[ConditionRow]:
    return [
        ConditionRow(
            id=posted.get(p + "id") or new_id("c"),
            field=posted.get(p + "field"),
            operator=posted.get(p + "op"),
            values=posted.all(p + "value"),
            value2=posted.get(p + "value2"),
        )
        for p in posted.rows(prefix)
    ]


def posted_rows(posted: Posted, form_id: str) -> FormRows:
    """The editor's rows as posted (rows marked ``remove`` left out)."""
    fields = []
    for p in posted.rows("f."):
        options = [
            OptionRow(id=posted.get(o + "id"), label=posted.get(o + "label"))
            for o in posted.rows(p + "o.")
            if posted.get(o + "id") or posted.get(o + "label")
        ]
        fields.append(
            FieldRow(
                id=posted.get(p + "id") or new_id("f"),
                identifier=posted.get(p + "identifier"),
                label=posted.get(p + "label"),
                type=posted.get(p + "type", "text"),
                required=posted.has(p + "required"),
                options=options,
            )
        )
    routes = []
    for p in posted.rows("r."):
        routes.append(
            RouteRow(
                id=posted.get(p + "id") or new_id("r"),
                name=posted.get(p + "name"),
                is_fallback=posted.has(p + "fallback"),
                action_type=posted.get(p + "action", "customPageMessage"),
                event_type_id=posted.get(p + "event_type"),
                action_value=posted.get(p + "value"),
                conjunction=posted.get(p + "conj", "AND").upper(),
                conditions=_conditions(posted, p + "c."),
                raw_rule=posted.get(p + "raw") if posted.has(p + "raw") else None,
                attribute_conjunction=posted.get(p + "aconj", "AND").upper(),
                attribute_conditions=_conditions(posted, p + "a."),
                weights_attribute=posted.get(p + "weights"),
                skip_contact_owner=posted.has(p + "skip_owner"),
            )
        )
    return FormRows(
        id=form_id, name=posted.get("name"), description=posted.get("description"), fields=fields, routes=routes
    )


# -- rows → form document ---------------------------------------------------------------------------


def _number(text: str) -> int | float | str:
    try:
        number = float(text)
    except ValueError:
        return text  # left as typed: validation names it
    return int(number) if number.is_integer() else number


def _rule_properties(row: ConditionRow, value_type: str, numeric: bool) -> dict[str, Any]:
    operator = row.operator
    if operator in ("is_empty", "is_not_empty"):
        values: list[Any] = []
    elif takes_list(operator):
        values = [list(row.values)]
    elif operator in ("between", "not_between"):
        values = [_number(row.values[0]) if row.values else "", _number(row.value2)]
    else:
        first = row.values[0] if row.values else ""
        values = [_number(first) if numeric and first else first]
    return {
        "field": row.field,
        "operator": operator,
        "value": values,
        "valueSrc": ["value"] * len(values),
        "valueType": [value_type] * len(values),
    }


def tree(conjunction: str, rows: list[ConditionRow], kinds: Mapping[str, str]) -> dict[str, Any]:
    """A query-builder group of ``rows``; ``kinds`` maps a field (or attribute) id to its value type."""
    children = {
        row.id: {
            "type": "rule",
            "properties": _rule_properties(row, kinds.get(row.field, "text"), kinds.get(row.field) == "number"),
        }
        for row in rows
        if row.field
    }
    return {"id": "root", "type": "group", "properties": {"conjunction": conjunction}, "children1": children}


class RawRuleError(ValueError):
    """A route's JSON rule that is not JSON (or not one of the two rule shapes)."""


def _raw_rule(text: str) -> dict[str, Any]:
    try:
        rule = json.loads(text)
    except json.JSONDecodeError as error:
        raise RawRuleError(f"the rule is not JSON: {error}") from None
    if not isinstance(rule, dict) or not set(rule) <= {"jsonLogic", "queryValue"}:
        raise RawRuleError('the rule must be {"jsonLogic": …} or {"queryValue": …}')
    return rule


def field_document(row: FieldRow) -> dict[str, Any]:
    """One field as the API takes it (options only for the types that have them)."""
    document: dict[str, Any] = {
        "id": row.id,
        "label": row.label,
        "identifier": row.identifier or None,
        "type": row.type,
        "required": row.required,
    }
    if row.type in ("select", "multiselect", "radio", "checkbox"):
        document["options"] = [{"id": o.id or None, "label": o.label} for o in row.options]
    return document


def route_document(row: RouteRow, field_kinds: Mapping[str, str], with_attributes: bool) -> dict[str, Any]:
    """One route as the API takes it; attribute routing only when ``with_attributes`` (admins)."""
    action: dict[str, Any] = {"type": row.action_type, "value": row.action_value}
    if row.action_type == "eventTypeRedirectUrl":
        action["eventTypeId"] = _number(row.event_type_id) if row.event_type_id else None
    document: dict[str, Any] = {"id": row.id, "name": row.name or None, "isFallback": row.is_fallback, "action": action}
    if row.raw_rule is not None:
        document |= {"queryValue": None, "jsonLogic": None} | _raw_rule(row.raw_rule)
    elif row.is_fallback and not any(c.field for c in row.conditions):
        document |= {"queryValue": None, "jsonLogic": None}
    else:
        document |= {"queryValue": tree(row.conjunction, row.conditions, field_kinds), "jsonLogic": None}
    if with_attributes:
        rules = [c for c in row.attribute_conditions if c.field]
        document["attributesQueryValue"] = tree(row.attribute_conjunction, rules, {}) if rules else None
        document["attributeIdForWeights"] = row.weights_attribute or None
        document["attributeRoutingConfig"] = {"skipContactOwner": row.skip_contact_owner}
    return document


def value_kinds(fields: Iterable[FieldRow]) -> dict[str, str]:
    """Each field's query-builder value type, by field id."""
    kinds = {"select": "select", "radio": "select", "multiselect": "multiselect", "number": "number"}
    return {f.id: ("multiselect" if f.type == "checkbox" and f.options else kinds.get(f.type, "text")) for f in fields}


def form_document(rows: FormRows, stored: RoutingForm, with_attributes: bool) -> dict[str, Any]:
    """The edited form as a PATCH body: each field and route laid over its stored self (keeping what the
    editor does not show, e.g. a route's Salesforce settings), new ones as they are. Raises RawRuleError."""
    stored_fields = {f.id: f.wire() for f in stored.fields}
    stored_routes = {r.id: r.wire() for r in stored.routes}
    kinds = value_kinds(rows.fields)
    fields = [stored_fields.get(f.id, {}) | field_document(f) for f in rows.fields]
    # Deleted fields stay (answers stored under them still name them); the editor does not show them.
    fields += [f for f in stored_fields.values() if f.get("deleted")]
    routes = []
    for r in rows.routes:
        edited = route_document(r, kinds, with_attributes)
        base = stored_routes.get(r.id, {})
        config = base.get("attributeRoutingConfig") or {}
        if with_attributes:
            edited["attributeRoutingConfig"] = config | edited["attributeRoutingConfig"]
        routes.append(base | edited)
    return {"name": rows.name, "description": rows.description, "fields": fields, "routes": routes}

"""Attribute routing: which team members a route's attribute rules select.

A route's ``attributesQueryValue`` is a query-builder tree over org attributes. Each member is
evaluated against it with their assigned options (ids; a group option also grants the options it
contains). Right-hand values may be ``{field:<fieldId>}``, "the value of that form field", resolved
per submission: choice answers by label against the attribute's option values, case-insensitively.

Cal.com's rules (findTeamMembersMatchingAttributeLogic.ts): an empty rule matches every member and
the fallback rule is then not consulted; the fallback rule runs only when the main rule matches
nobody.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.routing_forms import (
    Attribute,
    AttributeAssignment,
    AttributeMatch,
    FormField,
    TeamMember,
)
from routing.calcom_logic import CALCOM
from routing.jsonlogic import JsonLogicError, Node, compile_node
from routing.jsvalues import string_to_number, truthy
from routing.querybuilder import QueryRule, to_jsonlogic

FIELD_TEMPLATE = re.compile(r"^\{field:([^}]+)\}$")
FIELDS_KEY = "$fields"
DEFAULT_WEIGHT = 100


@dataclass(frozen=True)
class AttributeRule:
    """A compiled attribute rule; ``field_refs`` lists the (field id, attribute id) pairs it reads."""

    logic: Any | None
    node: Node | None
    field_refs: frozenset[tuple[str, str]]


def compile_attribute_rule(tree: dict | None) -> AttributeRule:
    """Compile an ``attributesQueryValue`` tree once, with field references left as variables."""
    refs: set[tuple[str, str]] = set()

    def resolve(rule: QueryRule, value: Any) -> Any:
        items = value if isinstance(value, list) else None
        text = items[0] if items is not None and len(items) == 1 else value
        match = FIELD_TEMPLATE.match(text) if isinstance(text, str) else None
        if match is None or rule.field is None:
            return value
        refs.add((match.group(1), rule.field))
        return {"var": f"{FIELDS_KEY}.{match.group(1)}.{rule.field}"}

    logic = to_jsonlogic(tree, resolve)
    node = compile_node(logic, CALCOM) if logic is not None else None
    return AttributeRule(logic, node, frozenset(refs))


def member_attribute_data(
    attributes: Sequence[Attribute], assignments: Sequence[AttributeAssignment]
) -> dict[int, dict[str, Any]]:
    """Each user's attribute values as rules see them: option ids (a list for MULTI_SELECT) or values."""
    by_id = {a.id: a for a in attributes}
    contains = {o.id: o.contains for a in attributes for o in a.options if o.is_group}
    data: dict[int, dict[str, Any]] = {}
    for assignment in assignments:
        attribute = by_id.get(assignment.attribute_id)
        if attribute is None or not attribute.enabled:
            continue
        values = data.setdefault(assignment.user_id, {})
        if attribute.type == "MULTI_SELECT" and assignment.option_id:
            held = values.setdefault(attribute.id, [])
            held.extend([assignment.option_id, *contains.get(assignment.option_id, [])])
        elif attribute.type == "SINGLE_SELECT" and assignment.option_id:
            values[attribute.id] = assignment.option_id
        elif attribute.type == "NUMBER" and assignment.value is not None:
            values[attribute.id] = string_to_number(assignment.value)
        elif assignment.value is not None:
            values[attribute.id] = assignment.value
    return data


def _answer_labels(field: FormField | None, answer: Any) -> list[str]:
    if field is None or answer is None:
        return []
    answers = answer if isinstance(answer, list) else [answer]
    labels = {o.key: o.label for o in field.options}
    return [labels.get(str(a), str(a)) for a in answers]


def resolve_field_refs(
    refs: frozenset[tuple[str, str]],
    fields: Mapping[str, FormField],
    values: Mapping[str, Any],
    attributes: Mapping[str, Attribute],
) -> dict[str, dict[str, Any]]:
    """The value each ``{field:...}`` reference takes for this submission, per attribute it targets."""
    resolved: dict[str, dict[str, Any]] = {}
    for field_id, attribute_id in refs:
        labels = _answer_labels(fields.get(field_id), values.get(field_id))
        attribute = attributes.get(attribute_id)
        if attribute is not None and attribute.type in ("SINGLE_SELECT", "MULTI_SELECT"):
            by_value = {o.value.lower(): o.id for o in attribute.options}
            items = [by_value.get(label.lower(), label) for label in labels]
        else:
            items = labels
        value: Any = items if isinstance(values.get(field_id), list) else (items[0] if items else None)
        resolved.setdefault(field_id, {})[attribute_id] = value
    return resolved


def _matching(rule: AttributeRule, members: Sequence[TeamMember], data: Mapping[int, dict], fields: dict) -> list[int]:
    assert rule.node is not None
    matched = []
    for member in members:
        member_data = {**data.get(member.user_id, {}), FIELDS_KEY: fields}
        try:
            hit = truthy(rule.node(member_data, None))
        except JsonLogicError:
            hit = False
        if hit:
            matched.append(member.user_id)
    return matched


def match_members(
    main: AttributeRule,
    fallback: AttributeRule | None,
    members: Sequence[TeamMember],
    member_data: Mapping[int, dict[str, Any]],
    field_values: dict[str, dict[str, Any]],
) -> AttributeMatch:
    """Apply the route's attribute rule, and its fallback rule only if the main rule matches nobody."""
    if main.node is None:
        return AttributeMatch(matched_user_ids=None, reason="the attribute rule is empty: every member matches")
    matched = _matching(main, members, member_data, field_values)
    if matched:
        return AttributeMatch(matched_user_ids=matched, reason=f"{len(matched)} member(s) match the attribute rule")
    if fallback is None:
        return AttributeMatch(
            matched_user_ids=[], reason="no member matches the attribute rule, and there is no fallback"
        )
    if fallback.node is None:
        return AttributeMatch(
            matched_user_ids=None,
            checked_fallback=True,
            reason="no member matches the attribute rule; the fallback rule is empty: every member matches",
        )
    matched = _matching(fallback, members, member_data, field_values)
    return AttributeMatch(
        matched_user_ids=matched,
        checked_fallback=True,
        reason=f"no member matches the attribute rule; {len(matched)} member(s) match the fallback attribute rule",
    )


def attribute_weights(attribute_id: str, assignments: Sequence[AttributeAssignment]) -> dict[int, int]:
    """Per-user round-robin weights from the route's weight attribute (default 100)."""
    return {
        a.user_id: a.weight if a.weight is not None else DEFAULT_WEIGHT
        for a in assignments
        if a.attribute_id == attribute_id
    }

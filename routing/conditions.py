"""Which condition of a route failed for one submission, and the value it saw (for `route explain`).

A route's rule (query-builder tree or JsonLogic) is read as JsonLogic; within an ``and`` the first
condition that does not hold is the one that failed (descending into nested ``and``s); for an ``or``
every condition failed, and the first is shown. Pure, like the engine: same inputs, same answer.
"""

import json
from collections.abc import Iterator, Mapping
from typing import Any

from domain.base import CamelModel
from domain.routing_forms import FormField, RoutingDecision, RoutingForm
from routing.calcom_logic import CALCOM
from routing.engine import compiled_form, rule_data
from routing.jsonlogic import JsonLogicError, compile_node
from routing.jsvalues import truthy


class FailedCondition(CamelModel):
    """The first condition of a route that did not hold, and what the answers gave it."""

    route_id: str
    condition: str
    seen: dict[str, Any]
    error: str | None = None


def _field_named(key: str, fields: Mapping[str, FormField]) -> FormField | None:
    return fields.get(key) or next((f for f in fields.values() if f.key == key), None)


def _var_name(node: Any) -> str | None:
    if isinstance(node, dict) and set(node) == {"var"}:
        key = node["var"][0] if isinstance(node["var"], list) and node["var"] else node["var"]
        return key if isinstance(key, str) else None
    return None


def _vars(node: Any) -> Iterator[str]:
    if (name := _var_name(node)) is not None:
        if name:  # "" is the current item inside all/some/none, not an answer
            yield name
    elif isinstance(node, dict):
        for args in node.values():
            yield from _vars(args)
    elif isinstance(node, list):
        for item in node:
            yield from _vars(item)


def _describe(node: Any, fields: Mapping[str, FormField]) -> str:
    """A condition as an admin reads it: fields by identifier with their id, operators between operands."""
    if (name := _var_name(node)) is not None:
        if not name:
            return "each item"
        field = _field_named(name.split(".")[0], fields)
        return f"{field.key} ({field.id})" if field is not None and field.key != field.id else name
    if isinstance(node, dict) and len(node) == 1:
        ((op, args),) = node.items()
        items = args if isinstance(args, list) else [args]
        parts = [_describe(a, fields) for a in items]
        if len(parts) == 2 and op in ("==", "!=", "===", "!==", "<", "<=", ">", ">=", "in"):
            return f"{parts[0]} {op} {parts[1]}"
        return f"{op}({', '.join(parts)})"
    if isinstance(node, list):
        return "[" + ", ".join(_describe(a, fields) for a in node) + "]"
    return json.dumps(node)


def _holds(node: Any, data: Mapping[str, Any]) -> tuple[bool, str | None]:
    try:
        return truthy(compile_node(node, CALCOM)(data, None)), None
    except JsonLogicError as failure:
        return False, str(failure)


def _first_failed(logic: Any, data: Mapping[str, Any]) -> tuple[Any, str | None]:
    if isinstance(logic, dict) and len(logic) == 1:
        ((op, args),) = logic.items()
        if op in ("and", "or") and isinstance(args, list) and args:
            for part in args:
                holds, error = _holds(part, data)
                if not holds:
                    return _first_failed(part, data) if op == "and" and error is None else (part, error)
    return logic, _holds(logic, data)[1]


def failed_conditions(form: RoutingForm, values: Mapping[str, Any], decision: RoutingDecision) -> list[FailedCondition]:
    """For every route the decision tried and that did not match, its first failed condition."""
    compiled = compiled_form(form)
    data = rule_data(compiled, values)
    fields = {f.id: f for f in form.fields}
    tried = {r.route_id for r in decision.trace.routes if not r.matched}
    found = []
    for entry in compiled.routes:
        if entry.route.id not in tried or entry.logic is None:
            continue
        condition, error = _first_failed(entry.logic, data)
        seen = {}
        for name in dict.fromkeys(_vars(condition)):
            field = _field_named(name.split(".")[0], fields)
            seen[field.key if field else name] = values.get(field.id) if field else data.get(name)
        found.append(
            FailedCondition(route_id=entry.route.id, condition=_describe(condition, fields), seen=seen, error=error)
        )
    return found

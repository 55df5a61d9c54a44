"""Cal.com query-builder trees (``queryValue``, react-awesome-query-builder JSON) to JsonLogic.

A tree is a group ``{"type": "group", "children1": {id: child, ...}, "properties": {"conjunction":
"AND"|"OR", "not": bool}}`` whose children are rules ``{"type": "rule", "properties": {"field",
"operator", "value": [...], "valueSrc": [...], "valueType": [...]}}`` or nested groups. The
operator mapping is Cal.com's (BasicConfig.ts and its overrides): ``like`` is ``in`` with reversed
arguments, ``between`` is ``>= min AND <= max`` with integer bounds, multiselect "All in" is a subset
test. Incomplete rules are dropped as the query builder drops them; a tree with no complete rule has
no logic, and the caller treats that as a match (Cal.com's ``LOGIC_NOT_FOUND_SO_MATCHED``).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from routing.jsvalues import to_number


class QueryBuilderError(ValueError):
    """A tree that cannot be converted; names the field and operator involved."""

    def __init__(self, message: str, *, field: str | None = None, operator: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.operator = operator


@dataclass(frozen=True)
class QueryRule:
    """One rule of a tree: ``field`` (a form field id or attribute id), ``operator`` and its values."""

    field: str | None
    operator: str | None
    values: tuple
    value_src: tuple

    @property
    def complete(self) -> bool:
        if not self.field or not self.operator:
            return False
        needed = OPERATOR_ARITY.get(self.operator, 1)
        return len(self.values) >= needed and all(v is not None and v != "" for v in self.values[:needed])


# how many values each operator takes (0 for the emptiness tests)
OPERATOR_ARITY: dict[str, int] = {"is_empty": 0, "is_not_empty": 0, "between": 2, "not_between": 2}

TEXT_OPERATORS = frozenset({"equal", "not_equal", "like", "not_like", "starts_with", "is_empty", "is_not_empty"})
NUMBER_OPERATORS = frozenset(
    {
        "equal",
        "not_equal",
        "less",
        "less_or_equal",
        "greater",
        "greater_or_equal",
        "between",
        "not_between",
        "is_empty",
        "is_not_empty",
    }
)
SELECT_OPERATORS = frozenset(
    {"select_equals", "select_not_equals", "select_any_in", "select_not_any_in", "is_empty", "is_not_empty"}
)
MULTISELECT_OPERATORS = frozenset(
    {
        "multiselect_equals",
        "multiselect_not_equals",
        "multiselect_all_in",
        "multiselect_not_all_in",
        "multiselect_some_in",
        "multiselect_not_some_in",
        "is_empty",
        "is_not_empty",
    }
)
BOOLEAN_OPERATORS = frozenset({"equal", "not_equal", "is_empty", "is_not_empty"})


def _children(node: dict) -> list[dict]:
    children = node.get("children1") or node.get("children") or {}
    items = children.values() if isinstance(children, dict) else children
    return [child for child in items if isinstance(child, dict)]


def _as_tuple(value: Any) -> tuple:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def _rule(node: dict) -> QueryRule:
    props = node.get("properties") or {}
    return QueryRule(
        field=props.get("field"),
        operator=props.get("operator"),
        values=_as_tuple(props.get("value")),
        value_src=_as_tuple(props.get("valueSrc")),
    )


def _is_group(node: dict) -> bool:
    return node.get("type") in ("group", "rule_group", "switch_group", "case_group") or (
        "children1" in node and node.get("type") != "rule"
    )


def iter_rules(tree: dict | None) -> Iterator[QueryRule]:
    """Every rule of a tree, complete or not, depth first."""
    if not tree:
        return
    for child in _children(tree):
        if _is_group(child):
            yield from iter_rules(child)
        else:
            yield _rule(child)


ValueResolver = Callable[[QueryRule, Any], Any]


def _literal(rule: QueryRule, value: Any) -> Any:
    return value


def _integer(value: Any) -> int:
    number = to_number(value)
    if number != number:
        raise QueryBuilderError(f"between needs numeric bounds, not {value!r}")
    return int(number)


def _not(logic: Any) -> dict:
    return {"!": logic}


def _all_in(var: dict, values: Any) -> dict:
    return {"all": [var, {"in": [{"var": ""}, values]}]}


def _some_in(var: dict, values: Any) -> dict:
    return {"some": [var, {"in": [{"var": ""}, values]}]}


_OPERATORS: dict[str, Callable[[dict, list], Any]] = {
    "equal": lambda var, v: {"==": [var, v[0]]},
    "not_equal": lambda var, v: {"!=": [var, v[0]]},
    "select_equals": lambda var, v: {"==": [var, v[0]]},
    "select_not_equals": lambda var, v: {"!=": [var, v[0]]},
    "select_any_in": lambda var, v: {"in": [var, v[0]]},
    "select_not_any_in": lambda var, v: _not({"in": [var, v[0]]}),
    "like": lambda var, v: {"in": [v[0], var]},
    "not_like": lambda var, v: _not({"in": [v[0], var]}),
    "starts_with": lambda var, v: {"starts_with": [var, v[0]]},
    "is_empty": lambda var, v: {"!": var},
    "is_not_empty": lambda var, v: {"!!": var},
    "less": lambda var, v: {"<": [var, v[0]]},
    "less_or_equal": lambda var, v: {"<=": [var, v[0]]},
    "greater": lambda var, v: {">": [var, v[0]]},
    "greater_or_equal": lambda var, v: {">=": [var, v[0]]},
    "between": lambda var, v: {"and": [{">=": [var, _integer(v[0])]}, {"<=": [var, _integer(v[1])]}]},
    "not_between": lambda var, v: {"or": [{"<": [var, _integer(v[0])]}, {">": [var, _integer(v[1])]}]},
    "multiselect_equals": lambda var, v: _all_in(var, v[0]),
    "multiselect_all_in": lambda var, v: _all_in(var, v[0]),
    "multiselect_not_equals": lambda var, v: _not(_all_in(var, v[0])),
    "multiselect_not_all_in": lambda var, v: _not(_all_in(var, v[0])),
    "multiselect_some_in": lambda var, v: _some_in(var, v[0]),
    "multiselect_not_some_in": lambda var, v: _not(_some_in(var, v[0])),
}

SUPPORTED_OPERATORS = frozenset(_OPERATORS)


def rule_to_jsonlogic(rule: QueryRule, resolve: ValueResolver = _literal) -> Any:
    """One complete rule as JsonLogic; ``resolve`` may turn values into operations (field references)."""
    convert = _OPERATORS.get(rule.operator or "")
    if convert is None:
        raise QueryBuilderError(
            f"operator {rule.operator!r} is not supported", field=rule.field, operator=rule.operator
        )
    values = [resolve(rule, value) for value in rule.values]
    try:
        return convert({"var": rule.field}, values)
    except QueryBuilderError as error:
        raise QueryBuilderError(str(error), field=rule.field, operator=rule.operator) from None


def to_jsonlogic(tree: dict | None, resolve: ValueResolver = _literal) -> Any | None:
    """The JsonLogic of a tree, or None when it has no complete rule (which matches everything)."""
    if not tree:
        return None
    if not _is_group(tree) and tree.get("type") == "rule":
        rule = _rule(tree)
        return rule_to_jsonlogic(rule, resolve) if rule.complete else None
    parts = []
    for child in _children(tree):
        if _is_group(child):
            logic = to_jsonlogic(child, resolve)
        else:
            rule = _rule(child)
            logic = rule_to_jsonlogic(rule, resolve) if rule.complete else None
        if logic is not None:
            parts.append(logic)
    if not parts:
        return None
    props = tree.get("properties") or {}
    conjunction = str(props.get("conjunction") or "AND").lower()
    if conjunction not in ("and", "or"):
        raise QueryBuilderError(f"conjunction {conjunction!r} is not AND or OR")
    logic = {conjunction: parts}
    return _not(logic) if props.get("not") else logic

"""Compare the recursive key structure and JSON value types of a body with a golden example."""

from typing import Any

# Fields Cal.com itself sends as null for users outside an organization (the guide's examples are
# from an organization member); Bookflow has no organizations.
NULLABLE = frozenset({"payload.organizationId"})


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def missing_or_mistyped(golden: Any, ours: Any, path: str = "") -> list[str]:
    """Every field of ``golden`` that ``ours`` lacks or carries with another JSON type.

    A null in the golden example accepts any value; an empty object or array in it accepts any
    contents (a free-form map such as ``metadata``); list items are compared with the golden item at
    the same index, or its last item.
    """
    if golden is None:
        return []
    if ours is None:
        return [] if path in NULLABLE else [f"{path}: null where the seed has {kind(golden)}"]
    if kind(golden) != kind(ours):
        return [f"{path}: {kind(ours)} where the seed has {kind(golden)}"]
    if isinstance(golden, dict):
        problems = [f"{_join(path, key)}: missing" for key in golden if key not in ours]
        for key in golden:
            if key in ours:
                problems += missing_or_mistyped(golden[key], ours[key], _join(path, key))
        return problems
    if isinstance(golden, list) and golden:
        if not ours:
            return [f"{path}: empty where the seed has items"]
        problems = []
        for index, item in enumerate(ours):
            problems += missing_or_mistyped(golden[min(index, len(golden) - 1)], item, f"{path}[{index}]")
        return problems
    return []


def keys_of(value: Any, path: str = "") -> set[str]:
    """Every key path in ``value`` (list items share the path ``name[]``)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            sub = _join(path, key)
            found |= {sub} | keys_of(item, sub)
    elif isinstance(value, list):
        for item in value:
            found |= keys_of(item, f"{path}[]")
    return found


def unexpected(goldens: list[Any], ours: Any, free: tuple[str, ...] = ()) -> set[str]:
    """Key paths of ``ours`` that no golden example has, outside the free-form prefixes ``free``."""
    known = set().union(*(keys_of(g) for g in goldens))
    return {k for k in keys_of(ours) - known if not k.startswith(free)}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key

"""JavaScript value semantics that JsonLogic inherits: truthiness, number and string coercion, equality.

JsonLogic was specified against JavaScript, so a faithful Python evaluator has to reproduce JS rules
(``"" == 0``, ``"1e2"`` is 100, ``[] `` is falsy in JsonLogic, bool is not a number for ``===``).
"""

import math
import re
from typing import Any

_NUMERIC = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_RADIX = re.compile(r"^0[xX][0-9a-fA-F]+$|^0[oO][0-7]+$|^0[bB][01]+$")
NAN = float("nan")


def truthy(value: Any) -> bool:
    """JsonLogic truthiness: JS rules, except that an empty array is falsy."""
    kind = type(value)
    if kind is bool:
        return value
    if value is None:
        return False
    if kind is int:
        return value != 0
    if kind is float:
        return value != 0 and value == value
    if kind is str or kind is list:
        return len(value) > 0
    return True


def string_to_number(text: str) -> float | int:
    """JS ``Number(text)``: trimmed, empty is 0, decimal/exponent/0x/0o/0b forms, else NaN."""
    stripped = text.strip()
    if not stripped:
        return 0
    if _NUMERIC.match(stripped):
        number = float(stripped)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if _RADIX.match(stripped):
        return int(stripped, 0)
    if stripped in ("Infinity", "+Infinity"):
        return math.inf
    if stripped == "-Infinity":
        return -math.inf
    return NAN


def to_number(value: Any) -> float | int:
    """JS unary ``+value`` for primitives; arrays and objects go through their string form."""
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is bool:
        return int(value)
    if value is None:
        return 0
    if kind is str:
        return string_to_number(value)
    if kind is list:
        return string_to_number(to_js_string(value))
    return NAN


def to_js_string(value: Any) -> str:
    """JS ``String(value)`` (``null`` inside ``cat`` is handled by the caller)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is int:
        return str(value)
    if kind is float:
        return format_number(value)
    if kind is list:
        return ",".join("" if item is None else to_js_string(item) for item in value)
    return "[object Object]"


def format_number(value: float) -> str:
    """A float as JS prints it: no trailing ``.0``, ``NaN``/``Infinity`` spelled out."""
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def normalize_number(value: float | int) -> float | int:
    """Integral floats become ints so results compare and print as JS numbers do."""
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def strict_equals(left: Any, right: Any) -> bool:
    """JS ``===``: same type and value; arrays and objects only equal themselves."""
    left_kind, right_kind = type(left), type(right)
    if left_kind is bool or right_kind is bool:
        return left_kind is right_kind and left == right
    if left_kind in (int, float) and right_kind in (int, float):
        return left == right
    if left_kind is str and right_kind is str:
        return left == right
    if left is None or right is None:
        return left is right
    if left_kind in (list, dict) or right_kind in (list, dict):
        return left is right
    return False


def _to_primitive(value: Any) -> Any:
    return to_js_string(value) if type(value) in (list, dict) else value


def loose_equals(left: Any, right: Any) -> bool:
    """JS ``==`` (the Abstract Equality Comparison), as json-logic-js uses it."""
    if left is None or right is None:
        return left is None and right is None
    if type(left) is bool:
        left = int(left)
    if type(right) is bool:
        right = int(right)
    left_obj, right_obj = type(left) in (list, dict), type(right) in (list, dict)
    if left_obj and right_obj:
        return left is right
    left, right = _to_primitive(left), _to_primitive(right)
    if type(left) is str and type(right) is str:
        return left == right
    return to_number(left) == to_number(right)


def relational_operands(left: Any, right: Any) -> tuple[Any, Any] | None:
    """JS relational comparison operands: two strings compare as strings, else as numbers.

    Returns ``None`` when a side is NaN, which makes every JS relational comparison false.
    """
    left, right = _to_primitive(left), _to_primitive(right)
    if type(left) is str and type(right) is str:
        return left, right
    left_number, right_number = to_number(left), to_number(right)
    if left_number != left_number or right_number != right_number:
        return None
    return left_number, right_number

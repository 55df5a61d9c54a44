"""Standard JsonLogic, compiled once into Python closures.

Public surface:

* ``apply(rule, data)`` evaluates a rule once.
* ``compile(rule)`` returns a callable ``fn(data)``; compile a rule once and call it per submission.
* ``Dialect`` is an operator table; ``STANDARD`` is the one the public conformance suites describe
  (json-logic-engine / datalogic-rs semantics: ``val``, ``??``, ``try``/``throw``, NaN errors).
  ``routing.calcom_logic.CALCOM`` layers Cal.com's routing-form semantics on top of it.

A compiled node is a function ``(data, scope) -> value``. ``scope`` is ``None`` at the top and
``(meta, parent_data, parent_scope)`` inside iterators and ``try`` fallbacks, which is what ``val``'s
``[[n], ...]`` scope climbing walks.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from routing.jsvalues import (
    normalize_number,
    strict_equals,
    to_js_string,
    to_number,
    truthy,
)

Scope = tuple | None
Node = Callable[[Any, Scope], Any]
OpCompiler = Callable[[Any, "Dialect"], Node]

INVALID_ARGUMENTS = "Invalid Arguments"
_MISSING = object()


class JsonLogicError(Exception):
    """An evaluation error carrying JsonLogic's error object, e.g. ``{"type": "NaN"}``."""

    def __init__(self, payload: Any) -> None:
        self.payload: dict = payload if isinstance(payload, dict) else {"type": payload}
        super().__init__(str(self.payload.get("type", self.payload)))

    @property
    def type(self) -> Any:
        return self.payload.get("type")


class UnknownOperatorError(JsonLogicError):
    """Raised while compiling: the rule names an operator this dialect does not have."""

    def __init__(self, operator: str) -> None:
        super().__init__({"type": "Unknown Operator", "operator": operator})
        self.args = (f"unknown operator {operator!r}",)
        self.operator = operator


@dataclass(frozen=True)
class Dialect:
    """A named operator table: operator name -> function compiling that operator's arguments."""

    name: str
    ops: dict[str, OpCompiler] = field(default_factory=dict)

    def extend(self, name: str, overrides: dict[str, OpCompiler]) -> "Dialect":
        """A new dialect with this one's operators plus ``overrides``."""
        return Dialect(name, {**self.ops, **overrides})


# ---------------------------------------------------------------------------------------------------
# compiling nodes


def _nan() -> JsonLogicError:
    return JsonLogicError("NaN")


def constant(value: Any) -> Node:
    """A node returning ``value``; marked so operators can specialise on constant operands."""

    def node(data: Any, scope: Scope) -> Any:
        return value

    node.constant = value  # type: ignore[attr-defined]
    return node


def is_constant(node: Node) -> bool:
    return hasattr(node, "constant")


def raiser(payload: Any) -> Node:
    """A node that fails when (and only if) it is evaluated, like an interpreter would."""

    def node(data: Any, scope: Scope) -> Any:
        raise JsonLogicError(payload)

    return node


def is_operation(rule: Any) -> bool:
    return type(rule) is dict and len(rule) == 1


def compile_node(rule: Any, dialect: "Dialect") -> Node:
    """Compile ``rule`` to a node ``(data, scope) -> value``; unknown operators fail here."""
    if type(rule) is dict:
        if len(rule) != 1:
            return constant(rule)
        operator, args = next(iter(rule.items()))
        compiler = dialect.ops.get(operator)
        if compiler is None:
            raise UnknownOperatorError(operator)
        return compiler(args, dialect)
    if type(rule) is list:
        items = [compile_node(item, dialect) for item in rule]
        if all(is_constant(item) for item in items):
            return constant(rule)
        return lambda data, scope: [item(data, scope) for item in items]
    return constant(rule)


def compile_list(args: Any, dialect: "Dialect") -> list[Node] | None:
    """The compiled items of an argument array, or None when ``args`` is not an array."""
    if type(args) is not list:
        return None
    return [compile_node(arg, dialect) for arg in args]


def compile_spread(args: Any, dialect: "Dialect") -> Node:
    """Arguments that may also come from one operation returning an array (``{"+": {"val": "xs"}}``)."""
    if type(args) is list:
        items = [compile_node(arg, dialect) for arg in args]
        return lambda data, scope: [item(data, scope) for item in items]
    if is_operation(args):
        inner = compile_node(args, dialect)

        def spread(data: Any, scope: Scope) -> list:
            value = inner(data, scope)
            return value if type(value) is list else [value]

        return spread
    return constant([args])


def _single(args: Any, dialect: "Dialect") -> Node:
    """The one argument of a unary operator, given bare or as a one-item array."""
    if type(args) is list:
        return compile_node(args[0], dialect) if args else constant(None)
    return compile_node(args, dialect)


# ---------------------------------------------------------------------------------------------------
# data access


def _index(container: Any, key: Any) -> Any:
    """``container[key]`` with JS property rules, or ``_MISSING``."""
    kind = type(container)
    if kind is dict:
        if type(key) is not str:
            key = to_js_string(key)
        return container.get(key, _MISSING)
    if kind is list:
        if type(key) is str:
            if not key.isdigit():
                return _MISSING
            key = int(key)
        elif type(key) is not int:
            return _MISSING
        return container[key] if 0 <= key < len(container) else _MISSING
    return _MISSING


def _walk(data: Any, path: tuple | list) -> Any:
    for key in path:
        if data is None:
            return _MISSING
        data = _index(data, key)
        if data is _MISSING:
            return _MISSING
    return data


def _var_path(key: Any) -> tuple | None:
    """The path of a ``var`` key; None means the whole data."""
    if key is None or key == "" or key == []:
        return None
    return tuple(to_js_string(key).split("."))


def _compile_var(args: Any, dialect: "Dialect") -> Node:
    items = args if type(args) is list else [args]
    key_node = compile_node(items[0], dialect) if items else constant(None)
    default_node = compile_node(items[1], dialect) if len(items) > 1 else constant(None)
    if is_constant(key_node):
        path = _var_path(key_node.constant)  # type: ignore[attr-defined]
        if path is None:
            return lambda data, scope: data
        if len(path) == 1 and is_constant(default_node) and default_node.constant is None:  # type: ignore[attr-defined]
            key = path[0]

            def var_key(data: Any, scope: Scope) -> Any:
                if type(data) is dict:
                    return data.get(key)
                value = _index(data, key)
                return None if value is _MISSING else value

            var_key.key = key  # type: ignore[attr-defined]  # lets operators read dict data inline
            return var_key

        def var_path(data: Any, scope: Scope) -> Any:
            value = _walk(data, path)
            return default_node(data, scope) if value is _MISSING else value

        return var_path

    def var_dynamic(data: Any, scope: Scope) -> Any:
        path = _var_path(key_node(data, scope))
        if path is None:
            return data
        value = _walk(data, path)
        return default_node(data, scope) if value is _MISSING else value

    return var_dynamic


def _climb(data: Any, scope: Scope, levels: int) -> Any:
    """Walk ``levels`` frames up the scope: each frame offers its meta, then its parent data."""
    target = data
    for step in range(levels):
        if scope is None:
            return None
        target = scope[0] if step % 2 == 0 else scope[1]
        if step % 2 == 1:
            scope = scope[2]
    return target


def _val_lookup(data: Any, scope: Scope, path: list) -> Any:
    start = 0
    if path and type(path[0]) is list and len(path[0]) == 1:
        data = _climb(data, scope, abs(int(to_number(path[0][0]))))
        start = 1
    for key in path[start:]:
        if data is None:
            return None
        data = _index(data, key)
        if data is _MISSING:
            return None
    return data


def _compile_val(args: Any, dialect: "Dialect") -> Node:
    if type(args) is list:
        items = [compile_node(item, dialect) for item in args]
        if all(is_constant(item) for item in items):
            path = [item.constant for item in items]  # type: ignore[attr-defined]
            return lambda data, scope: _val_lookup(data, scope, path)
        return lambda data, scope: _val_lookup(data, scope, [item(data, scope) for item in items])
    if is_operation(args):
        inner = compile_node(args, dialect)

        def val_dynamic(data: Any, scope: Scope) -> Any:
            path = inner(data, scope)
            return _val_lookup(data, scope, path if type(path) is list else [path])

        return val_dynamic
    return lambda data, scope: _val_lookup(data, scope, [args])


def _compile_exists(args: Any, dialect: "Dialect") -> Node:
    path_node = compile_spread(args, dialect)
    return lambda data, scope: _walk(data, path_node(data, scope)) is not _MISSING


def _missing_keys(data: Any, keys: list) -> list:
    missing = []
    for key in keys:
        path = _var_path(key)
        value = data if path is None else _walk(data, path)
        if value is _MISSING or value is None or value == "":
            missing.append(key)
    return missing


def _compile_missing(args: Any, dialect: "Dialect") -> Node:
    args_node = compile_spread(args, dialect)

    def missing(data: Any, scope: Scope) -> list:
        keys = args_node(data, scope)
        if keys and type(keys[0]) is list:
            keys = keys[0]
        return _missing_keys(data, keys)

    return missing


def _compile_missing_some(args: Any, dialect: "Dialect") -> Node:
    args_node = compile_spread(args, dialect)

    def missing_some(data: Any, scope: Scope) -> list:
        values = args_node(data, scope)
        need, keys = values[0], values[1] if len(values) > 1 else []
        missing = _missing_keys(data, keys)
        return [] if len(keys) - len(missing) >= to_number(need) else missing

    return missing_some


# ---------------------------------------------------------------------------------------------------
# logic and control flow


def _compile_if(args: Any, dialect: "Dialect") -> Node:
    items = compile_list(args, dialect)
    if items is None:
        return raiser(INVALID_ARGUMENTS)
    if not items:
        return constant(None)
    if len(items) == 1:
        return items[0]
    pairs = [(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
    otherwise = items[-1] if len(items) % 2 == 1 else constant(None)

    def if_(data: Any, scope: Scope) -> Any:
        for condition, then in pairs:
            if truthy(condition(data, scope)):
                return then(data, scope)
        return otherwise(data, scope)

    return if_


def _compile_and(args: Any, dialect: "Dialect") -> Node:
    items = compile_list(args, dialect)
    if items is None:
        return raiser(INVALID_ARGUMENTS)
    if not items:
        return constant(False)

    def and_(data: Any, scope: Scope) -> Any:
        value = None
        for item in items:
            value = item(data, scope)
            if value is True:
                continue
            if value is False or not truthy(value):
                return value
        return value

    return and_


def _compile_or(args: Any, dialect: "Dialect") -> Node:
    items = compile_list(args, dialect)
    if items is None:
        return raiser(INVALID_ARGUMENTS)
    if not items:
        return constant(False)

    def or_(data: Any, scope: Scope) -> Any:
        value = None
        for item in items:
            value = item(data, scope)
            if value is True or (value is not False and truthy(value)):
                return value
        return value

    return or_


def _compile_not(args: Any, dialect: "Dialect") -> Node:
    operand = _single(args, dialect)
    return lambda data, scope: not truthy(operand(data, scope))


def _compile_double_not(args: Any, dialect: "Dialect") -> Node:
    operand = _single(args, dialect)
    return lambda data, scope: truthy(operand(data, scope))


def _compile_coalesce(args: Any, dialect: "Dialect") -> Node:
    items = compile_list(args, dialect)
    if items is None:
        values_node = compile_spread(args, dialect)
        return lambda data, scope: next((v for v in values_node(data, scope) if v is not None), None)

    def coalesce(data: Any, scope: Scope) -> Any:
        for item in items:
            value = item(data, scope)
            if value is not None:
                return value
        return None

    return coalesce


def _error_context(error: JsonLogicError) -> dict:
    return error.payload if "type" in error.payload else {"type": error.payload}


def _compile_try(args: Any, dialect: "Dialect") -> Node:
    items = compile_list(args, dialect)
    if items is None:
        return _single(args, dialect)

    def try_(data: Any, scope: Scope) -> Any:
        context, context_scope = data, scope
        last: JsonLogicError | None = None
        for item in items:
            try:
                return item(context, context_scope)
            except JsonLogicError as error:
                last = error
            except (ArithmeticError, TypeError, ValueError) as error:
                last = JsonLogicError(type(error).__name__)
            # the next alternative sees the error as its data, and the original data one level up
            context, context_scope = _error_context(last), (None, data, scope)
        if last is None:
            return None
        raise last

    return try_


def _compile_throw(args: Any, dialect: "Dialect") -> Node:
    operand = _single(args, dialect)

    def throw(data: Any, scope: Scope) -> Any:
        raise JsonLogicError(operand(data, scope))

    return throw


def _compile_preserve(args: Any, dialect: "Dialect") -> Node:
    return constant(args)


# ---------------------------------------------------------------------------------------------------
# comparison (standard: strings compare as strings, objects never coerce, NaN is an error)


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    if type(left) is str and type(right) is str:
        return left, right
    if type(left) in (list, dict) or type(right) in (list, dict):
        raise _nan()
    left_number, right_number = to_number(left), to_number(right)
    if left_number != left_number or right_number != right_number:
        raise _nan()
    return left_number, right_number


def _std_equals(left: Any, right: Any) -> bool:
    left, right = _comparable(left, right)
    return left == right


def _std_less(left: Any, right: Any) -> bool:
    left, right = _comparable(left, right)
    return left < right


def _std_less_equal(left: Any, right: Any) -> bool:
    left, right = _comparable(left, right)
    return left <= right


def chained(test: Callable[[Any, Any], bool], negate: bool = False) -> OpCompiler:
    """A comparison over two or more arguments, pairwise and short-circuiting (lazy)."""

    def compile_comparison(args: Any, dialect: "Dialect") -> Node:
        items = compile_list(args, dialect)
        if items is None or len(items) < 2:
            return raiser(INVALID_ARGUMENTS)
        if len(items) == 2:
            left_node, right_node = items
            if negate:
                return lambda data, scope: not test(left_node(data, scope), right_node(data, scope))
            return lambda data, scope: test(left_node(data, scope), right_node(data, scope))

        def compare(data: Any, scope: Scope) -> bool:
            previous = items[0](data, scope)
            for item in items[1:]:
                current = item(data, scope)
                if test(previous, current) == negate:
                    return False
                previous = current
            return True

        return compare

    return compile_comparison


# ---------------------------------------------------------------------------------------------------
# arithmetic


def _number(value: Any) -> float | int:
    if type(value) in (list, dict):
        raise _nan()
    number = to_number(value)
    if number != number:
        raise _nan()
    return number


def _checked(result: float | int) -> float | int:
    if result != result:
        raise _nan()
    return normalize_number(result)


def _add(values: list) -> float | int:
    return _checked(sum(_number(v) for v in values))


def _multiply(values: list) -> float | int:
    result: float | int = 1
    for value in values:
        result *= _number(value)
    return _checked(result)


def _subtract(values: list) -> float | int:
    if not values:
        raise JsonLogicError(INVALID_ARGUMENTS)
    if len(values) == 1:
        return _checked(-_number(values[0]))
    result = _number(values[0])
    for value in values[1:]:
        result -= _number(value)
    return _checked(result)


def _divide(values: list) -> float | int:
    if not values:
        raise JsonLogicError(INVALID_ARGUMENTS)
    if len(values) == 1:
        values = [1, values[0]]
    result = _number(values[0])
    for value in values[1:]:
        divisor = _number(value)
        if divisor == 0:
            raise _nan()
        result /= divisor
    return _checked(result)


def _modulo(values: list) -> float | int:
    if len(values) < 2:
        raise JsonLogicError(INVALID_ARGUMENTS)
    result = _number(values[0])
    for value in values[1:]:
        divisor = _number(value)
        if divisor == 0:
            raise _nan()
        result = math.fmod(result, divisor)
    return _checked(result)


def _extreme(pick: Callable) -> Callable[[list], Any]:
    def extreme(values: list) -> Any:
        if not values:
            return None
        return normalize_number(pick(_number(v) for v in values))

    return extreme


def variadic(function: Callable[[list], Any]) -> OpCompiler:
    """An operator applied to its (spread) argument values."""

    def compile_variadic(args: Any, dialect: "Dialect") -> Node:
        values_node = compile_spread(args, dialect)
        return lambda data, scope: function(values_node(data, scope))

    return compile_variadic


# ---------------------------------------------------------------------------------------------------
# strings and arrays


def _cat(values: list) -> str:
    return "".join("" if v is None else to_js_string(v) for v in values)


def _substr(values: list) -> str:
    source = to_js_string(values[0]) if values else ""
    start = int(to_number(values[1])) if len(values) > 1 else 0
    if start < 0:
        start = max(0, len(source) + start)
    rest = source[start:]
    if len(values) < 3 or values[2] is None:
        return rest
    length = int(to_number(values[2]))
    return rest[: max(0, len(rest) + length)] if length < 0 else rest[:length]


def _merge(values: list) -> list:
    merged: list = []
    for value in values:
        if type(value) is list:
            merged.extend(value)
        else:
            merged.append(value)
    return merged


def _in(values: list) -> bool:
    needle = values[0] if values else None
    haystack = values[1] if len(values) > 1 else None
    if type(haystack) is str:
        return to_js_string(needle) in haystack
    if type(haystack) is list:
        return any(strict_equals(needle, item) for item in haystack)
    return False


# ---------------------------------------------------------------------------------------------------
# iterators


def _iterator_parts(args: Any, dialect: "Dialect") -> tuple[Node, Node, list] | None:
    items = args if type(args) is list else None
    if items is None or len(items) < 2:
        return None
    return compile_node(items[0], dialect), compile_node(items[1], dialect), items


def _compile_map(args: Any, dialect: "Dialect") -> Node:
    parts = _iterator_parts(args, dialect)
    if parts is None or parts[2][0] is None or parts[2][1] is None:
        return raiser(INVALID_ARGUMENTS)
    source, mapper, _ = parts

    def map_(data: Any, scope: Scope) -> list:
        items = source(data, scope)
        if type(items) is not list:
            return []
        return [mapper(item, ({"index": i}, data, scope)) for i, item in enumerate(items)]

    return map_


def _compile_filter(args: Any, dialect: "Dialect") -> Node:
    parts = _iterator_parts(args, dialect)
    if parts is None or parts[2][0] is None or parts[2][1] is None:
        return raiser(INVALID_ARGUMENTS)
    source, predicate, _ = parts

    def filter_(data: Any, scope: Scope) -> list:
        items = source(data, scope)
        if type(items) is not list:
            return []
        return [item for i, item in enumerate(items) if truthy(predicate(item, ({"index": i}, data, scope)))]

    return filter_


def _compile_reduce(args: Any, dialect: "Dialect") -> Node:
    parts = _iterator_parts(args, dialect)
    if parts is None:
        return raiser(INVALID_ARGUMENTS)
    source, reducer, items = parts
    initial = compile_node(items[2], dialect) if len(items) > 2 else None

    def reduce_(data: Any, scope: Scope) -> Any:
        values = source(data, scope)
        if type(values) is not list:
            values = []
        if initial is not None:
            accumulator = initial(data, scope)
        elif values:
            accumulator, values = values[0], values[1:]
        else:
            return None
        for i, current in enumerate(values):
            context = {"current": current, "accumulator": accumulator}
            accumulator = reducer(context, ({"index": i}, data, scope))
        return accumulator

    return reduce_


def quantifier(kind: str, lenient: bool = False) -> OpCompiler:
    """``all``/``some``/``none``. Standard: a non-array source is an error; ``lenient``: no match."""

    def compile_quantifier(args: Any, dialect: "Dialect") -> Node:
        parts = _iterator_parts(args, dialect)
        if parts is None or parts[2][0] is None:
            return raiser(INVALID_ARGUMENTS)
        source, predicate, _ = parts

        def quantify(data: Any, scope: Scope) -> bool:
            items = source(data, scope)
            if type(items) is not list:
                if not lenient:
                    raise JsonLogicError(INVALID_ARGUMENTS)
                return kind == "none"
            hits = (truthy(predicate(item, ({"index": i}, data, scope))) for i, item in enumerate(items))
            if kind == "all":
                return bool(items) and all(hits)
            if kind == "some":
                return any(hits)
            return not any(hits)

        return quantify

    return compile_quantifier


STANDARD = Dialect(
    "standard",
    {
        "var": _compile_var,
        "val": _compile_val,
        "exists": _compile_exists,
        "missing": _compile_missing,
        "missing_some": _compile_missing_some,
        "if": _compile_if,
        "?:": _compile_if,
        "and": _compile_and,
        "or": _compile_or,
        "!": _compile_not,
        "!!": _compile_double_not,
        "??": _compile_coalesce,
        "try": _compile_try,
        "throw": _compile_throw,
        "preserve": _compile_preserve,
        "==": chained(_std_equals),
        "!=": chained(_std_equals, negate=True),
        "===": chained(strict_equals),
        "!==": chained(strict_equals, negate=True),
        "<": chained(_std_less),
        "<=": chained(_std_less_equal),
        ">": chained(lambda left, right: _std_less(right, left)),
        ">=": chained(lambda left, right: _std_less_equal(right, left)),
        "+": variadic(_add),
        "-": variadic(_subtract),
        "*": variadic(_multiply),
        "/": variadic(_divide),
        "%": variadic(_modulo),
        "max": variadic(_extreme(max)),
        "min": variadic(_extreme(min)),
        "cat": variadic(_cat),
        "substr": variadic(_substr),
        "merge": variadic(_merge),
        "in": variadic(_in),
        "map": _compile_map,
        "filter": _compile_filter,
        "reduce": _compile_reduce,
        "all": quantifier("all"),
        "some": quantifier("some"),
        "none": quantifier("none"),
    },
)


def compile(rule: Any, dialect: Dialect = STANDARD) -> Callable[..., Any]:
    """Compile ``rule`` once; the result is ``fn(data=None)`` returning the rule's value.

    Raises ``UnknownOperatorError`` for an operator the dialect lacks; evaluation errors
    (``{"type": "NaN"}``, ``{"type": "Invalid Arguments"}``, ``throw``) raise ``JsonLogicError``.
    """
    node = compile_node(rule, dialect)

    def run(data: Any = None) -> Any:
        return node(data, None)

    return run


def apply(rule: Any, data: Any = None, dialect: Dialect = STANDARD) -> Any:
    """Evaluate ``rule`` against ``data`` once (compile and run)."""
    return compile_node(rule, dialect)(data, None)

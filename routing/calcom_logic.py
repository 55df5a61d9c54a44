"""Cal.com's routing-form JsonLogic dialect, layered on the standard operator table.

Cal.com evaluates routing rules with json-logic-js plus overrides (routing-forms/lib/jsonLogic.ts):

* ``==``, ``===``, ``!=``, ``!==`` lower-case strings, and strings inside arrays, then compare with
  JavaScript's loose or strict equality;
* ``in`` lower-cases both sides and is false when the haystack is falsy;
* ``starts_with(a, b)`` is a case-insensitive prefix test, false for non-strings or an empty prefix.

Everything else keeps json-logic-js behaviour, which never raises on a form answer: relational
operators use JavaScript coercion (a missing answer is ``null``, i.e. 0; NaN compares false) and
``all``/``some``/``none`` over an unanswered multiselect simply do not match.
"""

from typing import Any

from routing.jsonlogic import (
    STANDARD,
    Dialect,
    Node,
    Scope,
    compile_list,
    constant,
    is_constant,
    quantifier,
    raiser,
)
from routing.jsvalues import loose_equals, relational_operands, strict_equals, to_js_string, truthy


def normalize(value: Any) -> Any:
    """Lower-case a string, or each string of an array (Cal.com's ``normalize``)."""
    if type(value) is str:
        return value.lower()
    if type(value) is list:
        return [item.lower() if type(item) is str else item for item in value]
    return value


def _binary(args: Any, dialect: Dialect) -> tuple[Node, Node] | None:
    items = compile_list(args, dialect)
    if items is None or len(items) < 2:
        return None
    return items[0], items[1]


def _equality(equals: Any, negate: bool) -> Any:
    def compile_equality(args: Any, dialect: Dialect) -> Node:
        operands = _binary(args, dialect)
        if operands is None:
            return raiser("Invalid Arguments")
        left, right = operands
        if is_constant(left) and not is_constant(right):
            left, right = right, left
        if is_constant(right) and type(right.constant) is str:  # type: ignore[attr-defined]
            # the common case, `answer == "option"`: lower the constant once, here
            expected = right.constant.lower()  # type: ignore[attr-defined]
            key = getattr(left, "key", None)

            def equals_text(data: Any, scope: Scope) -> bool:
                value = data.get(key) if key is not None and type(data) is dict else left(data, scope)
                if type(value) is str:
                    return (value.lower() == expected) != negate
                return equals(normalize(value), expected) != negate

            return equals_text

        return lambda data, scope: equals(normalize(left(data, scope)), normalize(right(data, scope))) != negate

    return compile_equality


def _contains(needle: Any, haystack: Any) -> bool:
    needle, haystack = normalize(needle), normalize(haystack)
    if not truthy(haystack) and haystack != []:
        return False
    if type(haystack) is str:
        return to_js_string(needle) in haystack
    if type(haystack) is list:
        return any(strict_equals(needle, item) for item in haystack)
    return False


def _compile_in(args: Any, dialect: Dialect) -> Node:
    operands = _binary(args, dialect)
    if operands is None:
        return constant(False)
    needle, haystack = operands
    if is_constant(haystack) and type(haystack.constant) is list:  # type: ignore[attr-defined]
        # `answer in [options]`: a set of lower-cased strings, built once
        options = normalize(haystack.constant)  # type: ignore[attr-defined]
        texts = frozenset(item for item in options if type(item) is str)
        key = getattr(needle, "key", None)

        def in_options(data: Any, scope: Scope) -> bool:
            value = data.get(key) if key is not None and type(data) is dict else needle(data, scope)
            if type(value) is str:
                return value.lower() in texts
            return _contains(value, options)

        return in_options
    return lambda data, scope: _contains(needle(data, scope), haystack(data, scope))


def _starts_with(text: Any, prefix: Any) -> bool:
    if type(text) is not str or type(prefix) is not str or not prefix:
        return False
    return text.lower().startswith(prefix.lower())


def _compile_starts_with(args: Any, dialect: Dialect) -> Node:
    operands = _binary(args, dialect)
    if operands is None:
        return constant(False)
    text, prefix = operands
    return lambda data, scope: _starts_with(text(data, scope), prefix(data, scope))


def _relational(strict: bool, reverse: bool) -> Any:
    """json-logic-js ``<``/``<=`` (three arguments mean "between"), ``>``/``>=`` with two."""

    def test(left: Any, right: Any) -> bool:
        if reverse:
            left, right = right, left
        operands = relational_operands(left, right)
        if operands is None:
            return False
        return operands[0] < operands[1] if strict else operands[0] <= operands[1]

    def compile_relational(args: Any, dialect: Dialect) -> Node:
        items = compile_list(args, dialect)
        if items is None or len(items) < 2:
            return constant(False)
        if len(items) == 2 or reverse:
            left, right = items[0], items[1]
            return lambda data, scope: test(left(data, scope), right(data, scope))
        low, middle, high = items[0], items[1], items[2]

        def between(data: Any, scope: Scope) -> bool:
            value = middle(data, scope)
            return test(low(data, scope), value) and test(value, high(data, scope))

        return between

    return compile_relational


CALCOM = STANDARD.extend(
    "calcom",
    {
        "==": _equality(loose_equals, negate=False),
        "!=": _equality(loose_equals, negate=True),
        "===": _equality(strict_equals, negate=False),
        "!==": _equality(strict_equals, negate=True),
        "in": _compile_in,
        "starts_with": _compile_starts_with,
        "<": _relational(strict=True, reverse=False),
        "<=": _relational(strict=False, reverse=False),
        ">": _relational(strict=True, reverse=True),
        ">=": _relational(strict=False, reverse=True),
        "all": quantifier("all", lenient=True),
        "some": quantifier("some", lenient=True),
        "none": quantifier("none", lenient=True),
    },
)
"""The operator table for routing-form and attribute rules."""

"""The public JsonLogic conformance suites (json-logic/compat-tables) against routing.jsonlogic."""

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from routing.jsonlogic import JsonLogicError, apply, compile

SUITES = Path(
    os.environ.get("BOOKFLOW_JSONLOGIC_SUITES")
    or Path(__file__).resolve().parents[3] / "shared" / "conformance" / "jsonlogic"
)
FULL_SUITE_CASES = 1138


def _cases(path: Path) -> list[dict]:
    # suites mix case objects with plain strings that act as section comments
    return [case for case in json.loads(path.read_text()) if isinstance(case, dict)]


def _all_cases() -> list[tuple[str, dict]]:
    files = sorted(p for p in SUITES.rglob("*.json") if p.name != "index.json")
    return [(str(p.relative_to(SUITES)), case) for p in files for case in _cases(p)]


def same(got: Any, expected: Any) -> bool:
    """Strict JSON equality: true is not 1, 2.0 equals 2, floats within rounding."""
    if isinstance(got, bool) or isinstance(expected, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(got, int | float) and isinstance(expected, int | float):
        return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(same(g, e) for g, e in zip(got, expected, strict=True))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(same(got[k], expected[k]) for k in got)
    return type(got) is type(expected) and got == expected


def passes(case: dict) -> bool:
    """A case passes when the result matches, or when the expected error type is raised."""
    try:
        result = apply(case["rule"], case.get("data"))
    except JsonLogicError as error:
        return "error" in case and error.payload.get("type") == case["error"].get("type")
    return "result" in case and same(result, case["result"])


COMPATIBLE = _cases(SUITES / "compatible.json")


def test_compatible_suite_has_278_cases() -> None:
    assert len(COMPATIBLE) == 278


@pytest.mark.parametrize(
    "case", COMPATIBLE, ids=[f"{i}:{json.dumps(c['rule'])[:60]}" for i, c in enumerate(COMPATIBLE)]
)
def test_compatible_case(case: dict) -> None:
    assert passes(case), case


def test_full_suite(capsys: pytest.CaptureFixture[str]) -> None:
    cases = _all_cases()
    failed = [f"{name}: {json.dumps(case)[:200]}" for name, case in cases if not passes(case)]
    passed = len(cases) - len(failed)
    with capsys.disabled():
        print(f"\nJsonLogic conformance: {passed}/{len(cases)} cases pass")
    assert len(cases) == FULL_SUITE_CASES
    assert passed == FULL_SUITE_CASES, failed


def test_compiled_rule_is_reusable_across_data() -> None:
    rule = compile({"if": [{">": [{"var": "n"}, 10]}, "big", "small"]})
    assert [rule({"n": 11}), rule({"n": 3}), rule({"n": "12"})] == ["big", "small", "big"]


def test_standard_equality_is_case_sensitive() -> None:
    assert apply({"==": [{"var": "a"}, "Sales"]}, {"a": "sales"}) is False
    assert apply({"in": ["spring", "Springfield"]}) is False

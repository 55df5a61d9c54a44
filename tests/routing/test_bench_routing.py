"""The routing benchmark runs and prints one JSON object with the agreed keys (no timing asserted)."""

import json

import pytest

from bench import routing as bench_routing


def test_bench_prints_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_routing.main(["--submissions", "40", "--rounds", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"decisions_per_s", "p50_us", "baseline_per_s", "ratio"} <= report.keys()
    assert report["routes"] == 20 and report["clauses_per_route"] == 5

"""Routing decisions per second: our compiled engine vs panzi-json-logic on the same JsonLogic.

A 20-route form (plus fallback) whose rules each have 5 clauses over select, number, multiselect and
text fields. Ours is the full ``routing.engine.decide`` (route selection, trace, decision model);
the baseline only walks the routes' JsonLogic with ``json_logic.jsonLogic`` until one matches. Both
must pick the same route for every submission, or the run fails.

Prints ``{"decisions_per_s", "p50_us", "baseline_per_s", "ratio", ...}``.
"""

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from json_logic import jsonLogic

from domain.routing_forms import RoutingForm
from routing.engine import compiled_form, decide
from routing.jsvalues import truthy

ROUTES = 20
COUNTRIES = [f"c{i}" for i in range(10)]
INDUSTRIES = [f"i{i}" for i in range(8)]
TOPICS = [f"t{i}" for i in range(6)]
COMPANIES = ["acme", "globex", "initech", "umbrella", "hooli"]


def _rule(field: str, operator: str, value: list) -> dict:
    return {"type": "rule", "properties": {"field": field, "operator": operator, "value": value}}


def build_form(rng: random.Random) -> RoutingForm:
    """The benchmark form: 20 five-clause AND routes and a fallback."""
    routes: list[dict[str, Any]] = []
    for n in range(ROUTES):
        clauses = [
            _rule("country", "select_any_in", [rng.sample(COUNTRIES, 4)]),
            _rule("size", "greater_or_equal", [rng.randrange(0, 400)]),
            _rule("industry", "select_not_equals", [rng.choice(INDUSTRIES)]),
            _rule("interests", "multiselect_some_in", [rng.sample(TOPICS, 3)]),
            _rule("company", "like", [rng.choice(COMPANIES)]),
        ]
        routes.append(
            {
                "id": f"route-{n}",
                "queryValue": {
                    "type": "group",
                    "children1": {f"r{n}-{i}": c for i, c in enumerate(clauses)},
                    "properties": {"conjunction": "AND"},
                },
                "action": {"type": "eventTypeRedirectUrl", "value": f"team/sales/e{n}", "eventTypeId": n + 1},
            }
        )
    routes.append({"id": "fallback", "isFallback": True, "action": {"type": "customPageMessage", "value": "Thanks"}})

    def options(ids: list[str]) -> list[dict]:
        return [{"id": i, "label": i.upper()} for i in ids]

    return RoutingForm.model_validate(
        {
            "id": "bench-form",
            "name": "Bench",
            "fields": [
                {"id": "country", "label": "Country", "type": "select", "options": options(COUNTRIES)},
                {"id": "size", "label": "Size", "type": "number"},
                {"id": "industry", "label": "Industry", "type": "select", "options": options(INDUSTRIES)},
                {"id": "interests", "label": "Interests", "type": "multiselect", "options": options(TOPICS)},
                {"id": "company", "label": "Company", "type": "text"},
            ],
            "routes": routes,
        }
    )


def submissions(rng: random.Random, count: int) -> list[dict[str, Any]]:
    return [
        {
            "country": rng.choice(COUNTRIES),
            "size": rng.randrange(0, 500),
            "industry": rng.choice(INDUSTRIES),
            "interests": rng.sample(TOPICS, rng.randrange(1, 4)),
            "company": f"{rng.choice(COMPANIES)} {rng.choice(['inc', 'gmbh', 'ltd'])}",
        }
        for _ in range(count)
    ]


def baseline_router(form: RoutingForm) -> Callable[[dict], str]:
    """panzi-json-logic evaluating the same JsonLogic, first match wins."""
    compiled = compiled_form(form)
    rules = [(entry.route.id, entry.logic) for entry in compiled.routes if not entry.route.is_fallback]

    def route(values: dict) -> str:
        for route_id, logic in rules:
            if truthy(jsonLogic(logic, values)):
                return route_id
        return "fallback"

    return route


def _interleaved(
    ours: Callable[[dict], Any], theirs: Callable[[dict], Any], items: list[dict], rounds: int
) -> tuple[list[float], list[float]]:
    """Per-call µs of both engines, alternating call by call so a noisy shared CPU hits both alike."""
    clock = time.perf_counter_ns
    ours_us: list[float] = []
    theirs_us: list[float] = []
    for _ in range(rounds):
        for item in items:
            started = clock()
            ours(item)
            middle = clock()
            theirs(item)
            ours_us.append((middle - started) / 1000)
            theirs_us.append((clock() - middle) / 1000)
    return ours_us, theirs_us


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench routing")
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    form = build_form(rng)
    items = submissions(rng, args.submissions)
    baseline = baseline_router(form)
    ours = [decide(form, item).route_id for item in items]
    theirs = [baseline(item) for item in items]
    if ours != theirs:
        raise SystemExit("the engines disagree on a route; the comparison would be meaningless")

    _interleaved(lambda v: decide(form, v), baseline, items[:200], 1)  # warm-up
    ours_samples, base_samples = _interleaved(lambda v: decide(form, v), baseline, items, args.rounds)
    ours_rate = len(ours_samples) / (sum(ours_samples) / 1e6)
    base_rate = len(base_samples) / (sum(base_samples) / 1e6)
    fallback_share = theirs.count("fallback") / len(theirs)
    print(
        json.dumps(
            {
                "decisions_per_s": round(ours_rate),
                "p50_us": round(statistics.median(ours_samples), 2),
                "baseline_per_s": round(base_rate),
                "baseline_p50_us": round(statistics.median(base_samples), 2),
                "ratio": round(ours_rate / base_rate, 2),
                "routes": ROUTES,
                "clauses_per_route": 5,
                "submissions": len(items) * args.rounds,
                "fallback_share": round(fallback_share, 3),
            }
        )
    )
    return 0

"""The console's routing workbench (api/console/workbench.py) bound to the code `bookflow route` runs.

Operators come from the engine's own table (routing/validation.py, routing/querybuilder.py), save-time
problems from the validation the API's PATCH runs, the simulator is `route test`, replay is
`route replay`, the diff is `route diff`: nothing is reimplemented, answers are converted to the models.
"""

from collections.abc import Collection, Sequence
from typing import Any

from api.console.workbench import FormProblem, ReplayChange, ReplayOutcome, Simulation
from domain.routing_forms import Attribute, FormField, RoutingForm
from routing.querybuilder import OPERATOR_ARITY
from routing.validation import ATTRIBUTE_OPERATORS, field_operators, form_issues
from store.db import Database

# The order operators are offered in (the engine's tables are sets): equality first, emptiness last.
OFFERED_ORDER = (
    "select_equals",
    "select_not_equals",
    "select_any_in",
    "select_not_any_in",
    "multiselect_some_in",
    "multiselect_not_some_in",
    "multiselect_all_in",
    "multiselect_not_all_in",
    "multiselect_equals",
    "multiselect_not_equals",
    "equal",
    "not_equal",
    "like",
    "not_like",
    "starts_with",
    "less",
    "less_or_equal",
    "greater",
    "greater_or_equal",
    "between",
    "not_between",
    "is_empty",
    "is_not_empty",
)


def _route_cmd() -> Any:
    """worker/cli/route_cmd.py, imported on first use: the CLI package imports worker.runtime, which imports us."""
    from worker.cli import route_cmd

    return route_cmd


def _render() -> Any:
    from worker.cli import route_render  # on first use, as _route_cmd

    return route_render


def _ordered(operators: Collection[str]) -> list[str]:
    rank = {op: i for i, op in enumerate(OFFERED_ORDER)}
    return sorted(operators, key=lambda op: (rank.get(op, len(rank)), op))


class RouteWorkbench:
    """Implements api.console.workbench.RoutingWorkbench."""

    def field_operators(self, field: FormField) -> list[str]:
        return _ordered(field_operators(field))

    def attribute_operators(self, attribute: Attribute) -> list[str]:
        return _ordered(ATTRIBUTE_OPERATORS[attribute.type])

    def operator_arity(self, operator: str) -> int:
        return OPERATOR_ARITY.get(operator, 1)

    def form_problems(
        self,
        form: RoutingForm,
        attributes: Sequence[Attribute],
        event_type_ids: Collection[int],
        hidden_event_type_ids: Collection[int] = (),
    ) -> list[FormProblem]:
        issues = form_issues(form, list(attributes), event_type_ids, hidden_event_type_ids)
        return [FormProblem(route=i.route, field=i.field, message=i.message) for i in issues]

    async def simulate(self, db: Database, form: RoutingForm, answers: dict[str, Any]) -> Simulation:
        route_cmd = _route_cmd()
        try:
            explained = await route_cmd.decide_answers(db, form, answers)
        except route_cmd.RouteCommandError as error:
            return Simulation(error=str(error))
        decision = explained.decision
        routes = decision.trace.routes
        return Simulation(
            route_id=decision.route_id,
            route_name=decision.route_name,
            matched=[r.route_id for r in routes if r.matched],
            tried=[r.route_id for r in routes],
            lines=_render().decision_lines(decision, explained.answers, explained.failures),
            decision=decision.wire(),
        )

    async def replay(self, db: Database, form: RoutingForm) -> ReplayOutcome:
        route_cmd = _route_cmd()
        try:
            report = await route_cmd.replay_form(db, form)
        except route_cmd.RouteCommandError as error:
            return ReplayOutcome(error=str(error).removeprefix("--rules: "))
        changes = [
            ReplayChange(
                response_id=str(c.response_id), old=_render().summary_text(c.old), new=_render().summary_text(c.new)
            )
            for c in report.changes
        ]
        return ReplayOutcome(total=report.total, changed=report.changed, changes=changes)

    def diff(self, before: RoutingForm, after: RoutingForm, before_name: str, after_name: str) -> list[str]:
        return _route_cmd().form_diff(before, after, before_name, after_name)

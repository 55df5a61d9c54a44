"""What the routing-form screens need from the routing engine, as an interface the worker implements.

The API may not import ``routing/`` (ARCHITECTURE.md); the worker, which may, hands an implementation to
the app (``worker/console_workbench.py``), as it does for the save-time checks (api/checks.py). Each
method is the code `bookflow route test|replay|diff` runs, with its answer converted to these models.
"""

from collections.abc import Collection, Sequence
from typing import Any, Protocol

from pydantic import BaseModel

from domain.routing_forms import Attribute, FormField, RoutingForm
from store.db import Database


class FormProblem(BaseModel):
    """One save-time problem: the route (its name, else id) and the field (identifier) it names, if any."""

    route: str | None = None
    field: str | None = None
    message: str

    def __str__(self) -> str:
        where = [f"route {self.route!r}"] if self.route else []
        where += [f"field {self.field!r}"] if self.field else []
        return f"{', '.join(where)}: {self.message}" if where else self.message


class Simulation(BaseModel):
    """A decision for some answers under a draft, with its trace, as `bookflow route test` shows it."""

    route_id: str | None = None
    route_name: str | None = None
    matched: list[str] = []  # route ids tried, in order, that matched (the first is the decision)
    tried: list[str] = []
    lines: list[str] = []  # the trace as text (worker/cli/route_render.decision_lines)
    decision: dict[str, Any] | None = None
    error: str | None = None  # bad answers (naming the field) or a draft that cannot route


class ReplayChange(BaseModel):
    """One past response whose decision the draft would change: the old and new decision as text."""

    response_id: str
    old: str
    new: str


class ReplayOutcome(BaseModel):
    """`bookflow route replay` of a draft: how many past decisions would change, and which."""

    total: int = 0
    changed: int = 0
    changes: list[ReplayChange] = []
    error: str | None = None


class RoutingWorkbench(Protocol):
    """The routing engine's operator table, checks, simulation, replay and diff, for the console."""

    def field_operators(self, field: FormField) -> list[str]:
        """The operators that fit ``field`` (the engine's own table, in a stable order)."""
        ...

    def attribute_operators(self, attribute: Attribute) -> list[str]:
        """The operators that fit an org attribute of this type (the engine's table, in a stable order)."""
        ...

    def operator_arity(self, operator: str) -> int:
        """How many values ``operator`` takes (0 for the emptiness tests, 2 for between)."""
        ...

    def form_problems(
        self,
        form: RoutingForm,
        attributes: Sequence[Attribute],
        event_type_ids: Collection[int],
        hidden_event_type_ids: Collection[int] = (),
    ) -> list[FormProblem]:
        """Every save-time problem, each naming its route and field (the checks the API's PATCH runs)."""
        ...

    async def simulate(self, db: Database, form: RoutingForm, answers: dict[str, Any]) -> Simulation:
        """Decide ``answers`` under the draft ``form``, storing and firing nothing."""
        ...

    async def replay(self, db: Database, form: RoutingForm) -> ReplayOutcome:
        """Re-decide the form's stored responses under the draft ``form``; stores nothing."""
        ...

    def diff(self, before: RoutingForm, after: RoutingForm, before_name: str, after_name: str) -> list[str]:
        """A unified diff of two versions' content, as `bookflow route diff` prints it."""
        ...

"""What-if replay: re-decide stored responses under new rules and report which decisions change.

The stored decision is the "old" side; the "new" side is ``decide`` under the new form with the
same answers, the same routing context and the CRM owner recorded with the old decision (replay
does no I/O, so it never asks the CRM again). Host choice depends on the assignment history at the
time, so replay compares what the rules decide: route, action, routed members and CRM owner.
"""

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import Field

from domain.base import CamelModel
from domain.crm import OwnerDecision
from domain.routing_forms import RouteAction, RoutingContext, RoutingDecision, RoutingForm
from routing.engine import decide


class StoredResponse(CamelModel):
    """A stored submission: its answers by field id and the decision made at the time."""

    id: int | str
    values: dict[str, Any]
    decision: RoutingDecision


class DecisionSummary(CamelModel):
    route_id: str
    route_name: str | None = None
    action: RouteAction
    team_member_ids: list[int] | None = None
    team_member_email: str | None = None

    @classmethod
    def of(cls, decision: RoutingDecision) -> "DecisionSummary":
        return cls(
            route_id=decision.route_id,
            route_name=decision.route_name,
            action=decision.action,
            team_member_ids=decision.team_member_ids,
            team_member_email=decision.team_member_email,
        )


class ReplayChange(CamelModel):
    response_id: int | str
    old: DecisionSummary
    new: DecisionSummary


class ReplayReport(CamelModel):
    total: int = 0
    changed: int = 0
    changes: list[ReplayChange] = Field(default_factory=list)


def _recorded_owner(decision: RoutingDecision) -> OwnerDecision | None:
    crm = decision.trace.crm
    if crm is None:
        return None
    return OwnerDecision(owner_email=crm.owner_email, record_type=crm.record_type)


def replay(
    form: RoutingForm,
    responses: Iterable[StoredResponse],
    context: RoutingContext | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Re-decide each response under ``form`` (the new rules); ``progress(n)`` is called per response."""
    report = ReplayReport()
    for response in responses:
        old = response.decision
        crm = old.trace.crm
        new = decide(form, response.values, context, _recorded_owner(old), crm.crm_app_slug if crm else None)
        report.total += 1
        if new.outcome() != old.outcome():
            report.changed += 1
            report.changes.append(
                ReplayChange(response_id=response.id, old=DecisionSummary.of(old), new=DecisionSummary.of(new))
            )
        if progress is not None:
            progress(report.total)
    return report

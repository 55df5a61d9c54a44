"""A routing decision and its trace as text, for `bookflow route explain|test|replay`."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from domain.routing_forms import RouteAction, RoutingDecision
from routing.conditions import FailedCondition
from routing.replay import DecisionSummary, ReplayReport


def action_text(action: RouteAction) -> str:
    if action.type == "eventTypeRedirectUrl":
        return f"event type {action.event_type_id} ({action.value or 'no URL'})"
    if action.type == "externalRedirectUrl":
        return f"redirect to {action.value}"
    return f"message {action.value!r}"


def summary_text(summary: DecisionSummary) -> str:
    text = f"route {summary.route_name or summary.route_id!r} → {action_text(summary.action)}"
    if summary.team_member_ids is not None:
        text += f", team members {summary.team_member_ids}"
    if summary.team_member_email:
        text += f", CRM owner {summary.team_member_email}"
    return text


def _failure_text(failure: FailedCondition) -> str:
    seen = ", ".join(f"{k}={json.dumps(v)}" for k, v in failure.seen.items()) or "no answer"
    text = f"first failed condition: {failure.condition} (saw {seen})"
    return text + (f"; error: {failure.error}" if failure.error else "")


def decision_lines(
    decision: RoutingDecision,
    answers: Mapping[str, Any] | None = None,
    failures: Sequence[FailedCondition] = (),
) -> list[str]:
    """The decision, the answers, then every step of its trace with the reason (and, for each route
    that did not match, its first failed condition with the value it saw)."""
    trace = decision.trace
    lines = [
        f"form {decision.form_id} v{decision.form_version}: {summary_text(DecisionSummary.of(decision))}",
        f"assignment reason: {decision.assignment_reason}",
    ]
    if answers is not None:
        lines.append("answers:")
        lines.extend(f"  {key}: {json.dumps(value)}" for key, value in answers.items())
    lines.append("routes tried:")
    failed = {f.route_id: f for f in failures}
    for result in trace.routes:
        mark = "✓" if result.matched else "✗"
        note = " (fallback)" if result.is_fallback else " (empty rule)" if result.empty_rule else ""
        error = f" — {result.error}" if result.error else ""
        lines.append(f"  {mark} {result.route_name or result.route_id}{note}{error}")
        if result.route_id in failed:
            lines.append(f"      {_failure_text(failed[result.route_id])}")
    if trace.attributes is not None:
        lines.append(f"attributes: {trace.attributes.reason}")
        if trace.attributes.matched_user_ids is not None:
            lines.append(f"  matched users: {trace.attributes.matched_user_ids}")
    if trace.crm is not None:
        lines.append(f"CRM ({trace.crm.crm_app_slug}): {'used' if trace.crm.used else 'not used'} — {trace.crm.reason}")
        lines.extend(f"  {s.get('step')}: {s.get('outcome')} — {s.get('reason')}" for s in trace.crm.steps)
    if trace.host is not None:
        lines.append(f"host: {trace.host.email} (user {trace.host.user_id}) — {trace.host.reason}")
        lines.extend(
            f"  user {c.user_id} {c.email}: weight {c.weight}, {c.assignments} past, shortfall {c.shortfall}"
            for c in trace.host.candidates
        )
    lines.extend(f"note: {n}" for n in trace.notes)
    return lines


def replay_lines(report: ReplayReport) -> list[str]:
    lines = [f"{report.changed} of {report.total} decisions change"]
    lines.extend(f"  response {c.response_id}: {summary_text(c.old)}  →  {summary_text(c.new)}" for c in report.changes)
    return lines

"""A routing decision and its trace as text, for `bookflow route explain|test|replay`."""

from domain.routing_forms import RouteAction, RoutingDecision
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


def decision_lines(decision: RoutingDecision) -> list[str]:
    """The decision, then every step of its trace with the reason."""
    trace = decision.trace
    lines = [
        f"form {decision.form_id} v{decision.form_version}: {summary_text(DecisionSummary.of(decision))}",
        f"assignment reason: {decision.assignment_reason}",
        "routes tried:",
    ]
    for result in trace.routes:
        mark = "✓" if result.matched else "✗"
        note = " (fallback)" if result.is_fallback else " (empty rule)" if result.empty_rule else ""
        error = f" — {result.error}" if result.error else ""
        lines.append(f"  {mark} {result.route_name or result.route_id}{note}{error}")
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

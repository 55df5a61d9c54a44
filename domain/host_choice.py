"""Host choice among round-robin hosts: weighted least-recent assignment, deterministic from history.

One implementation for routed submissions (``routing.engine``) and round-robin bookings (``api``),
kept in domain/ because api/ may not import routing/.

Only the hosts of the highest priority compete (Cal.com: priority 0-4, higher first). Each has a fair
share of all assignments, ``(past + 1) * weight / total weight``; the host furthest below their share
wins. Ties go to the higher weight, then to the host assigned least recently (never first), then to
the lowest user id. Everything is integer arithmetic over the history passed in, so the same history
always yields the same host: the caller decides the window (e.g. this month, this event type).
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from domain.routing_forms import AssignmentRecord, HostCandidate, HostChoice, RoutingHost

_NEVER = datetime.min


def _standings(
    hosts: Sequence[RoutingHost], history: Sequence[AssignmentRecord], weights: Mapping[int, int]
) -> list[tuple[RoutingHost, int, int, datetime | None]]:
    ids = {h.user_id for h in hosts}
    counts = dict.fromkeys(ids, 0)
    last: dict[int, datetime] = {}
    for record in history:
        if record.user_id in ids:
            counts[record.user_id] += 1
            seen = last.get(record.user_id)
            if seen is None or record.assigned_at > seen:
                last[record.user_id] = record.assigned_at
    return [(h, weights.get(h.user_id, h.weight), counts[h.user_id], last.get(h.user_id)) for h in hosts]


def _naive(moment: datetime | None) -> datetime:
    """A sortable UTC instant; never-assigned sorts first."""
    if moment is None:
        return _NEVER
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def choose_host(
    hosts: Sequence[RoutingHost],
    history: Sequence[AssignmentRecord],
    weights: Mapping[int, int] | None = None,
) -> HostChoice:
    """Choose one host; ``weights`` (e.g. from a weight attribute) override the hosts' own weights."""
    if not hosts:
        raise ValueError("hosts: no host to choose from")
    top = max(h.priority for h in hosts)
    pool = sorted((h for h in hosts if h.priority == top), key=lambda h: h.user_id)
    standings = _standings(pool, history, weights or {})
    total_weight = sum(weight for _, weight, _, _ in standings)
    total_past = sum(count for _, _, count, _ in standings)

    def score(weight: int, count: int) -> int:
        # (past + 1) * weight / total - count, scaled by total to stay in integers
        if total_weight == 0:
            return -count
        return (total_past + 1) * weight - count * total_weight

    ranked = sorted(
        standings,
        key=lambda s: (-score(s[1], s[2]), -s[1], _naive(s[3]), s[0].user_id),
    )
    winner, weight, count, _ = ranked[0]
    candidates = [
        HostCandidate(
            user_id=h.user_id,
            email=h.email,
            weight=w,
            priority=h.priority,
            assignments=c,
            last_assigned_at=seen,
            shortfall=round(score(w, c) / total_weight, 4) if total_weight else float(-c),
        )
        for h, w, c, seen in ranked
    ]
    share = (total_past + 1) * weight / total_weight if total_weight else 0.0
    reason = (
        f"furthest below a fair share among {len(pool)} host(s) of priority {top}: "
        f"{count} of {total_past} past assignment(s) at weight {weight} (share {share:.2f})"
    )
    if len(ranked) > 1 and score(ranked[1][1], ranked[1][2]) == score(weight, count):
        reason += "; tie broken by weight, then least recent assignment, then user id"
    return HostChoice(user_id=winner.user_id, email=winner.email, reason=reason, candidates=candidates)

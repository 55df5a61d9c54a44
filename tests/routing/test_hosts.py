"""Weighted least-recent host choice: deterministic from the history it is given."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from domain.host_choice import choose_host
from domain.routing_forms import AssignmentRecord, RoutingHost

START = datetime(2026, 1, 1, tzinfo=UTC)


def hosts(*weights: int) -> list[RoutingHost]:
    return [RoutingHost(user_id=i + 1, email=f"h{i + 1}@example.com", weight=w) for i, w in enumerate(weights)]


def simulate(pool: list[RoutingHost], rounds: int) -> Counter:
    history: list[AssignmentRecord] = []
    for n in range(rounds):
        chosen = choose_host(pool, history)
        history.append(AssignmentRecord(user_id=chosen.user_id, assigned_at=START + timedelta(minutes=n)))
    return Counter(r.user_id for r in history)


def test_weights_split_assignments_exactly() -> None:
    assert simulate(hosts(200, 100, 100), 60) == {1: 30, 2: 15, 3: 15}


def test_equal_weights_rotate() -> None:
    pool = hosts(100, 100, 100)
    history: list[AssignmentRecord] = []
    order = []
    for n in range(6):
        chosen = choose_host(pool, history)
        order.append(chosen.user_id)
        history.append(AssignmentRecord(user_id=chosen.user_id, assigned_at=START + timedelta(minutes=n)))
    assert order == [1, 2, 3, 1, 2, 3]


def test_least_recent_breaks_ties() -> None:
    pool = hosts(100, 100)
    history = [
        AssignmentRecord(user_id=1, assigned_at=START + timedelta(hours=2)),
        AssignmentRecord(user_id=2, assigned_at=START + timedelta(hours=1)),
    ]
    choice = choose_host(pool, history)
    assert choice.user_id == 2
    assert "tie broken" in choice.reason


def test_same_history_same_host_regardless_of_order() -> None:
    pool = hosts(100, 300, 100)
    history = [
        AssignmentRecord(user_id=u, assigned_at=START + timedelta(minutes=m)) for m, u in enumerate([2, 1, 2, 3, 2])
    ]
    first = choose_host(pool, history)
    assert all(choose_host(list(reversed(pool)), list(reversed(history))) == first for _ in range(3))


def test_highest_priority_competes_first() -> None:
    pool = [*hosts(100, 100), RoutingHost(user_id=9, email="lead@example.com", priority=4)]
    history = [AssignmentRecord(user_id=9, assigned_at=START + timedelta(minutes=m)) for m in range(5)]
    assert choose_host(pool, history).user_id == 9


def test_weight_override_and_candidate_standings() -> None:
    choice = choose_host(hosts(100, 100), [], weights={2: 500})
    assert choice.user_id == 2
    assert [(c.user_id, c.weight, c.assignments) for c in choice.candidates] == [(2, 500, 0), (1, 100, 0)]

"""The doctor's webhook lines: receivers failing now (rate and count over a window), deliveries that
ended undelivered, and switched-off subscriptions, with fixes in an order that works (enable before
redelivering: a delivery to a switched-off subscription is abandoned)."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, select

from domain.webhooks import DeliveryStatus, Outcome
from store.webhooks import AttemptRow, DeliveryRow, SubscriptionRow
from worker.ops.checks import Check

FAILING_WINDOW = timedelta(hours=1)
ENDED_WINDOW = timedelta(hours=24)
# A subscription whose attempts failed at least this often within FAILING_WINDOW is failing.
FAILING_RATE = 0.5
# What the receiver answered (an abandoned attempt never reached it).
RECEIVER_OUTCOMES = [o.value for o in (Outcome.DELIVERED, Outcome.RETRY, Outcome.FAILED, Outcome.GONE)]
NAME = "Webhook subscriptions"
FAILING_NAME = "Webhook deliveries failing"


def _hours(window: timedelta) -> str:
    return f"{window.total_seconds() / 3600:g} h"


def _failing(connection: Connection, now: datetime) -> Check | None:
    attempts = connection.execute(
        select(DeliveryRow.subscription_id, AttemptRow.outcome, func.count(), func.max(AttemptRow.at))
        .join(DeliveryRow, DeliveryRow.id == AttemptRow.delivery_id)
        .where(AttemptRow.at >= now - FAILING_WINDOW, AttemptRow.outcome.in_(RECEIVER_OUTCOMES))
        .group_by(DeliveryRow.subscription_id, AttemptRow.outcome)
    ).all()
    retrying = dict(
        connection.execute(
            select(DeliveryRow.subscription_id, func.count())
            .where(DeliveryRow.status == DeliveryStatus.RETRYING.value)
            .group_by(DeliveryRow.subscription_id)
        ).all()
    )
    total, failed = Counter[str](), Counter[str]()
    last_ok: dict[str, datetime] = {}
    last_failed: dict[str, datetime] = {}
    for subscription, outcome, count, latest in attempts:
        total[subscription] += count
        if outcome == Outcome.DELIVERED.value:
            last_ok[subscription] = latest
        else:
            failed[subscription] += count
            last_failed[subscription] = latest
    lines = []
    for subscription in sorted(set(total) | set(retrying)):
        rate = failed[subscription] / total[subscription] if total[subscription] else 0.0
        recovered = subscription in last_ok and last_ok[subscription] > last_failed.get(
            subscription, last_ok[subscription]
        )
        if not retrying.get(subscription) and (rate < FAILING_RATE or recovered):
            continue
        lines.append(
            f"{subscription}: {failed[subscription]} of {total[subscription]} attempts failed in the last "
            f"{_hours(FAILING_WINDOW)} ({rate:.0%}), {retrying.get(subscription, 0)} deliveries retrying"
        )
    if not lines:
        return None
    fix = (
        "fix the receiver; its deliveries retry on their own (see `bookflow webhooks deliveries --failing`), "
        "or send one again now with `bookflow webhooks redeliver ID`"
    )
    return Check(FAILING_NAME, "warn", "; ".join(lines), fix)


def _ended(connection: Connection, now: datetime, inactive: set[str]) -> Check | None:
    ended = connection.execute(
        select(DeliveryRow.subscription_id, DeliveryRow.status, func.count())
        .where(
            DeliveryRow.status.in_([DeliveryStatus.FAILED.value, DeliveryStatus.ABANDONED.value]),
            DeliveryRow.updated_at >= now - ENDED_WINDOW,
        )
        .group_by(DeliveryRow.subscription_id, DeliveryRow.status)
    ).all()
    if not ended:
        return None
    by_subscription: dict[str, list[str]] = {}
    for subscription, status, count in ended:
        by_subscription.setdefault(subscription, []).append(f"{count} {status}")
    listed = ", ".join(f"{sub} ({', '.join(counts)})" for sub, counts in sorted(by_subscription.items()))
    steps = ["fix the receiver"]
    steps += [f"`bookflow webhooks enable {sub}`" for sub in sorted(inactive & set(by_subscription))]
    steps.append(f"`bookflow webhooks redeliver --failed-since {_hours(ENDED_WINDOW).replace(' ', '')}`")
    detail = f"deliveries ended undelivered in the last {_hours(ENDED_WINDOW)}: {listed}"
    return Check(NAME, "fail", detail, ", then ".join(steps))


def webhook_checks(connection: Connection, tables: set[str]) -> list[Check]:
    """The webhook lines of `bookflow ops doctor` (read-only)."""
    if not {"webhooks", "webhook_deliveries", "webhook_attempts"} <= tables:
        return [Check(NAME, "skip", "the webhooks tables do not exist in this database (feature not migrated)")]
    now = datetime.now(UTC)
    inactive = set(connection.execute(select(SubscriptionRow.id).where(SubscriptionRow.active.is_(False))).scalars())
    checks = [c for c in (_failing(connection, now), _ended(connection, now, inactive)) if c is not None]
    if inactive:
        fix = (
            "a 410 Gone (or `bookflow webhooks disable`) switched them off; once the receiver is fixed, "
            "`bookflow webhooks enable ID` first, then redeliver what it missed"
        )
        checks.append(Check(NAME, "warn", f"switched off: {', '.join(sorted(inactive))}", fix))
    if not checks:
        checks.append(Check(NAME, "pass", "no delivery failing now or ended undelivered in the last 24 h, none off"))
    return checks

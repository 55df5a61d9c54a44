"""Bookflow's own Prometheus metrics, in one place; each family is updated by the code path it names.

Served with Temporal's SDK metrics on the `--metrics-port` endpoint of `bookflow worker`, `api` and
`dev` (see worker/telemetry.py); the gauges of deliveries failing now are read from the store at
scrape time (worker/delivery_health.py). Labels are small closed sets (trigger, status, outcome,
provider, reason code, route id): never a booking uid, email or URL.
"""

from prometheus_client import Counter, Histogram

# -- bookings (incremented in activities/bookings.py) -------------------------------------------------
EVENTS_RECORDED = Counter(
    "bookflow_events_recorded", "Booking events recorded in the event log (once per event id).", ["trigger"]
)
BOOKING_TRANSITIONS = Counter(
    "bookflow_booking_transitions",
    "Committed booking changes that fired triggers, by the booking's new status.",
    ["status"],
)

# -- webhooks (activities/webhooks.py, once per attempt) -----------------------------------------------
WEBHOOK_DELIVERIES = Counter(
    "bookflow_webhook_deliveries",
    "Webhook delivery attempts by outcome (delivered, retry, failed, gone, abandoned).",
    ["outcome"],
)
WEBHOOK_DELIVERY_LATENCY = Histogram(
    "bookflow_webhook_delivery_latency_seconds",
    "From the event's creation to the receiver's answer, for delivered webhooks.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200),
)

# -- reminders (activities/messaging.py, once per message settled) ------------------------------------------
REMINDERS_SENT = Counter("bookflow_reminders_sent", "Reminder messages a provider accepted.", ["channel", "provider"])
REMINDERS_SKIPPED = Counter(
    "bookflow_reminders_skipped",
    "Reminder messages not sent, by reason code (not_accepted, opted_out, meeting_started, no_recipient, "
    "render_failed, provider_refused, in_doubt).",
    ["reason"],
)
REMINDER_LATENESS = Histogram(
    "bookflow_reminder_lateness_seconds",
    "How long after its due time a reminder reached its provider.",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
)

# -- CRM (activities/crm.py: sync steps; activities/crm_providers.py: routing's owner lookups) -------------
CRM_CALLS = Counter(
    "bookflow_crm_calls",
    "Calls into a CRM adapter: a sync step by its action (created, rescheduled, cancelled, no_show) or find_owner.",
    ["provider", "operation"],
)
CRM_ERRORS = Counter("bookflow_crm_errors", "CRM calls that raised (retried or stored).", ["provider", "operation"])

# -- routing (activities/routing.py, once per response decided) -------------------------------------------
ROUTING_DECISIONS = Counter(
    "bookflow_routing_decisions", "Routing-form decisions by the route taken (route id, or 'fallback').", ["route"]
)


def events_recorded(triggers: list[str], status: str) -> None:
    """Count the events a commit newly recorded (a retried commit records none) and its transition."""
    for trigger in triggers:
        EVENTS_RECORDED.labels(trigger=trigger).inc()
    if triggers:
        BOOKING_TRANSITIONS.labels(status=status).inc()


def delivery_outcome(outcome: str, latency_seconds: float | None = None) -> None:
    """Count one delivery attempt; pass the latency for a delivered one."""
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()
    if latency_seconds is not None:
        WEBHOOK_DELIVERY_LATENCY.observe(latency_seconds)


def reminder_sent(channel: str, provider: str, lateness_seconds: float) -> None:
    """Count one message a provider accepted, and how late after its due time."""
    REMINDERS_SENT.labels(channel=channel, provider=provider).inc()
    REMINDER_LATENESS.observe(max(lateness_seconds, 0.0))


def reminder_skipped(reason: str) -> None:
    """Count one message settled without a send, by reason code."""
    REMINDERS_SKIPPED.labels(reason=reason).inc()


def crm_call(provider: str, operation: str, failed: bool = False) -> None:
    """Count one call into a CRM adapter, and its failure."""
    CRM_CALLS.labels(provider=provider, operation=operation).inc()
    if failed:
        CRM_ERRORS.labels(provider=provider, operation=operation).inc()


def routing_decision(route: str) -> None:
    """Count one routing-form decision by the route it took."""
    ROUTING_DECISIONS.labels(route=route).inc()

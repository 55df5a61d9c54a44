"""Gauges of webhook deliveries failing now, read from the store at scrape time, so an alert can fire.

``bookflow_webhook_subscription_failing{subscription}`` is, per subscription, the number of its
deliveries retrying after a failed attempt (0 for a healthy active one); ``bookflow_webhook_deliveries_failing``
is their total. A counter of failed attempts cannot say "failing right now"; the store can.

The collector runs in the metrics server's thread and asks the worker's event loop for the figures
(the store is async), waiting at most ``SCRAPE_TIMEOUT`` seconds; without a running worker it serves nothing.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from store import webhooks
from store.db import Database

log = logging.getLogger("bookflow.metrics")
SCRAPE_TIMEOUT = 5.0
SUBSCRIPTION_FAILING = "bookflow_webhook_subscription_failing"
DELIVERIES_FAILING = "bookflow_webhook_deliveries_failing"


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
    per_subscription = GaugeMetricFamily(
        SUBSCRIPTION_FAILING,
        "Deliveries of this subscription retrying after a failed attempt (0: healthy).",
        labels=["subscription"],
    )
    total = GaugeMetricFamily(DELIVERIES_FAILING, "Webhook deliveries retrying after a failed attempt.")
    return per_subscription, total


async def _failing(db: Database) -> dict[str, int]:
    async with db.sessions() as session:
        return await webhooks.failing_by_subscription(session)


class DeliveryHealth(Collector):
    """The failing-delivery gauges of the store the running worker uses."""

    def __init__(self) -> None:
        self._source: tuple[Database, asyncio.AbstractEventLoop] | None = None

    def describe(self) -> Iterable[Metric]:
        return _families()

    def collect(self) -> Iterable[Metric]:
        source = self._source
        if source is None:
            return []
        db, loop = source
        try:
            if asyncio.get_running_loop() is loop:
                return []  # asked from the worker's own loop: waiting on it here would deadlock
        except RuntimeError:
            pass  # no loop in this thread: the metrics server's, as expected
        future = asyncio.run_coroutine_threadsafe(_failing(db), loop)
        try:
            counts = future.result(timeout=SCRAPE_TIMEOUT)
        except Exception as error:  # the store is down or slow: serve the other metrics, say why in the log
            future.cancel()
            log.warning("failing-delivery gauges skipped: %s", type(error).__name__)
            return []
        per_subscription, total = _families()
        for subscription, count in sorted(counts.items()):
            per_subscription.add_metric([subscription], count)
        total.add_metric([], sum(counts.values()))
        return [per_subscription, total]

    @asynccontextmanager
    async def watching(self, db: Database) -> AsyncIterator[None]:
        """Serve the gauges of ``db`` (through the running loop) while the block runs."""
        self._source = (db, asyncio.get_running_loop())
        try:
            yield
        finally:
            self._source = None


DELIVERY_HEALTH = DeliveryHealth()
REGISTRY.register(DELIVERY_HEALTH)

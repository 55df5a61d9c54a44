"""Webhook tests retry on a schedule of fractions of a second instead of Svix's hours."""

import pytest

FAST_SCHEDULE = "0.3,0.3,0.3,0.3"


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("BOOKFLOW_WEBHOOK_RETRY_SCHEDULE", FAST_SCHEDULE)
    monkeypatch.setenv("BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE", "true")

"""Webhook bodies exactly as Cal.com sends them, built from a booking's state (placeholder until the
webhooks work lands: the signature is the contract)."""

from datetime import datetime
from typing import Any

from domain.booking import Booking
from domain.triggers import FLAT_TRIGGERS, Trigger


def build_body(trigger: Trigger, booking: Booking, created_at: datetime, extra: dict[str, Any]) -> dict:
    """The JSON body of ``trigger`` for ``booking`` as it is now; ``extra`` holds trigger-specific fields."""
    data = booking.wire() | extra
    stamp = created_at.isoformat().replace("+00:00", "Z")
    if trigger in FLAT_TRIGGERS:
        return {"triggerEvent": trigger.value, "createdAt": stamp, **data}
    return {"triggerEvent": trigger.value, "createdAt": stamp, "payload": data}

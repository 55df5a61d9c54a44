"""One rendered message on its way to a provider, and how a provider reports that it failed."""

from datetime import datetime

from domain.base import CamelModel
from domain.reminders import Channel


class OutgoingMessage(CamelModel):
    """A message ready to send; ``key`` is its idempotency key (booking uid, step, due time, recipient)."""

    key: str
    booking_uid: str
    step_id: str
    channel: Channel
    provider: str
    queue: str
    to: str
    to_name: str
    sender_name: str
    subject: str
    text: str
    html: str | None = None
    ics: str | None = None
    ics_method: str = "REQUEST"
    due: datetime
    # Timed reminders go out only while the booking is still accepted, and (beforeEvent) before it starts.
    requires_accepted: bool = False
    not_after: datetime | None = None
    attempt_timeout_seconds: float = 30


class SendError(Exception):
    """A provider call that did not deliver; the message says why, without any secret."""


class TransientSendError(SendError):
    """Not accepted this time (outage, rate limit, 5xx): retry with backoff."""


class PermanentSendError(SendError):
    """Refused for good (invalid number, unverified sender): record it on the booking, do not retry."""


class UncertainSendError(SendError):
    """The request left but no answer came back: it may have been delivered, so it is not resent."""

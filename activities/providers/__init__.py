"""Message providers: each sends one OutgoingMessage through a real client library and returns its id."""

from typing import Protocol

from activities.outgoing import OutgoingMessage
from domain.reminders import Channel


class Provider(Protocol):
    name: str
    channel: Channel

    async def send(self, message: OutgoingMessage) -> str:
        """Deliver ``message``; return the provider's message id, or raise a SendError subclass."""
        ...

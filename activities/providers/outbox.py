"""The outbox: with no provider configured, messages are kept in the store and `bookflow outbox` shows them."""

from activities.outgoing import OutgoingMessage
from domain.reminders import Channel


class OutboxProvider:
    """Delivery is the message row itself (written with the claim); nothing leaves the process."""

    name = "outbox"

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    async def send(self, message: OutgoingMessage) -> str:
        return f"outbox:{message.key}"

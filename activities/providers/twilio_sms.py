"""SMS through Twilio's Messages API, with the official twilio library."""

import asyncio
from dataclasses import dataclass

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from activities.outgoing import OutgoingMessage, PermanentSendError, TransientSendError, UncertainSendError
from domain.reminders import Channel

# Twilio's error 21610: the recipient replied STOP. The caller records the opt-out.
UNSUBSCRIBED = 21610


class RecipientOptedOut(PermanentSendError):
    """Twilio refused because the number opted out (21610)."""


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    messaging_service_sid: str | None = None
    from_number: str | None = None
    # Twilio's API host; tests point it at a loopback server speaking the same wire format.
    base_url: str = "https://api.twilio.com"
    timeout: float = 10.0


class TwilioSms:
    name = "twilio"
    channel = Channel.SMS

    def __init__(self, config: TwilioConfig) -> None:
        self._config = config

    def _client(self) -> Client:
        config = self._config
        # A non-empty environment keeps the client from reading TWILIO_* region/edge settings from ours.
        client = Client(
            config.account_sid,
            config.auth_token,
            http_client=TwilioHttpClient(timeout=config.timeout),
            environment={"BOOKFLOW": "1"},
        )
        client.api.base_url = config.base_url
        return client

    def _send(self, message: OutgoingMessage) -> str:
        config = self._config
        sender = (
            {"messaging_service_sid": config.messaging_service_sid}
            if config.messaging_service_sid
            else {"from_": config.from_number}
        )
        try:
            sent = self._client().messages.create(to=message.to, body=message.text, **sender)
        except TwilioRestException as error:
            text = f"Twilio answered {error.status} (error {error.code}): {error.msg}"
            if error.code == UNSUBSCRIBED:
                raise RecipientOptedOut(text) from None
            if error.status == 429 or error.status >= 500:
                raise TransientSendError(text) from None
            raise PermanentSendError(text) from None
        except requests.exceptions.ConnectTimeout:
            raise TransientSendError("Twilio did not accept the connection in time") from None
        except requests.exceptions.Timeout:
            raise UncertainSendError("Twilio did not answer in time; the SMS may have been accepted") from None
        except requests.exceptions.ConnectionError:
            raise TransientSendError("Twilio is unreachable") from None
        return sent.sid or ""

    async def send(self, message: OutgoingMessage) -> str:
        return await asyncio.to_thread(self._send, message)

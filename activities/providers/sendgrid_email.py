"""Email through SendGrid's v3 mail/send API, with the official sendgrid library."""

import asyncio
import base64
import urllib.error
from dataclasses import dataclass

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Attachment, CustomArg, From, Mail, To

from activities.outgoing import OutgoingMessage, PermanentSendError, TransientSendError, UncertainSendError
from domain.reminders import Channel

# 429 and 5xx are SendGrid saying "not now"; every other 4xx (403 unverified sender, 400 bad address)
# will fail the same way again.
RETRYABLE = frozenset({408, 429})


@dataclass(frozen=True)
class SendGridConfig:
    api_key: str
    sender_email: str
    host: str = "https://api.sendgrid.com"
    timeout: float = 10.0


def _mail(message: OutgoingMessage, sender_email: str) -> Mail:
    mail = Mail(
        from_email=From(sender_email, message.sender_name),
        to_emails=To(message.to, message.to_name),
        subject=message.subject,
        plain_text_content=message.text,
        html_content=message.html,
    )
    # Lets support staff find one send in SendGrid's activity feed by our idempotency key.
    mail.custom_arg = CustomArg("bookflow_key", message.key)
    if message.ics:
        mail.attachment = Attachment(
            file_content=base64.b64encode(message.ics.encode()).decode(),
            file_name="invite.ics",
            file_type=f"text/calendar; method={message.ics_method}",
            disposition="attachment",
        )
    return mail


def _error_text(error: HTTPError) -> str:
    body = error.body.decode(errors="replace") if isinstance(error.body, bytes) else str(error.body)
    return f"SendGrid answered {error.status_code}: {body[:500]}"


class SendGridEmail:
    name = "sendgrid"
    channel = Channel.EMAIL

    def __init__(self, config: SendGridConfig) -> None:
        self._config = config

    def _client(self) -> SendGridAPIClient:
        client = SendGridAPIClient(api_key=self._config.api_key, host=self._config.host)
        client.client.timeout = self._config.timeout
        return client

    def _send(self, message: OutgoingMessage) -> str:
        try:
            response = self._client().send(_mail(message, self._config.sender_email))
        except HTTPError as error:
            if error.status_code in RETRYABLE or error.status_code >= 500:
                raise TransientSendError(_error_text(error)) from None
            raise PermanentSendError(_error_text(error)) from None
        except TimeoutError:
            raise UncertainSendError("SendGrid did not answer in time; the email may have been accepted") from None
        except urllib.error.URLError as error:
            raise TransientSendError(f"SendGrid is unreachable: {error.reason}") from None
        return response.headers.get("X-Message-Id") or ""

    async def send(self, message: OutgoingMessage) -> str:
        return await asyncio.to_thread(self._send, message)

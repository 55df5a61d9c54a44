"""Email through any SMTP server (EMAIL_SERVER_HOST …), with the standard library's smtplib."""

import asyncio
import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from activities.outgoing import OutgoingMessage, PermanentSendError, TransientSendError, UncertainSendError
from domain.reminders import Channel


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    from_email: str = "notifications@bookflow.local"
    timeout: float = 10.0


def _message_id(key: str) -> str:
    # Derived from the idempotency key: a duplicate (should one ever happen) is recognisable as such.
    return make_msgid(idstring=hashlib.sha256(key.encode()).hexdigest()[:24], domain="bookflow")


def build_email(message: OutgoingMessage, from_email: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = formataddr((message.sender_name, from_email))
    email["To"] = formataddr((message.to_name, message.to))
    email["Subject"] = message.subject
    email["Message-ID"] = _message_id(message.key)
    email["Date"] = format_datetime(message.due)
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    if message.ics:
        email.add_attachment(
            message.ics.encode(),
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": message.ics_method},
        )
    return email


class SmtpEmail:
    name = "smtp"
    channel = Channel.EMAIL

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    def _connect(self) -> smtplib.SMTP:
        config = self._config
        if config.port == 465:
            return smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout)
        server = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        server.ehlo()
        if server.has_extn("starttls"):
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
        return server

    def _send(self, message: OutgoingMessage) -> str:
        email = build_email(message, self._config.from_email)
        try:
            server = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            raise TransientSendError(f"SMTP server unreachable: {error.__class__.__name__}") from None
        try:
            if self._config.user:
                server.login(self._config.user, self._config.password or "")
            server.send_message(email)
        except smtplib.SMTPAuthenticationError as error:
            raise PermanentSendError(f"SMTP login refused ({error.smtp_code})") from None
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _by_code(code, f"SMTP refused the recipient: {code} {reply.decode(errors='replace')}") from None
        except smtplib.SMTPResponseException as error:
            raise _by_code(
                error.smtp_code, f"SMTP refused the message: {error.smtp_code} {error.smtp_error!r}"
            ) from None
        except TimeoutError:
            raise UncertainSendError("the SMTP server did not answer in time; it may have accepted the email") from None
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            raise TransientSendError(f"SMTP connection failed: {error.__class__.__name__}") from None
        finally:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                server.close()
        return email["Message-ID"]

    async def send(self, message: OutgoingMessage) -> str:
        return await asyncio.to_thread(self._send, message)


def _by_code(code: int, text: str) -> Exception:
    """SMTP 4xx replies are temporary, 5xx permanent (RFC 5321 4.2.1)."""
    return TransientSendError(text) if 400 <= code < 500 else PermanentSendError(text)

"""Composing reminders: providers from settings, their activities, and one worker per provider queue.

Each provider polls its own task queue with its own rate limit, so a slow SMTP relay or Twilio's
per-second cap never holds up booking transitions or the other channel.
"""

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from types import TracebackType

from temporalio.client import Client
from temporalio.worker import Worker

from activities.messaging import MessagingActivities, MessagingOptions
from activities.providers import Provider
from activities.providers.outbox import OutboxProvider
from activities.providers.sendgrid_email import SendGridConfig, SendGridEmail
from activities.providers.smtp_email import SmtpConfig, SmtpEmail
from activities.providers.twilio_sms import TwilioConfig, TwilioSms
from domain.reminders import Channel
from store.db import Database
from templates.variables import Links
from worker.settings import MessagingSettings


def _secret(value: object) -> str | None:
    return value.get_secret_value() if value is not None else None  # type: ignore[attr-defined]


def email_provider(settings: MessagingSettings) -> Provider:
    if settings.sendgrid_api_key and settings.sendgrid_email:
        config = SendGridConfig(
            api_key=settings.sendgrid_api_key.get_secret_value(),
            sender_email=settings.sendgrid_email,
            host=settings.sendgrid_host,
            timeout=settings.provider_timeout_seconds,
        )
        return SendGridEmail(config)
    if settings.email_server_host:
        smtp = SmtpConfig(
            host=settings.email_server_host,
            port=settings.email_server_port,
            user=settings.email_server_user,
            password=_secret(settings.email_server_password),
            from_email=settings.email_from,
            timeout=settings.provider_timeout_seconds,
        )
        return SmtpEmail(smtp)
    return OutboxProvider(Channel.EMAIL)


def sms_provider(settings: MessagingSettings) -> Provider:
    sender = settings.twilio_messaging_sid or settings.twilio_phone_number
    if settings.twilio_sid and settings.twilio_token and sender:
        config = TwilioConfig(
            account_sid=settings.twilio_sid,
            auth_token=settings.twilio_token.get_secret_value(),
            messaging_service_sid=settings.twilio_messaging_sid,
            from_number=None if settings.twilio_messaging_sid else settings.twilio_phone_number,
            base_url=settings.twilio_api_url,
            timeout=settings.provider_timeout_seconds,
        )
        return TwilioSms(config)
    return OutboxProvider(Channel.SMS)


def provider_queue(task_queue: str, provider: str) -> str:
    return f"{task_queue}.{provider}"


def messaging_activities(db: Database, task_queue: str, settings: MessagingSettings) -> MessagingActivities:
    providers = {Channel.EMAIL: email_provider(settings), Channel.SMS: sms_provider(settings)}
    queues = {p.name: provider_queue(task_queue, p.name) for p in providers.values()}
    options = MessagingOptions(
        links=Links(settings.public_url),
        attempt_timeout=timedelta(seconds=settings.send_attempt_timeout_seconds),
        stale_claim=timedelta(seconds=settings.provider_timeout_seconds + 5),
    )
    return MessagingActivities(db, providers, queues, options)


def _rate(settings: MessagingSettings, provider: str) -> float:
    return {
        "sendgrid": settings.sendgrid_rate,
        "smtp": settings.smtp_rate,
        "twilio": settings.twilio_rate,
    }.get(provider, settings.outbox_rate)


def provider_workers(
    client: Client,
    task_queue: str,
    activities: MessagingActivities,
    settings: MessagingSettings,
    grace: timedelta = timedelta(),
) -> list[Worker]:
    """One worker per configured provider's task queue, rate-limited for that provider.

    ``grace``: how long a send in flight may finish after shutdown begins.
    """
    names = sorted({email_provider(settings).name, sms_provider(settings).name})
    return [
        Worker(
            client,
            task_queue=provider_queue(task_queue, name),
            activities=[activities.send_message],
            max_task_queue_activities_per_second=_rate(settings, name),
            max_concurrent_activities=50,
            graceful_shutdown_timeout=grace,
        )
        for name in names
    ]


class WorkerGroup:
    """Several workers started and stopped together; used like a single temporalio Worker."""

    def __init__(self, workers: Sequence[Worker]) -> None:
        self.workers = list(workers)

    @property
    def main(self) -> Worker:
        return self.workers[0]

    async def __aenter__(self) -> "WorkerGroup":
        entered: list[Worker] = []
        try:
            for worker in self.workers:
                await worker.__aenter__()
                entered.append(worker)
        except BaseException:
            await asyncio.gather(*(w.__aexit__(None, None, None) for w in entered))
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await asyncio.gather(*(w.__aexit__(kind, error, trace) for w in self.workers))

    async def run(self) -> None:
        await asyncio.gather(*(w.run() for w in self.workers))

    async def shutdown(self) -> None:
        await asyncio.gather(*(w.shutdown() for w in self.workers))

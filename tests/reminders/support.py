"""Reminder test helpers: a stack whose worker uses given provider settings, rules, and emulators."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from temporalio.client import Client

from domain.reminders import ReminderWorkflow
from store import messages
from store.db import Database
from store.messages import Message
from testkit.stack import Stack, eventually, running_api, running_stack, running_worker
from worker.settings import MessagingSettings


def settings(**values: Any) -> MessagingSettings:
    """Provider settings from ``values`` only (field names), never from the environment or .env."""
    blank = {
        "sendgrid_api_key": None,
        "sendgrid_email": None,
        "email_server_host": None,
        "twilio_sid": None,
        "twilio_token": None,
        "twilio_messaging_sid": None,
        "twilio_phone_number": None,
        "provider_timeout_seconds": 5,
        "send_attempt_timeout_seconds": 10,
    }
    return MessagingSettings(_env_file=None, **(blank | values))


def rule(
    trigger: str = "beforeEvent",
    offset_seconds: float | None = 3,
    action: str = "email_attendee",
    id: int = 1,
    **step: Any,
) -> ReminderWorkflow:
    """One rule with one step; timed triggers get ``offset_seconds`` (as fractional minutes)."""
    spec: dict[str, Any] = {"type": trigger}
    if trigger in ("beforeEvent", "afterEvent"):
        spec["offset"] = {"value": offset_seconds / 60, "unit": "minute"}
    return ReminderWorkflow.model_validate(
        {"id": id, "name": f"rule {id}", "trigger": spec, "steps": [{"stepNumber": 1, "action": action, **step}]}
    )


@asynccontextmanager
async def worker(client: Client, db: Database, task_queue: str, messaging: MessagingSettings) -> AsyncIterator[None]:
    async with running_worker(client, db, task_queue, messaging=messaging):
        yield


@asynccontextmanager
async def api(client: Client, db: Database, task_queue: str, keep_open_minutes: float = 0.05) -> AsyncIterator[Stack]:
    async with running_api(client, db, task_queue, keep_open_minutes) as stack:
        yield stack


@asynccontextmanager
async def reminder_stack(
    client: Client, db: Database, task_queue: str, messaging: MessagingSettings
) -> AsyncIterator[Stack]:
    """The API and a worker (with its provider workers) over ``db``."""
    async with running_stack(client, db, task_queue, 0.05, messaging=messaging) as stack:
        yield stack


async def message_log(db: Database, booking_uid: str) -> list[Message]:
    async with db.sessions() as session:
        return await messages.for_booking(session, booking_uid)


async def settled_log(db: Database, booking_uid: str, count: int, timeout: float = 30) -> list[Message]:
    """The booking's log once it holds ``count`` settled messages."""
    return await eventually(
        lambda: message_log(db, booking_uid),
        lambda log: len([m for m in log if m.status.final]) >= count,
        timeout=timeout,
    )

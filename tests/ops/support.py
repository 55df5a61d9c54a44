"""Helpers for the ops tests: a stack whose reminders go to a loopback SendGrid, and the CLI in a thread."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner, Result

from domain.reminders import ReminderWorkflow
from store.db import Database
from testkit.sendgrid import SendGridEmulator
from testkit.stack import Stack, eventually, running_stack, soon
from worker.cli import app
from worker.settings import MessagingSettings

SENDGRID_KEY = "SG.ops-test-key"
SENDER = "ops@bookflow.example"


def sendgrid_settings(emulator: SendGridEmulator) -> MessagingSettings:
    """Email through the emulator, SMS to the outbox; nothing read from the environment."""
    return MessagingSettings(
        _env_file=None,
        sendgrid_api_key=SENDGRID_KEY,
        sendgrid_email=SENDER,
        sendgrid_host=emulator.url,
        email_server_host=None,
        twilio_sid=None,
        twilio_token=None,
        provider_timeout_seconds=5,
        send_attempt_timeout_seconds=10,
    )


def outbox_settings() -> MessagingSettings:
    """No provider: messages are kept in the outbox."""
    return MessagingSettings(_env_file=None, sendgrid_api_key=None, email_server_host=None, twilio_sid=None)


def confirmation_rule() -> ReminderWorkflow:
    """An email to the attendee as soon as the booking is made."""
    return ReminderWorkflow.model_validate(
        {
            "id": 1,
            "name": "confirmation",
            "trigger": {"type": "newEvent"},
            "steps": [{"stepNumber": 1, "action": "email_attendee"}],
        }
    )


@asynccontextmanager
async def ops_stack(
    client: Client, db: Database, task_queue: str, messaging: MessagingSettings, keep_open_minutes: float = 1
) -> AsyncIterator[Stack]:
    async with running_stack(client, db, task_queue, keep_open_minutes, messaging=messaging) as stack:
        yield stack


def cli_env(env: WorkflowEnvironment, db: Database, **more: str | None) -> dict[str, str | None]:
    """The environment `bookflow ops` reads, pointing at the test's dev server and store."""
    return {
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": env.client.namespace,
        "BOOKFLOW_DATABASE_URL": db.url,
        # No provider from the developer's environment leaks into the doctor's lines.
        "SENDGRID_API_KEY": None,
        "EMAIL_SERVER_HOST": None,
        "TWILIO_SID": None,
        "HUBSPOT_ACCESS_TOKEN": None,
    } | more


async def bookflow(args: list[str], env: dict[str, str | None], stdin: str | None = None) -> Result:
    """Run `bookflow ARGS` in a thread (the CLI runs its own event loop), capturing its output."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, app, args, env=env, input=stdin, catch_exceptions=False)


def row_of(output: str, needle: str) -> str:
    """The table line of ``output`` containing ``needle`` (fails clearly if absent)."""
    lines = [line for line in output.splitlines() if needle in line]
    assert lines, f"{needle!r} not in:\n{output}"
    return lines[0]


async def completed_activities(client: Client, workflow_id: str) -> list[str]:
    """The activity types that completed in the workflow's current run."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    scheduled = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    return [
        scheduled[e.activity_task_completed_event_attributes.scheduled_event_id]
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    ]


async def committed_bookings(stack: Stack, event_type_id: int, count: int) -> list[str]:
    """Book ``count`` meetings an hour apart and wait until each workflow committed its booking."""
    uids = [(await stack.book(event_type_id, soon(3600 + 3600 * i)))["uid"] for i in range(count)]
    for uid in uids:
        await eventually(
            lambda uid=uid: completed_activities(stack.client, uid), lambda done: "commit_transition" in done
        )
    return uids

"""`bookflow webhooks list|add|rm|deliveries|redeliver|ping`: subscriptions and their delivery log."""

from datetime import datetime
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from activities.webhooks import WebhookDispatcher
from api.errors import ApiError, describe
from api.webhooks import CreateBody, check_fields, new_subscription
from domain.webhooks import Delivery, Subscription, WebhookSettings
from store import webhooks as store
from store.db import Database
from worker.cli.common import DataDir, fail, settings, with_database
from worker.config_checks import ConfigValidators
from worker.ops.timespec import parse_since
from worker.temporal import connect

app = typer.Typer(help="Webhook subscriptions, deliveries and redelivery.", no_args_is_help=True)
console = Console(width=240)  # ids and URLs are copied from here: never truncate them


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_since(text)
    except ValueError as invalid:
        raise fail(str(invalid)) from None


def _with_dispatcher(data_dir, work):
    """Run ``work(db, dispatcher)`` with a Temporal client (redelivery and pings start workflows)."""
    s = settings(data_dir)

    async def run(db: Database):
        client = await connect(s)
        return await work(db, WebhookDispatcher(db, client, s.task_queue, WebhookSettings()))

    return with_database(s, run)


@app.command("list")
def list_webhooks(data_dir: DataDir = None) -> None:
    """Every subscription, at every scope (the secret is never shown)."""

    async def read(db: Database) -> list[Subscription]:
        async with db.sessions() as session:
            return await store.list_subscriptions(session, all_scopes=True)

    table = Table("id", "scope", "url", "triggers", "active", "secret")
    for sub in with_database(settings(data_dir), read):
        scope = (
            f"event type {sub.event_type_id}" if sub.event_type_id else f"user {sub.user_id}" if sub.user_id else "all"
        )
        triggers = ",".join(t.value for t in sub.triggers)
        table.add_row(sub.id, scope, sub.subscriber_url, triggers, str(sub.active), "set" if sub.secret else "-")
    console.print(table)


@app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The subscriber URL.")],
    trigger: Annotated[list[str], typer.Option("--trigger", "-t", help="A trigger, e.g. BOOKING_CREATED (repeat).")],
    secret: Annotated[str | None, typer.Option(help="Signing secret (never shown again).")] = None,
    event_type: Annotated[int | None, typer.Option("--event-type", help="Only this event type's bookings.")] = None,
    user: Annotated[int | None, typer.Option("--user", help="Only this user's bookings.")] = None,
    template: Annotated[str | None, typer.Option(help="A payload template ({{var}}).")] = None,
    inactive: Annotated[bool, typer.Option("--inactive", help="Create it switched off.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Subscribe URL to triggers; the URL and template are checked first."""
    body = {"subscriberUrl": url, "triggers": trigger, "secret": secret, "payloadTemplate": template}
    try:
        request = CreateBody.model_validate(body | {"active": not inactive, "userId": user})
    except ValidationError as invalid:
        raise fail(describe(invalid.errors())) from None

    async def create(db: Database) -> Subscription:
        await check_fields(request, ConfigValidators())
        sub = new_subscription(request, event_type)
        async with db.transaction() as session:
            await store.save_subscription(session, sub)
        return sub

    try:
        sub = with_database(settings(data_dir), create)
    except ApiError as refused:
        raise fail(refused.message) from None
    typer.echo(sub.id)


@app.command("rm")
def remove(webhook_id: str, data_dir: DataDir = None) -> None:
    """Delete a subscription."""

    async def delete(db: Database) -> bool:
        async with db.transaction() as session:
            return await store.delete_subscription(session, webhook_id)

    if not with_database(settings(data_dir), delete):
        raise fail(f"no webhook {webhook_id}")
    typer.echo(f"deleted {webhook_id}")


@app.command("deliveries")
def deliveries(
    failed: Annotated[bool, typer.Option("--failed", help="Only failed deliveries.")] = False,
    subscription: Annotated[str | None, typer.Option("--subscription", help="One subscription's.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Since: ISO 8601, or an age like 2h.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    data_dir: DataDir = None,
) -> None:
    """The delivery log, newest first, with each delivery's attempts."""

    async def read(db: Database) -> list[tuple[Delivery, list]]:
        async with db.sessions() as session:
            found = await store.list_deliveries(session, subscription, failed=failed, since=_since(since), limit=limit)
            return [(d, await store.attempts_of(session, d.id)) for d in found]

    table = Table("delivery (webhook-id)", "created", "trigger", "subscription", "status", "attempts", "last")
    for delivery, attempts in with_database(settings(data_dir), read):
        last = attempts[-1] if attempts else None
        summary = "-" if last is None else f"{last.status_code or last.error} ({last.latency_ms:.0f} ms)"
        table.add_row(
            delivery.id,
            delivery.created_at.isoformat(timespec="seconds"),
            delivery.trigger,
            delivery.subscription_id,
            delivery.status.value,
            str(delivery.attempts),
            summary,
        )
    console.print(table)


@app.command("redeliver")
def redeliver(
    delivery_id: Annotated[str | None, typer.Argument(help="The delivery (its webhook-id).")] = None,
    failed_since: Annotated[str | None, typer.Option("--failed-since", help="Every failed delivery since T.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Start a new attempt series (same webhook-id) for one delivery or every failed one since T."""
    if (delivery_id is None) == (failed_since is None):
        raise fail("give a DELIVERY_ID or --failed-since T (one of them)")

    async def run(db: Database, dispatcher: WebhookDispatcher) -> list[str]:
        if delivery_id is not None:
            ids = [delivery_id]
        else:
            async with db.sessions() as session:
                found = await store.list_deliveries(session, failed=True, since=_since(failed_since), limit=10_000)
            ids = [d.id for d in found]
        return [await dispatcher.redeliver(i) for i in ids]

    try:
        started = _with_dispatcher(data_dir, run)
    except KeyError as missing:
        raise fail(f"no delivery {missing.args[0]}") from None
    typer.echo(f"redelivering {len(started)} deliveries")
    for workflow_id in started:
        typer.echo(workflow_id)


@app.command("ping")
def ping(webhook_id: str, data_dir: DataDir = None) -> None:
    """Send a test event to one subscription; prints the delivery id to look up in `deliveries`."""
    try:
        typer.echo(_with_dispatcher(data_dir, lambda db, dispatcher: dispatcher.ping(webhook_id)))
    except KeyError:
        raise fail(f"no webhook {webhook_id}") from None


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="webhooks")

"""`bookflow webhooks list|add|rm|enable|disable|deliveries|redeliver|ping`: subscriptions and their delivery log."""

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from activities.redelivery import Redelivered, RedeliveryPlan, SeriesStillRunning, SubscriptionInactive
from activities.webhooks import WebhookDispatcher
from api.errors import ApiError, describe
from api.webhooks import CreateBody, check_fields, new_subscription
from domain.webhooks import DeliveryStatus, Subscription
from store import webhooks as store
from store.db import Database
from store.delivery_reports import ENDED_UNDELIVERED, DeliveryReport, reports
from worker.cli.common import DataDir, fail, settings, with_database
from worker.cli.output import AsJson, echo_json
from worker.config_checks import ConfigValidators
from worker.ops.render import id_column, show, text_column
from worker.ops.timespec import parse_since
from worker.temporal import connect

app = typer.Typer(help="Webhook subscriptions, deliveries and redelivery.", no_args_is_help=True)
# At most this many deliveries in one --failed-since batch.
BATCH_LIMIT = 10_000


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
        return await work(db, WebhookDispatcher(db, client, s.task_queue, s.webhooks))

    return with_database(s, run)


@app.command("list")
def list_webhooks(as_json: AsJson = False, data_dir: DataDir = None) -> None:
    """Every subscription, at every scope (the secret is never shown)."""

    async def read(db: Database) -> list[Subscription]:
        async with db.sessions() as session:
            return await store.list_subscriptions(session, all_scopes=True)

    found = with_database(settings(data_dir), read)
    if as_json:
        # The string id the table, deliveries and fixes name (the API shows Cal.com's number, also accepted here).
        typer.echo(json.dumps([sub.public() | {"id": sub.id, "number": sub.number} for sub in found], indent=2))
        return
    table = Table()
    id_column(table, "id", [sub.id for sub in found])
    for column in ("scope", "url", "triggers", "active", "secret"):
        text_column(table, column)
    for sub in found:
        scope = (
            f"event type {sub.event_type_id}" if sub.event_type_id else f"user {sub.user_id}" if sub.user_id else "all"
        )
        triggers = ",".join(t.value for t in sub.triggers)
        table.add_row(sub.id, scope, sub.subscriber_url, triggers, str(sub.active), "set" if sub.secret else "-")
    show(table)


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

    s = settings(data_dir)

    async def create(db: Database) -> Subscription:
        await check_fields(request, ConfigValidators(), s.webhooks.allow_private)
        sub = new_subscription(request, event_type)
        async with db.transaction() as session:
            await store.save_subscription(session, sub)
        return sub

    try:
        sub = with_database(s, create)
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


def _switch(webhook_id: str, active: bool, data_dir) -> None:
    async def write(db: Database) -> bool:
        async with db.transaction() as session:
            return await store.set_active(session, webhook_id, active, datetime.now(UTC))

    if not with_database(settings(data_dir), write):
        raise fail(f"no webhook {webhook_id}")


@app.command("enable")
def enable(webhook_id: str, data_dir: DataDir = None) -> None:
    """Switch a subscription on (e.g. after a 410 Gone deactivated it and the receiver is fixed)."""
    _switch(webhook_id, True, data_dir)
    typer.echo(f"enabled {webhook_id}; redeliver what it missed: bookflow webhooks redeliver --failed-since 24h")


@app.command("disable")
def disable(webhook_id: str, data_dir: DataDir = None) -> None:
    """Switch a subscription off: new events are not delivered to it, retrying deliveries are abandoned."""
    _switch(webhook_id, False, data_dir)
    typer.echo(f"disabled {webhook_id}")


def _deliveries_table(found: list[DeliveryReport]) -> Table:
    table = Table(title=f"{len(found)} deliveries, newest first", title_justify="left")
    id_column(table, "delivery (webhook-id)", [d.id for d in found])
    id_column(table, "booking uid", [d.booking_uid or "-" for d in found])
    id_column(table, "subscription", [d.subscription_id for d in found])
    for column in ("created (UTC)", "trigger", "status", "attempts", "next attempt (UTC)"):
        table.add_column(column, no_wrap=True)
    text_column(table, "last answer")
    for d in found:
        last = "-" if d.last_attempt_at is None else d.last_error or str(d.last_status_code)
        table.add_row(
            d.id,
            d.booking_uid or "-",
            d.subscription_id,
            _when(d.created_at),
            d.trigger,
            d.status.value,
            str(d.attempts),
            _when(d.next_attempt_at),
            last,
        )
    return table


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


@app.command("deliveries")
def deliveries(
    failing: Annotated[
        bool, typer.Option("--failing", help="Only deliveries retrying after a failed attempt (an outage, now).")
    ] = False,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only deliveries that ended undelivered (failed or abandoned).")
    ] = False,
    subscription: Annotated[str | None, typer.Option("--subscription", help="One subscription's.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Created since: ISO 8601, or an age like 2h.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """The delivery log, newest first: booking uid, status, attempts, last answer and next attempt.

    The last answer is the receiver's status code or the error; the next attempt is shown while retrying.
    """
    s = settings(data_dir)
    statuses = (
        [*([DeliveryStatus.RETRYING] if failing else []), *(ENDED_UNDELIVERED if failed else [])]
        if failing or failed
        else None
    )

    async def read(db: Database) -> list[DeliveryReport]:
        async with db.sessions() as session:
            found = await store.list_deliveries(
                session, subscription, since=_since(since), limit=limit, statuses=statuses
            )
            return await reports(session, found, s.webhooks.schedule)

    found = with_database(s, read)
    if as_json:
        echo_json(found)
        return
    show(_deliveries_table(found))


def _plan_line(plan: RedeliveryPlan) -> str:
    stops = f"; first stops its running series {plan.stops}" if plan.stops else ""
    return f"{plan.delivery_id}: {plan.status.value}, series {plan.series} → new series {plan.new_workflow_id}{stops}"


def _redeliver_one(delivery_id: str, dry_run: bool, data_dir) -> None:
    async def run(db: Database, dispatcher: WebhookDispatcher) -> RedeliveryPlan | Redelivered:
        return await (dispatcher.plan_redelivery if dry_run else dispatcher.redeliver)(delivery_id)

    try:
        outcome = _with_dispatcher(data_dir, run)
    except KeyError:
        raise fail(f"no delivery {delivery_id}") from None
    except (SubscriptionInactive, SeriesStillRunning) as refused:
        raise fail(str(refused)) from None
    if isinstance(outcome, RedeliveryPlan):
        typer.echo(f"would redeliver {_plan_line(outcome)}")
        typer.echo("dry run: nothing changed")
    else:
        _print_redelivered(outcome)


def _print_redelivered(done: Redelivered) -> None:
    if done.workflow_id is None:
        typer.echo(f"{done.delivery_id}: {done.note}")
        return
    replaced = f" (replaced the running series {done.stopped})" if done.stopped else ""
    typer.echo(f"{done.delivery_id}: redelivering as {done.workflow_id}{replaced}")


@app.command("redeliver")
def redeliver(
    delivery_id: Annotated[str | None, typer.Argument(help="The delivery (its webhook-id).")] = None,
    failed_since: Annotated[
        str | None,
        typer.Option("--failed-since", help="Every delivery that ended undelivered (failed or abandoned) since T."),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Only say what would be redelivered; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (--failed-since).")] = False,
    data_dir: DataDir = None,
) -> None:
    """Start a new attempt series (same webhook-id) for one delivery or every failed one since T.

    A delivery still retrying has its running series stopped first, so the event arrives once. A
    delivery whose subscription is switched off is refused: enable the subscription first.
    """
    if (delivery_id is None) == (failed_since is None):
        raise fail("give a DELIVERY_ID or --failed-since T (one of them)")
    if delivery_id is not None:
        _redeliver_one(delivery_id, dry_run, data_dir)
        return
    moment = _since(failed_since)

    async def plan(db: Database, dispatcher: WebhookDispatcher) -> list[RedeliveryPlan | SubscriptionInactive]:
        async with db.sessions() as session:
            found = await store.list_deliveries(
                session, statuses=ENDED_UNDELIVERED, changed_since=moment, limit=BATCH_LIMIT
            )
        plans: list[RedeliveryPlan | SubscriptionInactive] = []
        for delivery in found:
            try:
                plans.append(await dispatcher.plan_redelivery(delivery.id))
            except SubscriptionInactive as refused:
                plans.append(refused)
        return plans

    plans = _with_dispatcher(data_dir, plan)
    ready = [p for p in plans if isinstance(p, RedeliveryPlan)]
    refused = [p for p in plans if isinstance(p, SubscriptionInactive)]
    typer.echo(f"{len(plans)} deliveries ended undelivered since {failed_since}; {len(ready)} can be redelivered:")
    for item in ready:
        typer.echo(f"  {_plan_line(item)}")
    for problem in refused:
        typer.secho(f"  refused: {problem}", fg=typer.colors.RED)
    if dry_run:
        typer.echo("dry run: nothing changed")
    elif ready:
        if not yes and not typer.confirm(f"Redeliver these {len(ready)} deliveries?"):
            raise typer.Exit(1)

        async def run(db: Database, dispatcher: WebhookDispatcher) -> list[Redelivered]:
            return [await dispatcher.redeliver(item.delivery_id) for item in ready]

        try:
            done = _with_dispatcher(data_dir, run)
        except (SubscriptionInactive, SeriesStillRunning) as stopped:
            raise fail(str(stopped)) from None
        typer.echo(f"redelivering {sum(d.workflow_id is not None for d in done)} deliveries")
        for item in done:
            _print_redelivered(item)
    if refused:
        raise typer.Exit(1)


@app.command("ping")
def ping(webhook_id: str, data_dir: DataDir = None) -> None:
    """Send a test event to one subscription; prints the delivery id to look up in `deliveries`."""
    try:
        typer.echo(_with_dispatcher(data_dir, lambda db, dispatcher: dispatcher.ping(webhook_id)))
    except KeyError:
        raise fail(f"no webhook {webhook_id}") from None


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="webhooks")

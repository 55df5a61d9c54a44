"""Console: webhook subscriptions (enable, disable, ping) and their deliveries with every attempt,
failing ones first, with redelivery previewed then done.

Everything goes through the API's rules: a subscription is shown and acted on only when the API would
let the caller read it (api/webhooks.py's ownership check; 404 otherwise), enable and disable are the
API's PATCH of ``active``, and redelivery and pings are the CLI's own code (WebhookDispatcher, reached
through ``ctx.operations``): a series still retrying is stopped first, so the receiver never gets the
event twice.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.access import Caller
from api.console.deps import CurrentConsoleUser, attempt, operations
from api.console.render import page, see_other
from api.context import ApiContext, Ctx
from api.errors import ApiError
from api.operations import Refused
from api.webhooks import owned, update_subscription
from domain.base import CamelModel
from domain.webhooks import Attempt, Delivery, Subscription
from store import webhooks as store
from store.delivery_reports import FAILING, DeliveryReport, report

router = APIRouter(prefix="/console/webhooks", include_in_schema=False)


class SubscriptionView(CamelModel):
    """One row of the subscriptions list: whom it delivers for, and how many deliveries are failing."""

    subscription: Subscription
    scope: str
    failing: int


class DeliveryView(CamelModel):
    """One delivery as the deliveries screen shows it: its report and every attempt."""

    report: DeliveryReport
    attempts: list[Attempt]

    @property
    def failing(self) -> bool:
        """Retrying, failed or abandoned (listed first, and marked)."""
        return self.report.status in FAILING


def scope_of(sub: Subscription) -> str:
    """Which bookings the subscription hears about: one event type's, one user's, or every booking."""
    if sub.event_type_id is not None:
        return f"event type {sub.event_type_id}"
    return f"user {sub.user_id}" if sub.user_id is not None else "every booking (instance)"


async def subscriptions_for(ctx: ApiContext, caller: Caller) -> list[SubscriptionView]:
    """Every subscription ``caller`` may read (an admin: all), with its count of failing deliveries."""
    async with ctx.db.sessions() as session:
        subs = await store.list_subscriptions(session, all_scopes=True)
        failing = await store.failing_by_subscription(session)
    return [
        SubscriptionView(subscription=sub, scope=scope_of(sub), failing=failing.get(sub.id, 0))
        for sub in subs
        if await owned(ctx, caller, sub)
    ]


async def subscription_for(ctx: ApiContext, caller: Caller, webhook_id: str) -> Subscription:
    """One subscription ``caller`` may read; 404 as the API answers for another user's."""
    async with ctx.db.sessions() as session:
        sub = await store.get_subscription(session, webhook_id)
    if sub is None or not await owned(ctx, caller, sub):
        raise ApiError(404, f"Webhook with id={webhook_id} not found")
    return sub


async def deliveries_for(ctx: ApiContext, sub: Subscription, limit: int = 100) -> list[DeliveryView]:
    """The subscription's deliveries with their attempts: failing ones first, each group newest first."""
    schedule = ctx.operations.webhook_schedule if ctx.operations else []
    async with ctx.db.sessions() as session:
        failing = await store.list_deliveries(session, sub.id, statuses=FAILING, limit=limit)
        recent = await store.list_deliveries(session, sub.id, limit=limit)
        seen = {d.id for d in failing}
        found = failing + [d for d in recent if d.id not in seen]
        views = [
            DeliveryView(report=await report(session, d, schedule), attempts=await store.attempts_of(session, d.id))
            for d in found[:limit]
        ]
    return views


async def delivery_for(ctx: ApiContext, caller: Caller, delivery_id: str) -> tuple[Delivery, Subscription]:
    """A delivery to a subscription ``caller`` may read; 404 otherwise (also once its subscription is deleted:
    nobody owns it any more, and `bookflow webhooks redeliver` would refuse it anyway)."""
    async with ctx.db.sessions() as session:
        delivery = await store.get_delivery(session, delivery_id)
        sub = await store.get_subscription(session, delivery.subscription_id) if delivery else None
    if delivery is None or sub is None or not await owned(ctx, caller, sub):
        raise ApiError(404, f"delivery {delivery_id} not found")
    return delivery, sub


async def switch(ctx: ApiContext, caller: Caller, webhook_id: str, active: bool) -> Subscription:
    """Enable or disable through the API's own update (same ownership and checks as PATCH)."""
    sub = await subscription_for(ctx, caller, webhook_id)
    await update_subscription(ctx, sub.id, {"active": active}, sub.event_type_id, caller)
    return await subscription_for(ctx, caller, webhook_id)


async def ping(ctx: ApiContext, caller: Caller, webhook_id: str) -> str:
    """Send a test event to one subscription the caller may read (`bookflow webhooks ping`)."""
    sub = await subscription_for(ctx, caller, webhook_id)
    return await operations(ctx).ping(sub.id)


# -- screens -------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def subscriptions_page(request: Request, ctx: Ctx, caller: CurrentConsoleUser, notice: str = "") -> HTMLResponse:
    """The subscriptions the caller may read, each with its count of failing deliveries."""
    views = await subscriptions_for(ctx, caller)
    return page(request, "webhooks.html", caller, views=views, notice=notice, title="Webhooks")


@router.get("/{webhook_id}", response_class=HTMLResponse)
async def deliveries_page(
    request: Request, webhook_id: str, ctx: Ctx, caller: CurrentConsoleUser, notice: str = ""
) -> HTMLResponse:
    """One subscription's deliveries with every attempt, failing ones first."""
    sub = await subscription_for(ctx, caller, webhook_id)
    deliveries = await deliveries_for(ctx, sub)
    values = {"sub": sub, "scope": scope_of(sub), "deliveries": deliveries, "notice": notice}
    return page(request, "webhooks_deliveries.html", caller, title="Deliveries", **values)


@router.post("/{webhook_id}/enable")
async def enable(webhook_id: str, ctx: Ctx, caller: CurrentConsoleUser) -> RedirectResponse:
    """Turn the subscription on (the API's PATCH of ``active``)."""
    await switch(ctx, caller, webhook_id, True)
    return see_other(f"/console/webhooks?{urlencode({'notice': f'enabled {webhook_id}'})}")


@router.post("/{webhook_id}/disable")
async def disable(webhook_id: str, ctx: Ctx, caller: CurrentConsoleUser) -> RedirectResponse:
    """Turn the subscription off (the API's PATCH of ``active``)."""
    await switch(ctx, caller, webhook_id, False)
    return see_other(f"/console/webhooks?{urlencode({'notice': f'disabled {webhook_id}'})}")


@router.post("/{webhook_id}/ping")
async def ping_page(webhook_id: str, ctx: Ctx, caller: CurrentConsoleUser) -> RedirectResponse:
    """Send a test event, then show the deliveries with a notice saying whether it went."""
    try:
        notice = f"ping sent as {await ping(ctx, caller, webhook_id)}"
    except Refused as refused:
        notice = f"ping not sent: {refused}"
    return see_other(f"/console/webhooks/{webhook_id}?{urlencode({'notice': notice})}")


@router.get("/deliveries/{delivery_id}/redeliver", response_class=HTMLResponse)
async def redelivery_preview_page(
    request: Request, delivery_id: str, ctx: Ctx, caller: CurrentConsoleUser
) -> HTMLResponse:
    """The dry run, with the button that carries it out."""
    delivery, sub = await delivery_for(ctx, caller, delivery_id)
    plan, refusal = await attempt(operations(ctx).plan_redelivery(delivery.id), None)
    values = {"delivery": delivery, "sub": sub, "plan": plan, "refusal": refusal, "title": "Redeliver"}
    return page(request, "webhooks_redeliver.html", caller, status=409 if refusal else 200, **values)


@router.post("/deliveries/{delivery_id}/redeliver", response_class=HTMLResponse)
async def redeliver_page(
    request: Request, delivery_id: str, ctx: Ctx, caller: CurrentConsoleUser, confirm: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Carry out the previewed redelivery (the preview's button posts ``confirm=yes``)."""
    delivery, sub = await delivery_for(ctx, caller, delivery_id)
    if confirm != "yes":
        raise ApiError(400, "confirm: preview the redelivery, then confirm it")
    done, refusal = await attempt(operations(ctx).redeliver(delivery.id), None)
    values = {"delivery": delivery, "sub": sub, "done": done, "refusal": refusal, "title": "Redelivered"}
    return page(request, "webhooks_redeliver.html", caller, status=409 if refusal else 200, **values)

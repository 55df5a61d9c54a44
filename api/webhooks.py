"""`/v2/webhooks` and `/v2/event-types/{eventTypeId}/webhooks`: Cal.com's webhook subscriptions.

The secret is write-only: accepted on create and update, never returned. A subscriber URL is checked
against the SSRF rules (resolving its host) before anything is saved, and a template must compile.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import ValidationError

from api.access import Caller, CurrentUser, may_act_for, owns_event_type, owns_user_webhook
from api.checks import ConfigChecks
from api.context import ApiContext, Ctx
from api.errors import ApiError, describe
from api.event_types import owned_event_type
from api.schemas import Envelope
from domain.webhooks import (
    Subscription,
    SubscriptionCreate,
    SubscriptionFields,
    check_time_pair,
)
from store import config
from store import webhooks as store

router = APIRouter(tags=["webhooks"])
USER = "/v2/webhooks"
EVENT_TYPE = "/v2/event-types/{event_type_id}/webhooks"


class CreateBody(SubscriptionCreate):
    user_id: int | None = None  # user scope; absent means every booking of this instance


def _parse(model: type[SubscriptionFields], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as invalid:
        raise ApiError(400, describe(invalid.errors())) from None


async def check_fields(fields: SubscriptionFields, checks: ConfigChecks, allow_private: bool) -> None:
    """Refuse a URL the SSRF rules forbid and a template that does not compile, naming the field."""
    if fields.subscriber_url is not None and (
        problems := await checks.subscriber_url_problems(fields.subscriber_url, allow_private)
    ):
        raise ApiError(400, f"subscriberUrl: {'; '.join(problems)}")
    if fields.payload_template and (problems := checks.webhook_template_problems(fields.payload_template)):
        raise ApiError(400, f"payloadTemplate: {'; '.join(problems)}")


async def owned(ctx: ApiContext, caller: Caller, sub: Subscription) -> bool:
    """Whether ``caller`` may see ``sub``: its user, the owner of its event type, or an admin."""
    if caller.admin or sub.event_type_id is None:
        return owns_user_webhook(caller, sub)
    async with ctx.db.sessions() as session:
        event_type = await config.get_event_type(session, sub.event_type_id)
    return event_type is not None and owns_event_type(caller, event_type)


async def _get(ctx: ApiContext, webhook_id: str, event_type_id: int | None, caller: Caller) -> Subscription:
    async with ctx.db.sessions() as session:
        sub = await store.get_subscription(session, webhook_id)
    if sub is None or sub.event_type_id != event_type_id or not await owned(ctx, caller, sub):
        raise ApiError(404, f"Webhook with id={webhook_id} not found")
    return sub


async def _create(ctx: ApiContext, body: dict[str, Any], event_type_id: int | None, caller: Caller) -> Envelope:
    if event_type_id is not None:  # first, so another user's event type is a 404 whatever the body says
        await owned_event_type(ctx, event_type_id, caller)
    request = _parse(CreateBody, body)
    await check_fields(request, ctx.checks, ctx.config.allow_private_urls)
    if event_type_id is None and not caller.admin:
        # A user's key makes webhooks of that user; an instance-wide one (no userId) takes an admin key.
        request.user_id = request.user_id if request.user_id is not None else caller.user_id
        may_act_for(caller, request.user_id, "userId")
    if request.user_id is not None:
        async with ctx.db.sessions() as session:
            if await config.get_user(session, request.user_id) is None:
                raise ApiError(400, f"userId: user {request.user_id} does not exist")
    sub = new_subscription(request, event_type_id)
    async with ctx.db.transaction() as session:
        sub = await store.save_subscription(session, sub)
    return Envelope(data=sub.public())


def new_subscription(request: CreateBody, event_type_id: int | None) -> Subscription:
    """The subscription a checked create request describes, with a fresh id."""
    now = datetime.now(UTC)
    return Subscription(
        id=str(uuid.uuid4()),
        user_id=request.user_id if event_type_id is None else None,
        event_type_id=event_type_id,
        subscriber_url=request.subscriber_url.strip(),
        triggers=request.triggers,
        active=request.active,
        payload_template=request.payload_template,
        secret=request.secret,
        time=request.time,
        time_unit=request.time_unit,
        created_at=now,
        updated_at=now,
    )


async def update_subscription(
    ctx: ApiContext, webhook_id: str, body: dict[str, Any], event_type_id: int | None, caller: Caller
) -> Envelope:
    """Apply the partial ``body`` to the caller's subscription (the PATCH routes and the console share it)."""
    current = await _get(ctx, webhook_id, event_type_id, caller)
    patch = _parse(SubscriptionFields, body)
    await check_fields(patch, ctx.checks, ctx.config.allow_private_urls)
    changes = patch.model_dump(exclude_unset=True, exclude={"version"})
    if "subscriber_url" in changes and changes["subscriber_url"] is None:
        raise ApiError(400, "subscriberUrl: cannot be empty")
    if "triggers" in changes and changes["triggers"] is None:
        raise ApiError(400, "triggers: give at least one trigger")
    sub = current.model_copy(update=changes | {"updated_at": datetime.now(UTC)})
    try:
        check_time_pair(sub.time, sub.time_unit)
    except ValueError as invalid:
        raise ApiError(400, str(invalid)) from None
    async with ctx.db.transaction() as session:
        await store.save_subscription(session, sub)
    return Envelope(data=sub.public())


async def _delete(ctx: ApiContext, webhook_id: str, event_type_id: int | None, caller: Caller) -> Envelope:
    sub = await _get(ctx, webhook_id, event_type_id, caller)
    async with ctx.db.transaction() as session:
        await store.delete_subscription(session, sub.id)
    return Envelope(data=sub.public())


# -- user (instance) scope --------------------------------------------------------------------------


@router.post(USER, status_code=201)
async def create_webhook(ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]) -> Envelope:
    return await _create(ctx, body, None, caller)


@router.get(USER)
async def list_webhooks(
    ctx: Ctx, caller: CurrentUser, user_id: Annotated[int | None, Query(alias="userId")] = None
) -> Envelope:
    if not caller.admin:  # a user's key lists that user's webhooks only
        may_act_for(caller, caller.user_id if user_id is None else user_id, "userId")
        user_id = caller.user_id
    async with ctx.db.sessions() as session:
        subs = await store.list_subscriptions(session, event_type_id=None, user_id=user_id)
    return Envelope(data=[s.public() for s in subs])


@router.get(USER + "/{webhook_id}")
async def get_webhook(webhook_id: str, ctx: Ctx, caller: CurrentUser) -> Envelope:
    return Envelope(data=(await _get(ctx, webhook_id, None, caller)).public())


@router.patch(USER + "/{webhook_id}")
async def update_webhook(
    webhook_id: str, ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]
) -> Envelope:
    return await update_subscription(ctx, webhook_id, body, None, caller)


@router.delete(USER + "/{webhook_id}")
async def delete_webhook(webhook_id: str, ctx: Ctx, caller: CurrentUser) -> Envelope:
    return await _delete(ctx, webhook_id, None, caller)


@router.get(USER + "/{webhook_id}/deliveries")
async def list_deliveries(
    webhook_id: str,
    ctx: Ctx,
    caller: CurrentUser,
    failed: bool = False,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Envelope:
    """Deliveries to one subscription, newest first, each with its attempts."""
    async with ctx.db.sessions() as session:
        sub = await store.get_subscription(session, webhook_id)
    if sub is None or not await owned(ctx, caller, sub):
        raise ApiError(404, f"Webhook with id={webhook_id} not found")
    async with ctx.db.sessions() as session:
        found = await store.list_deliveries(session, sub.id, failed=failed, since=since, limit=limit)
        data = [
            _without_body(d.wire()) | {"log": [a.wire() for a in await store.attempts_of(session, d.id)]} for d in found
        ]
    return Envelope(data=data)


def _without_body(delivery: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in delivery.items() if k != "body"}


# -- event-type scope -------------------------------------------------------------------------------


@router.post(EVENT_TYPE, status_code=201)
async def create_event_type_webhook(
    event_type_id: int, ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]
) -> Envelope:
    return await _create(ctx, body, event_type_id, caller)


@router.get(EVENT_TYPE)
async def list_event_type_webhooks(event_type_id: int, ctx: Ctx, caller: CurrentUser) -> Envelope:
    await owned_event_type(ctx, event_type_id, caller)
    async with ctx.db.sessions() as session:
        subs = await store.list_subscriptions(session, event_type_id=event_type_id)
    return Envelope(data=[s.public() for s in subs])


@router.delete(EVENT_TYPE)
async def delete_event_type_webhooks(event_type_id: int, ctx: Ctx, caller: CurrentUser) -> Envelope:
    await owned_event_type(ctx, event_type_id, caller)
    async with ctx.db.transaction() as session:
        subs = await store.list_subscriptions(session, event_type_id=event_type_id)
        for sub in subs:
            await store.delete_subscription(session, sub.id)
    # Cal.com answers a sentence, not the deleted webhooks.
    return Envelope(data=f"{len(subs)} webhooks deleted")


@router.get(EVENT_TYPE + "/{webhook_id}")
async def get_event_type_webhook(event_type_id: int, webhook_id: str, ctx: Ctx, caller: CurrentUser) -> Envelope:
    return Envelope(data=(await _get(ctx, webhook_id, event_type_id, caller)).public())


@router.patch(EVENT_TYPE + "/{webhook_id}")
async def update_event_type_webhook(
    event_type_id: int, webhook_id: str, ctx: Ctx, caller: CurrentUser, body: Annotated[dict[str, Any], Body()]
) -> Envelope:
    return await update_subscription(ctx, webhook_id, body, event_type_id, caller)


@router.delete(EVENT_TYPE + "/{webhook_id}")
async def delete_event_type_webhook(event_type_id: int, webhook_id: str, ctx: Ctx, caller: CurrentUser) -> Envelope:
    return await _delete(ctx, webhook_id, event_type_id, caller)

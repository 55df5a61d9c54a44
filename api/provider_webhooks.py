"""Provider events, authenticated by the provider's signature: Stripe payments and Daily joins.

Each event is verified before it is parsed, recorded by the provider's event id (store.provider_events)
so a replay is applied once, and handed to the booking's workflow as the signal the manual routes
send. Events that can never apply (another event type, an unknown or finished booking) are
acknowledged with ``applied: false`` so the provider stops retrying them; only Temporal being
unreachable answers 503, which the provider retries.
"""

import json
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, EmailStr, TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError

from api.booking_commands import signal
from api.context import ApiContext, Ctx
from api.errors import ApiError
from api.provider_signatures import BadSignature, verify_daily, verify_stripe
from api.schemas import Envelope
from domain.booking import ParticipantJoin, PaymentSucceeded
from store import provider_events
from store.provider_events import Seen

router = APIRouter(tags=["provider events"])
T = TypeVar("T", bound=BaseModel)

STRIPE_EVENTS = frozenset({"checkout.session.completed", "payment_intent.succeeded"})
# Where our Stripe objects carry the booking: metadata set when the checkout or payment intent is made.
BOOKING_METADATA_KEY = "bookingUid"


class StripeObject(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    object: str = ""
    metadata: dict[str, str] = {}
    payment_intent: str | None = None
    payment_status: str | None = None
    status: str | None = None


class StripeData(BaseModel):
    object: StripeObject


class StripeEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    type: str
    data: StripeData


class DailyJoin(BaseModel):
    """``participant.joined``'s payload. Bookflow names each booking's room after its uid and puts the
    participant's email in the meeting token's ``user_id``."""

    model_config = ConfigDict(extra="ignore")

    room: str
    user_id: str | None = None
    joined_at: float | None = None


class DailyEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    type: str
    payload: dict[str, Any] = {}


def _parse(model: type[T], body: bytes) -> T:
    try:
        return model.model_validate_json(body)
    except ValidationError as invalid:
        raise ApiError(400, f"the event is not a {model.__name__}: {invalid.errors()[0]['msg']}") from None


def _received(applied: bool, **detail: Any) -> Envelope:
    return Envelope(data={"received": True, "applied": applied} | detail)


async def deliver(
    ctx: ApiContext, provider: str, event_id: str, uid: str, name: str, argument: Any, by: str | None = None
) -> Envelope:
    """Signal the booking once per provider event id; a replay of a settled event is only acknowledged.

    ``by`` names who reported the event when a person did (manual reconciliation); it is recorded.
    """
    now = datetime.now(UTC)
    try:
        async with ctx.db.transaction() as session:
            seen = await provider_events.claim(session, provider, event_id, uid, now)
    except IntegrityError:
        raise ApiError(409, f"event {event_id} is being handled right now; retry later") from None
    if seen is Seen.SETTLED:
        return _received(False, duplicate=True, eventId=event_id)
    outcome, applied = f"signalled, reported by {by}" if by else "signalled", True
    try:
        await signal(ctx, uid, name, argument)
    except ApiError as refused:
        if refused.status not in (404, 409):
            raise
        outcome, applied = refused.message, False  # an unknown or finished booking: never applicable
    except Exception:
        # Left unsettled: the provider retries, and the retry hands the event over again.
        raise ApiError(503, "the workflow engine is unavailable; the event was not applied, retry") from None
    async with ctx.db.transaction() as session:
        await provider_events.settle(session, provider, event_id, outcome, datetime.now(UTC))
    return _received(applied, eventId=event_id, bookingUid=uid, **({} if applied else {"reason": outcome}))


@router.post("/v2/payments/stripe/webhook")
async def stripe_webhook(
    request: Request,
    ctx: Ctx,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature", max_length=2000)] = None,
) -> Envelope:
    """A Stripe event: ``checkout.session.completed`` or ``payment_intent.succeeded`` pays the booking whose
    uid is in the object's metadata (``bookingUid``). Verified with STRIPE_WEBHOOK_SECRET."""
    secret = ctx.config.access.stripe_webhook_secret
    if secret is None:
        raise ApiError(404, "Stripe webhooks are off on this instance (STRIPE_WEBHOOK_SECRET is not set)")
    body = await request.body()
    try:
        verify_stripe(body, stripe_signature, secret)
    except BadSignature as bad:
        raise ApiError(400, str(bad)) from None
    event = _parse(StripeEvent, body)
    paid = event.data.object
    uid = paid.metadata.get(BOOKING_METADATA_KEY)
    if event.type not in STRIPE_EVENTS or not uid:
        return _received(False, reason=f"{event.type} carries no booking payment", eventId=event.id)
    if event.type == "checkout.session.completed" and paid.payment_status not in ("paid", "no_payment_required"):
        return _received(False, reason=f"checkout not paid yet ({paid.payment_status})", eventId=event.id)
    payment = PaymentSucceeded(payment_event_id=event.id, external_id=paid.payment_intent or paid.id)
    return await deliver(ctx, "stripe", event.id, uid, "payment_succeeded", payment)


_EMAIL: TypeAdapter[EmailStr] = TypeAdapter(EmailStr)


def _is_daily_ping(body: bytes) -> bool:
    """Daily checks a new webhook's endpoint with a bare ``{"test": "test"}``; it changes nothing, so it
    is answered 200 signed or not (else Daily refuses to create the webhook)."""
    try:
        return json.loads(body) == {"test": "test"}
    except (ValueError, RecursionError):
        return False


def _moment(unix: float | None) -> datetime:
    """Daily's join time, or now when it sent none (or one no calendar holds)."""
    try:
        return datetime.fromtimestamp(unix, UTC) if unix else datetime.now(UTC)
    except (OverflowError, OSError, ValueError):
        return datetime.now(UTC)


@router.post("/v2/video/daily/webhook")
async def daily_webhook(
    request: Request,
    ctx: Ctx,
    timestamp: Annotated[str | None, Header(alias="X-Webhook-Timestamp", max_length=64)] = None,
    signature: Annotated[str | None, Header(alias="X-Webhook-Signature", max_length=512)] = None,
) -> Envelope:
    """A Daily event: ``participant.joined`` records the join on the booking the room is named after
    (no-show detection). Verified with DAILY_WEBHOOK_SECRET."""
    secret = ctx.config.access.daily_webhook_secret
    if secret is None:
        raise ApiError(404, "Daily webhooks are off on this instance (DAILY_WEBHOOK_SECRET is not set)")
    body = await request.body()
    if _is_daily_ping(body):
        return _received(False, reason="verification ping")
    try:
        verify_daily(body, timestamp, signature, secret)
    except BadSignature as bad:
        raise ApiError(401, str(bad)) from None
    event = _parse(DailyEvent, body)
    if event.type != "participant.joined":
        return _received(False, reason=f"{event.type} is not used", eventId=event.id)
    try:
        join = DailyJoin.model_validate(event.payload)
        email = _EMAIL.validate_python(join.user_id)
    except ValidationError:
        return _received(False, reason="the participant has no email as user_id", eventId=event.id)
    argument = ParticipantJoin(email=email, joined_at=_moment(join.joined_at))
    return await deliver(ctx, "daily", event.id, join.room[:64], "participant_joined", argument)

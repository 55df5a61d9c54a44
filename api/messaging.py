"""Inbound messaging: Twilio's webhook for replies (STOP/START), and a booking's message log."""

from datetime import UTC, datetime
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from twilio.request_validator import RequestValidator

from api.access import CurrentUser
from api.booking_commands import existing
from api.context import Ctx
from api.errors import ApiError
from api.schemas import Envelope
from store import messages

router = APIRouter(tags=["messaging"])

# Twilio's standard opt-out and opt-in keywords (used when the message carries no OptOutType).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _signed_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio signed: ours as the world sees it (BOOKFLOW_PUBLIC_URL) or as the request says."""
    if public_url:
        query = f"?{request.url.query}" if request.url.query else ""
        return public_url.rstrip("/") + request.url.path + query
    return str(request.url)


def _intent(params: dict[str, str]) -> bool | None:
    """True for an opt-out, False for an opt-in, None for any other reply."""
    kind = params.get("OptOutType", "").upper()
    word = params.get("Body", "").strip().upper()
    if kind == "STOP" or (not kind and word in STOP_WORDS):
        return True
    if kind == "START" or (not kind and word in START_WORDS):
        return False
    return None


@router.post("/v2/messaging/twilio/inbound")
async def twilio_inbound(request: Request, ctx: Ctx) -> Response:
    """Twilio's incoming-message webhook: a verified STOP records the opt-out, START lifts it."""
    settings = ctx.config.inbound
    if settings.twilio_token is None:
        # Off, not broken: a 5xx would have Twilio (and monitors) retry a route that cannot work here.
        raise ApiError(404, "Twilio inbound is off on this instance (TWILIO_TOKEN is not set)")
    params = dict(parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True))
    validator = RequestValidator(settings.twilio_token.get_secret_value())
    signature = request.headers.get("X-Twilio-Signature", "")
    if not validator.validate(_signed_url(request, settings.public_url), params, signature):
        raise ApiError(403, "X-Twilio-Signature: the signature does not match this request")
    opted_out = _intent(params)
    phone = params.get("From", "")
    if opted_out is not None and phone:
        async with ctx.db.transaction() as session:
            await messages.set_opt_out(session, phone, opted_out, datetime.now(UTC), params.get("MessageSid"))
    return Response(EMPTY_TWIML, media_type="text/xml")


@router.get("/v2/bookings/{uid}/messages")
async def booking_messages(uid: str, ctx: Ctx, caller: CurrentUser) -> Envelope:
    """A booking's message log: every reminder sent, skipped (and why) or refused by its provider."""
    await existing(ctx, uid, caller)
    async with ctx.db.sessions() as session:
        log = await messages.for_booking(session, uid)
    return Envelope(
        data=[
            {
                "stepId": m.step_id,
                "channel": m.channel,
                "provider": m.provider,
                "recipient": m.recipient,
                "status": m.status.value,
                "subject": m.subject,
                "due": m.due.isoformat(),
                "sentAt": m.sent_at.isoformat() if m.sent_at else None,
                "attempts": m.attempts,
                "providerId": m.provider_id,
                "detail": m.detail,
            }
            for m in log
        ]
    )

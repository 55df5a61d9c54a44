"""``/booking/{uid}``: a booking's own page (the confirmation, and where the emails' links lead), with
cancel and reschedule under Cal.com's rules.

Cancel and reschedule call the handlers of ``POST /v2/bookings/{uid}/cancel`` and ``…/reschedule``; whether
each is offered is decided by the same rules the booking's workflow applies (``domain.lifecycle``: an event
type's ``disableCancelling`` / ``disableRescheduling``, the booking's status, a closed lifecycle), and a
refusal is shown in the workflow's words. ``?cancel=true`` and ``?reschedule=true`` open those forms, as
Cal.com's email links do; ``/reschedule/{uid}`` (Cal.com's reschedule link) leads here too.
"""

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api import bookings
from api.booking_commands import existing
from api.context import ApiContext, Ctx
from api.errors import ApiError, describe
from api.pages.calendar import Link, month_view, parse_start, time_zones, zone_param
from api.pages.render import error_page, page, place, see_other
from api.schemas import Cancel, Reschedule
from domain import lifecycle
from domain.booking import Booking
from store.bookings import holding_hosts

router = APIRouter(include_in_schema=False)
# The workflow engine failing under a change: the visitor may try again (the API answers 5xx there too).
ENGINE_DOWN = (WorkflowUpdateFailedError, RPCError)


def _refusal(booking: Booking, ctx: ApiContext, rule: Callable[[Booking], None]) -> str | None:
    """Why ``rule`` (check_cancel, check_reschedule) refuses the change now, or None: the workflow's checks."""
    try:
        lifecycle.check_open(booking, timedelta(minutes=ctx.keep_open_minutes))
        rule(booking)
    except lifecycle.TransitionRefused as refused:
        return str(refused)
    return None


async def _render(
    ctx: ApiContext,
    booking: Booking,
    params: dict[str, str | None],
    status: int = 200,
    problems: dict[str, str] | None = None,
    reason: str = "",
) -> HTMLResponse:
    attendee = booking.attendees[0]
    zone = zone_param(params.get("tz"), attendee.time_zone)
    cannot_cancel = _refusal(booking, ctx, lifecycle.check_cancel)
    cannot_reschedule = _refusal(booking, ctx, lifecycle.check_reschedule)
    rescheduling = params.get("reschedule") == "true" and cannot_reschedule is None
    path = f"/booking/{booking.uid}"
    view = chosen = None
    if rescheduling:
        # The times the move would accept: the booking's own length, on the host(s) holding it (as the API checks).
        minutes = int((booking.end - booking.start).total_seconds() // 60)
        lengths = booking.event_type.length_in_minutes_options or [booking.event_type.length_in_minutes]
        asked = {**params, "duration": str(minutes)} if minutes in lengths else params
        view = await month_view(
            ctx, booking.event_type, asked, zone, reschedule_uid=booking.uid, only_hosts=holding_hosts(booking)
        )
        chosen = parse_start(params.get("slot"), view.zone) if params.get("slot") else None
    return page(
        "booking.html",
        status=status,
        title=booking.title,
        booking=booking,
        attendee=attendee,
        zone=zone,
        start=booking.start.astimezone(ZoneInfo(zone)),
        end=booking.end.astimezone(ZoneInfo(zone)),
        cannot_cancel=cannot_cancel,
        cannot_reschedule=cannot_reschedule,
        cancelling=params.get("cancel") == "true" and cannot_cancel is None,
        rescheduling=rescheduling,
        view=view,
        chosen=chosen,
        link=Link(path, {"tz": zone, "reschedule": "true"}),
        path=path,
        zones=time_zones(),
        problems=problems or {},
        reason=reason,
    )


@router.get("/booking/{uid}")
async def booking_page(uid: str, ctx: Ctx, request: Request) -> HTMLResponse:
    """The booking: when, with whom, its status; cancel and reschedule where its event type allows them."""
    try:
        return await _render(ctx, await existing(ctx, uid), dict(request.query_params))
    except ApiError as refused:
        return error_page(refused.status, refused.message)


@router.get("/reschedule/{uid}")
async def reschedule_link(uid: str) -> RedirectResponse:
    """Cal.com's reschedule link (``/reschedule/{uid}``): the booking's page, rescheduling."""
    return RedirectResponse(f"/booking/{quote(uid, safe='')}?{urlencode({'reschedule': 'true'})}", status_code=307)


async def _change_refused(
    ctx: ApiContext, uid: str, refused: ApiError, params: dict[str, str | None], reason: str
) -> HTMLResponse:
    """The booking page again with the refusal beside what it names (or the error page if the booking is gone)."""
    if refused.status not in (400, 409):
        return error_page(refused.status, refused.message)
    problems = place(refused.message, {})  # nothing to place beside: the whole message, at the top
    try:
        return await _render(ctx, await existing(ctx, uid), params, refused.status, problems, reason)
    except ApiError as again:
        return error_page(again.status, again.message)


@router.post("/booking/{uid}/cancel")
async def cancel(uid: str, ctx: Ctx, request: Request) -> Response:
    """Cancel (with the visitor's reason); then the booking's page, now cancelled."""
    # No cookie or session authorises this, only the unguessable uid in the URL (as the API's public
    # cancel): a cross-site form can do nothing that knowing the uid would not already allow.
    posted = await request.form()
    reason = str(posted.get("cancellationReason") or "").strip()
    params = {"cancel": "true", "tz": str(posted.get("tz") or "") or None}
    try:
        body = Cancel.model_validate({"cancellationReason": reason or None, "cancelledBy": None})
        await bookings.cancel_booking(uid=uid, ctx=ctx, caller=None, body=body)  # a visitor: no key
    except ValidationError as invalid:
        return await _change_refused(ctx, uid, ApiError(400, describe(invalid.errors())), params, reason)
    except ApiError as refused:
        return await _change_refused(ctx, uid, refused, params, reason)
    except ENGINE_DOWN:
        return error_page(503, "the booking could not be cancelled just now; please try again")
    return see_other(f"/booking/{uid}")


@router.post("/booking/{uid}/reschedule")
async def reschedule(uid: str, ctx: Ctx, request: Request) -> Response:
    """Move the booking to the chosen slot; then the new booking's page."""
    posted = await request.form()
    reason = str(posted.get("reschedulingReason") or "").strip()
    params = {
        "reschedule": "true",
        "tz": str(posted.get("tz") or "") or None,
        "month": str(posted.get("month") or "") or None,
        "date": str(posted.get("date") or "") or None,
        "slot": str(posted.get("start") or "") or None,
    }
    try:
        zone = zone_param(params["tz"], "UTC")
        start = parse_start(params["slot"], zone)
        body = Reschedule.model_validate({"start": start.isoformat(), "reschedulingReason": reason or None})
        moved = await bookings.reschedule_booking(uid=uid, body=body, ctx=ctx, caller=None)
    except ValidationError as invalid:
        return await _change_refused(ctx, uid, ApiError(400, describe(invalid.errors())), params, reason)
    except ApiError as refused:
        return await _change_refused(ctx, uid, refused, params, reason)
    except ENGINE_DOWN:
        return error_page(503, "the booking could not be moved just now; please try again")
    return see_other(f"/booking/{moved.data['uid']}")

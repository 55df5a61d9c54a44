"""Sending changes to a booking's workflow, and turning its refusals into API errors."""

from typing import Any

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.access import Caller, manages_booking
from api.context import ApiContext
from api.errors import ApiError
from domain import lifecycle
from domain.booking import Booking
from store import bookings

BOOKING_WORKFLOW = "BookingWorkflow"


async def existing(ctx: ApiContext, uid: str, caller: Caller | None = None) -> Booking:
    """The stored booking ``uid``, or a 404 (also when ``caller`` is given and may not manage it)."""
    async with ctx.db.sessions() as session:
        booking = await bookings.get(session, uid)
    if booking is None or (caller is not None and not manages_booking(caller, booking)):
        raise ApiError(404, f"Booking with uid={uid} not found")
    return booking


async def update(ctx: ApiContext, uid: str, name: str, argument: Any, caller: Caller | None = None) -> Booking:
    """Run update ``name`` on the booking's workflow; a refused transition becomes a 409 saying why.

    ``caller``: the key acting, for the changes only the booking's organizer or hosts may make.
    """
    booking = await existing(ctx, uid, caller)
    handle = ctx.temporal.get_workflow_handle(uid)
    try:
        return await handle.execute_update(name, argument, result_type=Booking)
    except WorkflowUpdateFailedError as failed:
        cause = failed.cause
        if isinstance(cause, ApplicationError) and cause.type in ("TransitionRefused", "SlotTaken"):
            raise ApiError(409, cause.message) from None
        raise
    except RPCError as error:
        raise _closed(booking, error) from None


async def signal(ctx: ApiContext, uid: str, name: str, argument: Any) -> None:
    booking = await existing(ctx, uid)
    handle = ctx.temporal.get_workflow_handle(uid)
    try:
        await handle.signal(name, argument)
    except RPCError as error:
        raise _closed(booking, error) from None


def _closed(booking: Booking, error: RPCError) -> Exception:
    """A change sent to a booking whose workflow has completed: the same 409 its workflow gives after the close."""
    if error.status is RPCStatusCode.NOT_FOUND or "completed" in error.message:
        return ApiError(409, lifecycle.closed_message(booking))
    return error

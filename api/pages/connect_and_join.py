"""Connect and join: where a host accepts an instant meeting from INSTANT_MEETING's ``connectAndJoinUrl``.

The page lives in the console, ``/console/connect-and-join?token=…``: the console's session cookie is scoped
to /console, and a first path segment of its own would have to be reserved from the booking pages
(api/pages/paths.py). A host, signed in first if need be, sees the meeting and accepts it with a POST carrying
the console's CSRF token. Accepting is the same step as the API's ``POST /v2/bookings/{uid}/instant/accept``
(api/instant.py): the first host becomes the organizer; a later one is told who did (409). An unknown or
expired token is a 404; a signed-in user who is not a host, 404 or 403 as the API answers them.
"""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from api import instant
from api.access import Caller
from api.console.deps import CurrentConsoleUser
from api.console.render import page
from api.context import Ctx
from api.errors import ApiError
from domain.booking import Booking

CONSOLE_PATH = "/console/connect-and-join"
TEMPLATE = "connect_and_join.html"

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Query(min_length=1, max_length=200)]


@router.get(CONSOLE_PATH)
async def connect_and_join_page(request: Request, token: Token, ctx: Ctx, caller: CurrentConsoleUser) -> HTMLResponse:
    booking = await instant.booking_for_token(ctx, token)
    instant.check_host(booking, caller)
    return _page(request, caller, booking, token)


@router.post(CONSOLE_PATH)
async def accept(
    request: Request,
    token: Annotated[str, Form(min_length=1, max_length=200)],
    ctx: Ctx,
    caller: CurrentConsoleUser,
) -> HTMLResponse:
    booking = await instant.booking_for_token(ctx, token)
    try:
        accepted = await instant.accept(ctx, booking.uid, caller)
    except ApiError as refused:
        if refused.status != 409:
            raise
        return _page(request, caller, booking, token, refusal=refused.message, status=409)
    return _page(request, caller, accepted, token, accepted=True)


def _page(
    request: Request,
    caller: Caller,
    booking: Booking,
    token: str,
    accepted: bool = False,
    refusal: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The meeting with its accept button; once accepted, or refused (409), what happened instead."""
    values = {"booking": booking, "token": token, "accepted": accepted, "refusal": refusal}
    return page(request, TEMPLATE, caller, status, title="Connect and join", **values)

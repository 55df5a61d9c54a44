"""The one access dependency: who is calling (``Authorization: Bearer <key>``) and may they call this route.

Every request passes ``enforce`` (installed on the app): it finds the route's rule in
``api/access_rules.py``, authenticates the key if one is sent (a wrong, revoked or expired key is a 401
even on a public route), and refuses a protected route without a key (401 with ``WWW-Authenticate:
Bearer``) or an admin route without an admin key (403). Routes that scope to the caller take
``CurrentUser`` (or ``OptionalCaller``); the ``owns_*`` checks below decide what a caller may see, and
a resource the caller may not see answers 404, exactly as one that does not exist.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel

from api.access_rules import Rule, rules_by_endpoint
from api.console.session import console_session
from api.context import ApiContext
from api.errors import ApiError
from domain.booking import Booking
from domain.config import EventType
from domain.routing_forms import RoutingForm
from domain.webhooks import Subscription
from store import api_keys, config
from store.api_keys import Role
from store.bookings import Party

CHALLENGE = {"WWW-Authenticate": "Bearer"}


class Caller(BaseModel):
    """The user a valid key acts as."""

    key_id: int
    user_id: int
    username: str
    role: Role

    @property
    def admin(self) -> bool:
        return self.role is Role.ADMIN


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers=CHALLENGE)


def install(app: FastAPI) -> None:
    """Resolve every route's rule once (refusing a route without one) for ``enforce`` to find."""
    app.state.access_rules = rules_by_endpoint(app)


async def _authenticate(ctx: ApiContext, header: str) -> Caller:
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("Authorization: send the API key as 'Bearer <key>'")
    now = datetime.now(UTC)
    async with ctx.db.sessions() as session:
        match = await api_keys.lookup(session, token)
    if match is None:
        raise unauthorized("Authorization: the API key is not valid")
    if refusal := match.key.refusal(now):
        raise unauthorized(f"Authorization: {refusal}")
    if api_keys.needs_touch(match, now):
        async with ctx.db.transaction() as session:
            await api_keys.touch(session, match.key.id, token, now)
    key = match.key
    return Caller(key_id=key.id, user_id=key.user_id, username=key.username, role=key.role)


def _rule(request: Request) -> Rule:
    rules: dict[tuple[str, Callable[..., Any]], Rule] = request.app.state.access_rules
    method = "GET" if request.method == "HEAD" else request.method
    # A route missing from the table cannot be served (install refuses it); treat the impossible as closed.
    return rules.get((method, request.scope["route"].endpoint), Rule.ADMIN)


async def enforce(request: Request) -> Caller | None:
    """The caller (None when anonymous) after checking the route's rule; the app runs it on every route."""
    rule = _rule(request)
    if rule is Rule.CONSOLE:  # a console session cookie, not a key: no session → login page, bad CSRF → 403
        signed_in = await console_session(request)
        key_id = signed_in.key_id or 0  # 0: signed in with a password, no key
        return Caller(key_id=key_id, user_id=signed_in.user_id, username=signed_in.username, role=signed_in.role)
    header = request.headers.get("Authorization")
    caller = await _authenticate(request.app.state.context, header) if header is not None else None
    if rule is not Rule.PUBLIC and caller is None:
        raise unauthorized("Authorization: this route needs an API key ('Authorization: Bearer <key>')")
    if rule is Rule.ADMIN and caller is not None and not caller.admin:
        raise ApiError(403, "this route needs an admin API key")
    return caller


async def _current_user(caller: Annotated[Caller | None, Depends(enforce)]) -> Caller:
    if caller is None:
        raise unauthorized("Authorization: this route needs an API key ('Authorization: Bearer <key>')")
    return caller


async def _admin_user(caller: Annotated[Caller, Depends(_current_user)]) -> Caller:
    if not caller.admin:
        raise ApiError(403, "this route needs an admin API key")
    return caller


OptionalCaller = Annotated[Caller | None, Depends(enforce)]
CurrentUser = Annotated[Caller, Depends(_current_user)]
AdminUser = Annotated[Caller, Depends(_admin_user)]


# -- ownership ---------------------------------------------------------------------------------------


def owns_event_type(caller: Caller, event_type: EventType) -> bool:
    """An event type belongs to its owner (its first host, as stored)."""
    return caller.admin or event_type.hosts[0].user_id == caller.user_id


def manages_booking(caller: Caller, booking: Booking) -> bool:
    """Confirm, decline, mark absent, read messages: the organizer, a host of its event type, or an admin."""
    hosts = {h.user_id for h in booking.event_type.hosts}
    return caller.admin or booking.organizer.id == caller.user_id or caller.user_id in hosts


def owns_form(caller: Caller, form: RoutingForm) -> bool:
    """A routing form belongs to its user; a form without one (an organisation's) to admins."""
    return caller.admin or (form.user_id is not None and form.user_id == caller.user_id)


def owns_user_webhook(caller: Caller, sub: Subscription) -> bool:
    """A user-scope webhook belongs to its user; an instance-wide one (no user) to admins."""
    return caller.admin or (sub.user_id is not None and sub.user_id == caller.user_id)


def may_act_for(caller: Caller, user_id: int | None, field: str) -> None:
    """Refuse (403) a non-admin creating or moving a resource to another user (``field`` names where)."""
    if not caller.admin and user_id != caller.user_id:
        raise ApiError(403, f"{field}: an API key of user {caller.user_id} can only act for that user")


async def booking_party(ctx: ApiContext, caller: Caller) -> Party | None:
    """Which bookings ``caller`` may list: all for an admin, else those they organise, host or attend."""
    if caller.admin:
        return None
    async with ctx.db.sessions() as session:
        user = await config.get_user(session, caller.user_id)
        event_types = await config.list_event_types(session)
    hosted = tuple(e.id for e in event_types if any(h.user_id == caller.user_id for h in e.hosts))
    return Party(user_id=caller.user_id, email=str(user.email) if user else None, hosted_event_type_ids=hosted)

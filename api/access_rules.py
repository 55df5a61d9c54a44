"""Who may call what: one rule for every route, modelled on Cal.com's API v2.

PUBLIC routes answer anyone (a booker has no key); OWNER routes need a key and act on the key's own
resources (another user's resource answers 404, as if it did not exist); ADMIN routes need an admin key.
An admin key also passes every OWNER route and sees every user's resources. CONSOLE routes are the admin
console's pages: a signed-in console session (cookie) instead of a key, a CSRF token on every POST, and
the session's user then meets the same OWNER/ADMIN checks as their key would (api/console/).

``create_app`` refuses to build an app with a route missing here, so no route is ever born open.
"""

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path

from api.pages.paths import BOOKING_PAGE


class Rule(StrEnum):
    PUBLIC = "public"
    OWNER = "owner"
    ADMIN = "admin"
    CONSOLE = "console"


PUBLIC, OWNER, ADMIN, CONSOLE = Rule.PUBLIC, Rule.OWNER, Rule.ADMIN, Rule.CONSOLE

BOOKING = "/v2/bookings/{uid}"
EVENT_TYPE = "/v2/event-types/{event_type_id}"
FORM = "/v2/routing-forms/{form_id}"

RULES: dict[tuple[str, str], Rule] = {
    # -- the instance itself and its documentation
    ("GET", "/health"): PUBLIC,
    ("GET", "/ready"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    # -- bookings: a booker books, reads, cancels and reschedules by the booking's (unguessable) uid
    ("POST", "/v2/bookings"): PUBLIC,
    ("GET", BOOKING): PUBLIC,
    ("GET", "/v2/bookings/by-seat/{seat_uid}"): PUBLIC,  # by the seat's (unguessable) uid
    ("POST", BOOKING + "/cancel"): PUBLIC,
    ("POST", BOOKING + "/reschedule"): PUBLIC,
    ("GET", "/v2/bookings"): OWNER,
    ("POST", BOOKING + "/confirm"): OWNER,
    ("POST", BOOKING + "/decline"): OWNER,
    ("POST", BOOKING + "/mark-absent"): OWNER,
    ("GET", BOOKING + "/messages"): OWNER,
    ("POST", BOOKING + "/wrong-assignment"): OWNER,
    # Bookflow's own: a host accepts an instant meeting with their key (api/instant.py; 404 for non-hosts)
    ("POST", BOOKING + "/instant/accept"): OWNER,
    # Provider events arrive signed at their own routes; these are for manual reconciliation.
    ("POST", BOOKING + "/payments"): ADMIN,
    ("POST", BOOKING + "/participants"): ADMIN,
    # -- inbound provider webhooks: authenticated by the provider's signature, not by a key
    ("POST", "/v2/messaging/twilio/inbound"): PUBLIC,
    ("POST", "/v2/payments/stripe/webhook"): PUBLIC,
    ("POST", "/v2/video/daily/webhook"): PUBLIC,
    # -- event types, their reminder workflows and webhooks
    ("GET", "/v2/event-types"): OWNER,
    ("POST", "/v2/event-types"): OWNER,
    ("GET", EVENT_TYPE): OWNER,
    ("PATCH", EVENT_TYPE): OWNER,
    ("DELETE", EVENT_TYPE): OWNER,
    ("GET", EVENT_TYPE + "/workflows"): OWNER,
    ("POST", EVENT_TYPE + "/workflows"): OWNER,
    ("GET", EVENT_TYPE + "/workflows/{workflow_id}"): OWNER,
    ("PATCH", EVENT_TYPE + "/workflows/{workflow_id}"): OWNER,
    ("DELETE", EVENT_TYPE + "/workflows/{workflow_id}"): OWNER,
    ("GET", EVENT_TYPE + "/webhooks"): OWNER,
    ("POST", EVENT_TYPE + "/webhooks"): OWNER,
    ("DELETE", EVENT_TYPE + "/webhooks"): OWNER,
    ("GET", EVENT_TYPE + "/webhooks/{webhook_id}"): OWNER,
    ("PATCH", EVENT_TYPE + "/webhooks/{webhook_id}"): OWNER,
    ("DELETE", EVENT_TYPE + "/webhooks/{webhook_id}"): OWNER,
    # -- webhooks of a user (an instance-wide one, without a user, needs an admin key: see api/webhooks.py)
    ("GET", "/v2/webhooks"): OWNER,
    ("POST", "/v2/webhooks"): OWNER,
    ("GET", "/v2/webhooks/{webhook_id}"): OWNER,
    ("PATCH", "/v2/webhooks/{webhook_id}"): OWNER,
    ("DELETE", "/v2/webhooks/{webhook_id}"): OWNER,
    ("GET", "/v2/webhooks/{webhook_id}/deliveries"): OWNER,
    # -- routing forms: submitting and reading that response by its (random) id are public, as in
    # Cal.com; forms and the listing of their responses belong to the form's owner
    ("POST", FORM + "/responses"): PUBLIC,
    ("GET", FORM + "/responses/{response_id}"): PUBLIC,
    ("GET", "/v2/routing-forms"): OWNER,
    ("POST", "/v2/routing-forms"): OWNER,
    ("GET", FORM): OWNER,
    ("PATCH", FORM): OWNER,
    ("GET", FORM + "/responses"): OWNER,
    ("GET", FORM + "/versions"): OWNER,
    ("DELETE", FORM): OWNER,
    # -- the organisation: attributes and CRM sync errors
    ("GET", "/v2/attributes"): ADMIN,
    ("POST", "/v2/attributes"): ADMIN,
    ("GET", "/v2/attributes/{attribute_id}"): ADMIN,
    ("PATCH", "/v2/attributes/{attribute_id}"): ADMIN,
    ("POST", "/v2/attributes/options/{user_id}"): ADMIN,
    ("GET", "/v2/crm/errors"): ADMIN,
    # -- availability: a booker reads and reserves slots (schedules, out-of-office, calendars and /v2/me are OWNER)
    ("GET", "/v2/slots"): PUBLIC,
    ("GET", "/v2/slots/available"): PUBLIC,
    ("POST", "/v2/slots/reservations"): PUBLIC,
    ("GET", "/v2/slots/reservations/{uid}"): PUBLIC,
    ("PATCH", "/v2/slots/reservations/{uid}"): PUBLIC,
    ("DELETE", "/v2/slots/reservations/{uid}"): PUBLIC,
    ("POST", "/v2/slots/reserve"): PUBLIC,
    ("DELETE", "/v2/slots/selected-slot"): PUBLIC,
    ("GET", "/v2/schedules"): OWNER,
    ("POST", "/v2/schedules"): OWNER,
    ("GET", "/v2/schedules/default"): OWNER,
    ("GET", "/v2/schedules/{schedule_id}"): OWNER,
    ("PATCH", "/v2/schedules/{schedule_id}"): OWNER,
    ("DELETE", "/v2/schedules/{schedule_id}"): OWNER,
    ("GET", "/v2/me"): OWNER,
    ("PATCH", "/v2/me"): OWNER,
    ("GET", "/v2/me/booking-limits"): OWNER,
    ("PATCH", "/v2/me/booking-limits"): OWNER,
    ("DELETE", "/v2/me/booking-limits"): OWNER,
    ("GET", "/v2/out-of-office"): OWNER,
    ("POST", "/v2/out-of-office"): OWNER,
    ("GET", "/v2/out-of-office/{entry_id}"): OWNER,
    ("PATCH", "/v2/out-of-office/{entry_id}"): OWNER,
    ("DELETE", "/v2/out-of-office/{entry_id}"): OWNER,
    # -- calendars: each key connects, selects and reads its own (api/calendars.py)
    ("GET", "/v2/calendars"): OWNER,
    ("GET", "/v2/calendars/busy-times"): OWNER,
    ("POST", "/v2/calendars/{calendar}/credentials"): OWNER,
    ("GET", "/v2/calendars/{calendar}/check"): OWNER,
    ("GET", "/v2/calendars/{calendar}/connect"): OWNER,
    ("POST", "/v2/calendars/ics-feed/save"): OWNER,
    ("GET", "/v2/calendars/ics-feed/check"): OWNER,
    # The provider sends the browser back here: no key; the sealed, expiring state names the user.
    ("GET", "/v2/calendars/{calendar}/save"): PUBLIC,
    ("POST", "/v2/calendars/{calendar}/disconnect"): OWNER,
    ("POST", "/v2/selected-calendars"): OWNER,
    ("DELETE", "/v2/selected-calendars"): OWNER,
    ("PUT", "/v2/destination-calendars"): OWNER,
    # -- the admin console (api/console/): its login page and assets are public, every other page needs a session
    ("GET", "/console/login"): PUBLIC,
    ("POST", "/console/login"): PUBLIC,
    ("GET", "/console/static/{asset}"): PUBLIC,
    ("POST", "/console/logout"): CONSOLE,
    ("GET", "/console"): CONSOLE,
    ("GET", "/console/routing-forms"): CONSOLE,
    ("GET", "/console/routing-forms/{form_id}"): CONSOLE,
    ("POST", "/console/routing-forms/{form_id}"): CONSOLE,
    ("GET", "/console/routing-forms/{form_id}/versions"): CONSOLE,
    ("POST", "/console/routing-forms/{form_id}/rollback"): CONSOLE,
    # console: webhooks, bookings (an owner's own, 404 for another's), failures and CRM (ConsoleAdmin: 403 for owners)
    ("GET", "/console/webhooks"): CONSOLE,
    ("GET", "/console/webhooks/{webhook_id}"): CONSOLE,
    ("POST", "/console/webhooks/{webhook_id}/enable"): CONSOLE,
    ("POST", "/console/webhooks/{webhook_id}/disable"): CONSOLE,
    ("POST", "/console/webhooks/{webhook_id}/ping"): CONSOLE,
    ("GET", "/console/webhooks/deliveries/{delivery_id}/redeliver"): CONSOLE,
    ("POST", "/console/webhooks/deliveries/{delivery_id}/redeliver"): CONSOLE,
    ("GET", "/console/bookings"): CONSOLE,
    ("GET", "/console/bookings/{uid}"): CONSOLE,
    ("GET", "/console/failures"): CONSOLE,
    ("GET", "/console/failures/retry"): CONSOLE,
    ("POST", "/console/failures/retry"): CONSOLE,
    ("GET", "/console/failures/reset"): CONSOLE,
    ("POST", "/console/failures/reset"): CONSOLE,
    # connect-and-join: the page of an instant meeting's link, for a signed-in host (api/pages/connect_and_join.py)
    ("GET", "/console/connect-and-join"): CONSOLE,
    ("POST", "/console/connect-and-join"): CONSOLE,
    ("GET", "/console/crm"): CONSOLE,
    ("GET", "/console/crm/errors"): CONSOLE,
    ("GET", "/console/crm/{event_type_id}/{provider}"): CONSOLE,
    ("POST", "/console/crm/{event_type_id}/{provider}"): CONSOLE,
    # -- the public pages (api/pages/): the hosted routing form, booking pages and a booking's own page;
    # each calls the PUBLIC API route it stands for, so it can do nothing that route would refuse
    ("GET", "/pages/static/{asset}"): PUBLIC,
    ("GET", "/forms/{form_id}"): PUBLIC,
    ("POST", "/forms/{form_id}"): PUBLIC,
    ("GET", "/booking/{uid}"): PUBLIC,
    ("POST", "/booking/{uid}/cancel"): PUBLIC,
    ("POST", "/booking/{uid}/reschedule"): PUBLIC,
    ("GET", "/reschedule/{uid}"): PUBLIC,
    ("GET", "/{username}/{event_slug}"): PUBLIC,
    ("POST", "/{username}/{event_slug}"): PUBLIC,
}


def _by_specificity(entry: tuple[tuple[str, str], Rule]) -> int:
    return entry[0][1].count("{")  # a literal segment wins over a parameter (/default over /{id})


# Each path as its route matches it: the booking page's username never takes a reserved first segment.
_ROUTE_PATHS = {"/{username}/{event_slug}": BOOKING_PAGE}
_PATTERNS = [
    (method, compile_path(_ROUTE_PATHS.get(path, path))[0], rule)
    for (method, path), rule in sorted(RULES.items(), key=_by_specificity)
]


def rule_for_path(method: str, path: str) -> Rule | None:
    """The rule of the route a request for ``path`` reaches, found before routing (for middleware)."""
    method = "GET" if method == "HEAD" else method
    return next((rule for m, pattern, rule in _PATTERNS if m == method and pattern.match(path)), None)


def app_routes(app: FastAPI) -> Iterator[tuple[str, str, Callable[..., Any]]]:
    """Every (method, path, endpoint) the app serves, with routers' prefixes applied (HEAD is GET's)."""
    for route in iter_route_contexts(app.routes):
        path = route.path_format or route.path
        for method in sorted(route.methods or ()):
            if method != "HEAD" and path is not None:
                yield method, path, route.endpoint


def unruled(app: FastAPI) -> list[tuple[str, str]]:
    """The (method, path) pairs the app serves that have no rule in ``RULES``."""
    return [(method, path) for method, path, _ in app_routes(app) if (method, path) not in RULES]


def rules_by_endpoint(app: FastAPI) -> dict[tuple[str, Callable[..., Any]], Rule]:
    """Each route's rule keyed as a request finds its route (method, endpoint); refuses an unruled route."""
    if missing := unruled(app):
        named = ", ".join(f"{method} {path}" for method, path in missing)
        raise RuntimeError(f"no access rule in api/access_rules.py RULES for: {named}")
    return {(method, endpoint): RULES[(method, path)] for method, path, endpoint in app_routes(app)}

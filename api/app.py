"""The FastAPI application."""

from fastapi import Depends, FastAPI

from api import (
    access,
    bookings,
    calendars,
    crm,
    errors,
    event_types,
    health,
    instant,
    me,
    messaging,
    openapi,
    out_of_office,
    provider_webhooks,
    reminder_rules,
    routing_forms,
    schedules,
    slot_reservations,
    slots,
    webhooks,
)
from api.body_limit import BodyLimit
from api.console import routes as console
from api.context import ApiContext
from api.health import VERSION
from api.int_bounds import IntegerBounds
from api.pages import connect_and_join
from api.pages import errors as pages_errors
from api.pages import routes as pages
from api.rate_limits import RateLimit
from api.versions import Family, served


def create_app(ctx: ApiContext) -> FastAPI:
    """The API bound to a store and a Temporal client."""
    # Every route passes the access check; its rule comes from api/access_rules.py.
    app = FastAPI(title="Bookflow", version=VERSION, dependencies=[Depends(access.enforce)])
    app.state.context = ctx
    errors.install(app)
    app.include_router(health.router)
    app.include_router(bookings.router, dependencies=[Depends(served(Family.BOOKINGS))])
    app.include_router(instant.router, dependencies=[Depends(served(Family.BOOKINGS))])
    app.include_router(event_types.router, dependencies=[Depends(served(Family.EVENT_TYPES))])
    app.include_router(reminder_rules.router)
    app.include_router(messaging.router)
    app.include_router(webhooks.router)
    app.include_router(routing_forms.router)
    app.include_router(crm.router)
    app.include_router(provider_webhooks.router)
    app.include_router(slots.router, dependencies=[Depends(served(Family.SLOTS))])
    app.include_router(slot_reservations.router, dependencies=[Depends(served(Family.SLOTS))])
    app.include_router(schedules.router, dependencies=[Depends(served(Family.SCHEDULES))])
    app.include_router(me.router)
    app.include_router(out_of_office.router)
    app.include_router(calendars.router)
    app.include_router(console.router)
    app.include_router(connect_and_join.router)
    # The public pages last: their catch-all /{username}/{eventSlug} must not shadow any route above.
    app.include_router(pages.router)

    access.install(app)
    console.install(app)
    openapi.install(app)
    # Outermost first on the way in: count the request, bound its body, then check its integers.
    app.add_middleware(IntegerBounds)
    app.add_middleware(BodyLimit, max_bytes=ctx.config.access.max_body_bytes)
    app.add_middleware(RateLimit, config=ctx.config.access)
    app.add_middleware(pages_errors.HtmlErrors)  # outermost: the two refusals above, as pages for browsers
    return app

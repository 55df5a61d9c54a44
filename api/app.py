"""The FastAPI application."""

from fastapi import FastAPI

from api import bookings, crm, errors, event_types, messaging, reminder_rules, routing_forms, webhooks
from api.context import ApiContext

VERSION = "0.1.0"


def create_app(ctx: ApiContext) -> FastAPI:
    """The API bound to a store and a Temporal client."""
    app = FastAPI(title="Bookflow", version=VERSION)
    app.state.context = ctx
    errors.install(app)
    app.include_router(bookings.router)
    app.include_router(event_types.router)
    app.include_router(reminder_rules.router)
    app.include_router(messaging.router)
    app.include_router(webhooks.router)
    app.include_router(routing_forms.router)
    app.include_router(crm.router)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "success", "data": {"version": VERSION}}

    return app

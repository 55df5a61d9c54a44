"""An in-process API with chosen edge settings, for the edge tests."""

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
from temporalio.client import Client

from api.access_config import AccessConfig
from api.app import create_app
from api.booking_config import BookingConfig
from api.config import ApiConfig
from store import bookings
from store.db import Database
from testkit.stack import api_context

GENEROUS = {"rate_limit_public": "100000/minute", "rate_limit_key": "100000/minute"}


def booking_body(start: datetime, event_type_id: int = 1, **changes: Any) -> dict[str, Any]:
    body = {
        "start": start.isoformat(),
        "eventTypeId": event_type_id,
        "attendee": {"name": "Bo Booker", "email": "bo@example.com", "timeZone": "Europe/Rome"},
    }
    return body | changes


@asynccontextmanager
async def edge_api(
    client: Client,
    db: Database,
    task_queue: str,
    client_address: str = "203.0.113.9",
    horizon_days: int = 730,
    **access: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ``db`` with ``access`` settings (generous rate limits unless given), via httpx."""
    booking = BookingConfig(booking_horizon_days=horizon_days)
    config = ApiConfig(access=AccessConfig(**(GENEROUS | access)), booking=booking)
    app = create_app(dataclasses.replace(api_context(client, db, task_queue), config=config))
    transport = httpx.ASGITransport(app=app, client=(client_address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://bookflow.test") as http:
        yield http


async def stored_uids(db: Database) -> list[str]:
    """Every booking uid in the store, whatever its status (what a listing could ever show)."""
    async with db.sessions() as session:
        found, _ = await bookings.search(session, bookings.BookingFilter(take=1000), datetime.now().astimezone())
    return [b.uid for b in found]

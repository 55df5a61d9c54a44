"""A running Bookflow for tests: a worker on the real dev server, the API in-process, a seeded store."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from temporalio.client import Client

from api.app import create_app
from api.context import ApiContext
from domain import lifecycle
from domain.booking import Attendee, Booking, BookingEvent, BookingInput, BookingStatus
from domain.config import Configuration, EventType, Host, User
from domain.schedules import Schedule, always_available
from store import bookings, config, events
from store.db import Database
from testkit.access import Keys, client_as, issue_keys
from worker.config_checks import ConfigValidators
from worker.console_ops import WorkerConsoleOperations
from worker.console_workbench import RouteWorkbench
from worker.settings import load_settings
from worker.temporal import build_worker

T = TypeVar("T")

ORGANIZER = User(id=1, name="Ada Organizer", email="ada@example.com", username="ada", time_zone="Europe/Berlin")


def event_type(id: int = 1, **fields: Any) -> EventType:
    """An event type hosted by ORGANIZER with test-friendly defaults, overridable per field.

    Tests book seconds ahead, so the type says so: no minimum notice (its hosts are open 24/7, see ``seed``).
    """
    base = {
        "id": id,
        "slug": f"event-{id}",
        "title": f"Event {id}",
        "length_in_minutes": 1,
        "hosts": [Host(user_id=1)],
        "minimum_booking_notice": 0,
    }
    return EventType(**(base | fields))


def open_all_week(users: Sequence[User]) -> list[Schedule]:
    """A 24/7 default schedule for each user (schedule id = user id): tests book at any hour."""
    return [always_available(u.id, u.id, u.time_zone) for u in users]


async def seed(db: Database, *event_types: EventType, users: Sequence[User] = (ORGANIZER,)) -> None:
    document = Configuration(users=list(users), schedules=open_all_week(users), event_types=list(event_types))
    async with db.transaction() as session:
        await config.apply_configuration(session, document)


@dataclass
class Stack:
    client: Client
    db: Database
    http: httpx.AsyncClient  # sends the admin key; ``as_`` gives a client with another key (or none)
    task_queue: str
    keys: Keys
    transport: httpx.AsyncBaseTransport

    def as_(self, key: str | None) -> httpx.AsyncClient:
        """A client sending ``key`` (None: anonymous), e.g. ``async with stack.as_(stack.keys.owner) as http``."""
        return client_as(self.transport, key)

    async def book(self, event_type_id: int, start: datetime, email: str = "bo@example.com", **body: Any) -> dict:
        """POST /v2/bookings and return the booking data (asserting it was created)."""
        payload = {
            "start": start.isoformat(),
            "eventTypeId": event_type_id,
            "attendee": {"name": "Bo Booker", "email": email, "timeZone": "Europe/Rome"},
        } | body
        response = await self.http.post("/v2/bookings", json=payload)
        assert response.status_code == 201, response.text
        return response.json()["data"]

    async def start_workflow(
        self, event_type: EventType, start: datetime, length: timedelta, keep_open_minutes: float = 0.02
    ) -> Booking:
        """Reserve and start a booking directly (as the API does), with a length shorter than a minute.

        The API only books whole-minute lengths; timed-event tests use seconds so they stay fast.
        """
        booking = await self.reserve(event_type, start, length)
        await self.client.start_workflow(
            "BookingWorkflow",
            BookingInput(booking=booking, keep_open_minutes=keep_open_minutes),
            id=booking.uid,
            task_queue=self.task_queue,
        )
        return booking

    async def reserve(self, event_type: EventType, start: datetime, length: timedelta) -> Booking:
        """Reserve a booking's slot in the store, as the API does before starting its workflow."""
        draft = Booking(
            id=0,
            uid=uuid.uuid4().hex,
            event_type=event_type,
            organizer=ORGANIZER,
            attendees=[Attendee(name="Bo Booker", email="bo@example.com", time_zone="Europe/Rome")],
            start=start,
            end=start + length,
            status=BookingStatus.ACCEPTED,
            created_at=datetime.now(UTC),
            title=event_type.title,
        )
        status, _ = lifecycle.initial_status(draft)
        async with self.db.transaction() as session:
            return await bookings.reserve(session, draft.model_copy(update={"status": status}))

    async def events(self, uid: str) -> list[BookingEvent]:
        async with self.db.sessions() as session:
            return await events.for_booking(session, uid)

    async def triggers(self, uid: str) -> list[str]:
        return [e.trigger for e in await self.events(uid)]


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def eventually(probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], timeout: float = 30) -> T:
    """Poll ``probe`` until ``until`` holds for its result; fail with the last result after ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if until(result):
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last result: {result!r}")
        await asyncio.sleep(0.1)


def api_context(client: Client, db: Database, task_queue: str, keep_open_minutes: float = 1) -> ApiContext:
    """The API's context as production composes it (worker/runtime.py), for in-process test apps."""
    settings = load_settings(task_queue=task_queue)
    return ApiContext(
        db=db,
        temporal=client,
        task_queue=task_queue,
        keep_open_minutes=keep_open_minutes,
        checks=ConfigValidators(),
        config=settings.api_config(),
        operations=WorkerConsoleOperations(db, client, settings),
        workbench=RouteWorkbench(),
    )


@asynccontextmanager
async def running_worker(client: Client, db: Database, task_queue: str, **composition: Any) -> AsyncIterator[None]:
    """The production worker composition (build_worker); ``composition`` overrides its defaults."""
    async with build_worker(client, db, task_queue, **composition):
        yield


@asynccontextmanager
async def running_api(
    client: Client, db: Database, task_queue: str, keep_open_minutes: float = 1
) -> AsyncIterator[Stack]:
    """The API in-process over ``db``, reached through httpx without a socket, with test API keys issued."""
    transport = httpx.ASGITransport(app=create_app(api_context(client, db, task_queue, keep_open_minutes)))
    keys = await issue_keys(db)
    async with client_as(transport, keys.admin) as http:
        yield Stack(client=client, db=db, http=http, task_queue=task_queue, keys=keys, transport=transport)


@asynccontextmanager
async def running_stack(
    client: Client, db: Database, task_queue: str, keep_open_minutes: float = 1, **composition: Any
) -> AsyncIterator[Stack]:
    """A worker and the API over ``db``; ``composition`` goes to build_worker (messaging, crm_owners, …)."""
    async with (
        running_worker(client, db, task_queue, **composition),
        running_api(client, db, task_queue, keep_open_minutes) as stack,
    ):
        yield stack

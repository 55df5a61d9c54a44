"""A commit asks every dispatcher "anything to do?" in its own read of the booking (issue 14).

The dispatchers are the production ones (webhooks, calendars), with ``dispatch`` recorded instead of run,
on a real SQLite store: a booking whose host has no subscription and no calendar dispatches nothing; a
subscription in scope, or a destination calendar, makes the commit hand its events to that dispatcher.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from activities.bookings import BookingActivities, BookingChange, PendingEvent, ScreenedDispatcher
from activities.calendar_dispatch import CalendarDispatcher
from activities.webhooks import WebhookDispatcher
from domain.booking import Attendee, Booking, BookingEvent, BookingStatus
from domain.calendars import CalendarRef
from domain.triggers import Trigger
from domain.webhooks import Subscription, WebhookSettings
from store import bookings
from store import calendars as calendar_store
from store import webhooks as webhook_store
from store.db import Database
from testkit.stack import ORGANIZER, event_type, seed


class _Recorded:
    """Records the events a commit hands over instead of delivering them."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.dispatched: list[str] = []

    async def dispatch(self, event: BookingEvent) -> None:
        self.dispatched.append(event.event_id)


class _Webhooks(_Recorded, WebhookDispatcher):
    pass


class _Calendars(_Recorded, CalendarDispatcher):
    pass


@pytest.fixture
async def db(tmp_path: Path) -> Any:
    store = Database(f"sqlite:///{tmp_path / 'screen.db'}")
    await store.migrate()
    await seed(store, event_type(1))
    yield store
    await store.dispose()


async def _commit(db: Database, webhooks: _Webhooks, calendars: _Calendars) -> str:
    start = datetime.now(UTC) + timedelta(days=1)
    draft = Booking(
        id=0, uid=f"screen-{start.timestamp()}", event_type=event_type(1), organizer=ORGANIZER,
        attendees=[Attendee(name="Guest", email="guest@example.com")], start=start, end=start + timedelta(minutes=30),
        status=BookingStatus.ACCEPTED, created_at=datetime.now(UTC), title="screened",
    )  # fmt: skip
    async with db.transaction() as session:
        booking = await bookings.reserve(session, draft)
    event = PendingEvent(trigger=Trigger.BOOKING_CREATED, event_id=f"{booking.uid}:BOOKING_CREATED:0")
    activities = BookingActivities(db, [webhooks, calendars])
    await activities.commit_transition(BookingChange(uid=booking.uid, events=[event], at=datetime.now(UTC)))
    return event.event_id


def _dispatchers(db: Database) -> tuple[_Webhooks, _Calendars]:
    # No Temporal client: a dispatcher that got as far as starting a workflow would fail the test.
    webhooks = _Webhooks(db, None, "unused", WebhookSettings())
    calendars = _Calendars(db, None, "unused")
    assert isinstance(webhooks, ScreenedDispatcher) and isinstance(calendars, ScreenedDispatcher)
    return webhooks, calendars


async def test_a_commit_with_no_subscriber_and_no_calendar_dispatches_nothing(db: Database) -> None:
    webhooks, calendars = _dispatchers(db)
    await _commit(db, webhooks, calendars)
    assert webhooks.dispatched == [] and calendars.dispatched == []


async def test_a_subscription_of_the_host_gets_the_commits_events(db: Database) -> None:
    now = datetime.now(UTC)
    sub = Subscription(
        id="sub-1", user_id=ORGANIZER.id, subscriber_url="https://example.com/hook",
        triggers=[Trigger.BOOKING_CREATED], created_at=now, updated_at=now,
    )  # fmt: skip
    async with db.transaction() as session:
        await webhook_store.save_subscription(session, sub)
    webhooks, calendars = _dispatchers(db)
    event_id = await _commit(db, webhooks, calendars)
    assert webhooks.dispatched == [event_id] and calendars.dispatched == []


async def test_a_destination_calendar_of_the_host_gets_the_commits_events(db: Database) -> None:
    async with db.transaction() as session:
        ref = CalendarRef(integration="caldav", external_id="/cal/ada/", credential_id=1)
        await calendar_store.set_destination(session, ref, user_id=ORGANIZER.id)
    webhooks, calendars = _dispatchers(db)
    event_id = await _commit(db, webhooks, calendars)
    assert calendars.dispatched == [event_id] and webhooks.dispatched == []

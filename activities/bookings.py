"""Activities of the BookingWorkflow: reserve a slot, and commit a transition (state + events)."""

from datetime import datetime
from typing import Any, Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import metrics
from domain.base import CamelModel
from domain.booking import Booking, BookingEvent
from domain.payloads import build_body
from domain.triggers import Trigger
from store import bookings, events
from store.db import Database


class PendingEvent(CamelModel):
    """A trigger the workflow fires; its id is derived from the booking's state, so retries repeat it."""

    trigger: Trigger
    event_id: str
    extra: dict[str, Any] = {}


class Transition(CamelModel):
    """A booking's new state and the triggers the change fired, committed together."""

    booking: Booking
    events: list[PendingEvent] = []
    at: datetime


class Reservation(CamelModel):
    booking: Booking
    ignore_uid: str | None = None


class EventDispatcher(Protocol):
    """Hands a recorded event to its subscribers (webhook deliveries); must be idempotent per event id."""

    async def dispatch(self, event: BookingEvent) -> None: ...


class BookingActivities:
    def __init__(
        self, db: Database, dispatchers: list[EventDispatcher] | None = None, booker_url: str | None = None
    ) -> None:
        self._db = db
        self._dispatchers = dispatchers or []
        # Where bookers reach this deployment: Cal.com's `bookerUrl` in every booking payload.
        self._site = {"bookerUrl": booker_url} if booker_url else {}

    @activity.defn
    async def reserve_slot(self, reservation: Reservation) -> Booking:
        """Insert a new booking unless its slot is taken (non-retryable SlotTaken error)."""
        try:
            async with self._db.transaction() as session:
                return await bookings.reserve(session, reservation.booking, reservation.ignore_uid)
        except bookings.SlotTaken as taken:
            raise ApplicationError(str(taken), type="SlotTaken", non_retryable=True) from None

    @activity.defn
    async def commit_transition(self, transition: Transition) -> list[BookingEvent]:
        """Save the booking and record its events in one transaction, then dispatch the events.

        Recording is idempotent by event id and dispatch by (event, subscriber), so a retry after a
        crash anywhere in here repeats nothing the outside world can see.
        """
        recorded = [
            BookingEvent(
                event_id=pending.event_id,
                booking_uid=transition.booking.uid,
                trigger=pending.trigger.value,
                created_at=transition.at,
                body=build_body(pending.trigger, transition.booking, transition.at, self._site | pending.extra),
                organizer_id=transition.booking.organizer.id,
                event_type_id=transition.booking.event_type.id,
            )
            for pending in transition.events
        ]
        new = []
        async with self._db.transaction() as session:
            await bookings.save(session, transition.booking)
            for event in recorded:
                if await events.record(session, event):
                    new.append(event.trigger)
        metrics.events_recorded(new, transition.booking.status.value)
        for event in recorded:
            for dispatcher in self._dispatchers:
                await dispatcher.dispatch(event)
        return recorded

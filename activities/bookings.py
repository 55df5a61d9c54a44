"""Activities of the BookingWorkflow: reserve a slot, and commit a change (state + events)."""

from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import metrics
from availability.engine import still_free
from domain.base import CamelModel
from domain.booking import Booking, BookingEvent
from domain.triggers import Trigger
from store import bookings, events
from store.db import Database
from templates.payloads.booking import build_body


class PendingEvent(CamelModel):
    """A trigger the workflow fires; its id is derived from the booking's state, so retries repeat it."""

    trigger: Trigger
    event_id: str
    extra: dict[str, Any] = {}


class BookingChange(CamelModel):
    """What one commit needs: the booking's fields that changed (wire names) and the triggers it fired.

    The event type, organizer and reminder rules never change after the reservation, so the activity
    takes them from the stored booking rather than every commit carrying them through the history.
    """

    uid: str
    changes: dict[str, Any] = {}
    events: list[PendingEvent] = []
    at: datetime


class Transition(CamelModel):
    """The whole booking and its triggers: what workflows recorded before BookingChange sent.

    Still accepted, so a commit scheduled by such a workflow before an upgrade completes after it.
    """

    booking: Booking
    events: list[PendingEvent] = []
    at: datetime


class Reservation(CamelModel):
    booking: Booking
    ignore_uid: str | None = None


class EventDispatcher(Protocol):
    """Hands a recorded event to its subscribers (webhook deliveries); must be idempotent per event id."""

    async def dispatch(self, event: BookingEvent) -> None: ...


@runtime_checkable
class ScreenedDispatcher(EventDispatcher, Protocol):
    """A dispatcher that says first, in the commit's own read of the booking, whether it has work at all.

    Nearly every commit has nothing for most dispatchers (no subscriber, no calendar). Each such
    dispatcher adds one SQL condition over the booking's row to the query that reads the stored booking,
    so "anything to do?" costs no extra round trip, instead of a session and queries per event.
    """

    def screen(self) -> ColumnElement[bool]:
        """An EXISTS (or any boolean) correlated with store.bookings.BookingRow: may there be work?"""
        ...

    def wanted(self, booking: Booking, events: list[BookingEvent], screened: bool) -> list[BookingEvent]:
        """The events of one commit that ``dispatch`` has anything to do for (may be a superset)."""
        ...


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
            booking = reservation.booking
            # Availability recomputed under the hosts' lock: the API checked a moment ago, so a miss is a lost race.
            fits = still_free(booking.event_type, booking.start, booking.end, datetime.now(UTC))
            async with self._db.transaction() as session:
                return await bookings.reserve(session, booking, reservation.ignore_uid, still_free=fits)
        except bookings.SlotTaken as taken:
            raise ApplicationError(str(taken), type="SlotTaken", non_retryable=True) from None

    @activity.defn
    async def commit_transition(self, commit: BookingChange | Transition) -> list[str]:
        """Save the booking and record its events in one transaction, dispatch them; return their ids.

        Recording is idempotent by event id and dispatch by (event, subscriber), so a retry after a
        crash anywhere in here repeats nothing the outside world can see.
        """
        screened = [d for d in self._dispatchers if isinstance(d, ScreenedDispatcher)]
        async with self._db.transaction() as session:
            booking, flags = await _changed(session, commit, [d.screen() for d in screened])
            recorded = [self._event(booking, pending, commit.at) for pending in commit.events]
            if isinstance(commit, Transition):
                await bookings.save(session, booking)
            else:
                await bookings.update(session, booking, status_changed="status" in commit.changes)
            fresh = await events.record_all(session, recorded)
        answers = dict(zip(map(id, screened), flags, strict=True))
        work = [
            (d, d.wanted(booking, recorded, answers[id(d)]) if id(d) in answers else recorded)
            for d in self._dispatchers
        ]
        new = [event.trigger for event in recorded if event.event_id in fresh]
        metrics.events_recorded(new, booking.status.value)
        for dispatcher, wanted in work:
            for event in wanted:
                await dispatcher.dispatch(event)
        return [event.event_id for event in recorded]

    def _event(self, booking: Booking, pending: PendingEvent, at: datetime) -> BookingEvent:
        return BookingEvent(
            event_id=pending.event_id,
            booking_uid=booking.uid,
            trigger=pending.trigger.value,
            created_at=at,
            body=build_body(pending.trigger, booking, at, self._site | pending.extra),
            organizer_id=booking.organizer.id,
            event_type_id=booking.event_type.id,
        )


async def _changed(
    session: AsyncSession, commit: BookingChange | Transition, screens: list[ColumnElement[bool]]
) -> tuple[Booking, list[bool]]:
    """The booking as the commit leaves it (the stored one with the changed fields applied), and the
    dispatchers' ``screens`` evaluated on its row: one round trip."""
    stored = await bookings.stored_wire_with(
        session, commit.uid if isinstance(commit, BookingChange) else commit.booking.uid, screens
    )
    if stored is None:
        if isinstance(commit, Transition):
            return commit.booking, [True] * len(screens)  # saved (inserted) by this commit: dispatch asks
        # Every booking is reserved before its workflow starts; retried in case of a lagging replica.
        raise LookupError(f"booking {commit.uid} is not in the store")
    data, *flags = stored
    if isinstance(commit, Transition):
        return commit.booking, [bool(f) for f in flags]
    # The changes are wire fields, so they apply to the stored wire form: one validation, no dump first.
    return Booking.model_validate(data | commit.changes), [bool(f) for f in flags]

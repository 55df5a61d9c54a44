"""Hands booking events to the calendar: one DestinationEventWorkflow per meeting keeps its event in step.

A dispatcher on the existing side-effect path (``commit_transition`` dispatches every recorded event), so
the booking's workflow stays as it is. The meeting's workflow is named after its first booking (a
reschedule moves the same event), so every write of one meeting runs in order, one at a time; signalling
it again for the same event is harmless (each write makes the event match the booking's current state).
"""

from sqlalchemy import ColumnElement, exists
from temporalio.client import Client

from activities.calendars import booking_chain, live_reference
from domain.booking import Booking, BookingEvent
from store import bookings
from store import calendars as store
from store.bookings import BookingRow
from store.calendars import USER_LEVEL, DestinationRow, ReferenceRow
from store.db import Database

DESTINATION_WORKFLOW = "DestinationEventWorkflow"
CHANGED_SIGNAL = "changed"


def destination_workflow_id(meeting_uid: str) -> str:
    return f"calendar-event:{meeting_uid}"


# Built once (the expression costs every commit to build; its SQL is cached by SQLAlchemy).
_ANY_CALENDAR = exists().where(ReferenceRow.booking_uid == BookingRow.uid) | exists().where(
    ((DestinationRow.user_id == USER_LEVEL) & (DestinationRow.event_type_id == BookingRow.event_type_id))
    | ((DestinationRow.user_id == BookingRow.organizer_id) & (DestinationRow.event_type_id == USER_LEVEL))
)


class CalendarDispatcher:
    """EventDispatcher: signals the meeting's DestinationEventWorkflow when its host writes to a calendar."""

    def __init__(self, db: Database, client: Client, task_queue: str) -> None:
        self._db, self._client, self._task_queue = db, client, task_queue

    def screen(self) -> ColumnElement[bool]:
        """A reference to the meeting's event, or a stored destination for its host or event type
        (ScreenedDispatcher): without either there is no calendar to write to."""
        return _ANY_CALENDAR

    def wanted(self, booking: Booking, events: list[BookingEvent], screened: bool) -> list[BookingEvent]:
        """All the events if the screen found a calendar, or the booking was moved here from another (its
        meeting's event hangs off the first booking) or its event type names a calendar; else none."""
        looks = screened or booking.from_reschedule or booking.event_type.destination_calendar is not None
        return events if looks else []

    async def dispatch(self, event: BookingEvent) -> None:
        async with self._db.sessions() as session:
            booking = await bookings.get(session, event.booking_uid)
            if booking is None:
                return
            chain = await booking_chain(session, booking)
            has_event = await live_reference(session, chain) is not None
            destination = await store.destination_of_booking(session, booking.organizer.id, booking.event_type)
        if not has_event and destination is None:
            return
        meeting = chain[-1].uid
        await self._client.start_workflow(
            DESTINATION_WORKFLOW,
            meeting,
            id=destination_workflow_id(meeting),
            task_queue=self._task_queue,
            start_signal=CHANGED_SIGNAL,
            start_signal_args=[booking.uid],
        )

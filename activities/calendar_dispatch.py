"""Hands booking events to the calendar: one DestinationEventWorkflow per meeting keeps its event in step.

A dispatcher on the existing side-effect path (``commit_transition`` dispatches every recorded event), so
the booking's workflow stays as it is. The meeting's workflow is named after its first booking (a
reschedule moves the same event), so every write of one meeting runs in order, one at a time; signalling
it again for the same event is harmless (each write makes the event match the booking's current state).
"""

from temporalio.client import Client

from activities.calendars import booking_chain, live_reference
from domain.booking import BookingEvent
from store import bookings
from store import calendars as store
from store.db import Database

DESTINATION_WORKFLOW = "DestinationEventWorkflow"
CHANGED_SIGNAL = "changed"


def destination_workflow_id(meeting_uid: str) -> str:
    return f"calendar-event:{meeting_uid}"


class CalendarDispatcher:
    """EventDispatcher: signals the meeting's DestinationEventWorkflow when its host writes to a calendar."""

    def __init__(self, db: Database, client: Client, task_queue: str) -> None:
        self._db, self._client, self._task_queue = db, client, task_queue

    async def dispatch(self, event: BookingEvent) -> None:
        async with self._db.sessions() as session:
            booking = await bookings.get(session, event.booking_uid)
            if booking is None:
                return
            chain = await booking_chain(session, booking)
            has_event = await live_reference(session, chain) is not None
            destination = await store.destination_for(session, booking.organizer.id, booking.event_type.id)
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

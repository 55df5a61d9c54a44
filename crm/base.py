"""What every CRM adapter offers the workflows: booking sync and the errors it reports.

The owner lookup is ``domain.crm.CrmOwnerLookup``; this module adds the write side. Adapters wrap
synchronous client libraries, so implementations run them in a worker thread and stay awaitable.
"""

import asyncio
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import Literal, Protocol

from pydantic import AwareDatetime, Field

from domain.base import CamelModel
from domain.booking import Attendee, Booking

CrmProvider = Literal["salesforce", "hubspot"]


class SyncError(CamelModel):
    """A run-time sync failure that was survived: what failed, and which fields were left out.

    Never silent: the caller stores it (per credential and event type) and shows it to admins.
    """

    provider: CrmProvider
    code: str = Field(description="The provider's error code, e.g. INVALID_FIELD or INSUFFICIENT_ACCESS.")
    message: str
    dropped_fields: list[str] = []
    at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))


class SyncResult(CamelModel):
    """The outcome of one sync call: the CRM record it concerns and any errors it survived."""

    external_id: str | None = Field(default=None, description="The CRM's id of the meeting record.")
    person_ids: list[str] = Field(default=[], description="CRM ids of the attendee records used.")
    deleted: bool = False
    errors: list[SyncError] = []


class BookingSync(Protocol):
    """Mirrors a booking's life into a CRM. Each method is idempotent for the same booking."""

    async def on_created(self, booking: Booking) -> SyncResult:
        """Create (or find, when retried) the meeting record; ``external_id`` is its id."""
        ...

    async def on_rescheduled(self, booking: Booking, external_id: str) -> SyncResult:
        """Move the meeting record ``external_id`` to the booking's new time."""
        ...

    async def on_cancelled(self, booking: Booking, external_id: str) -> SyncResult:
        """Delete the meeting record, or write the configured cancel fields to it instead."""
        ...

    async def on_no_show(self, booking: Booking, external_id: str) -> SyncResult:
        """Write the attendees' no-show state (``Attendee.absent``) to the meeting record."""
        ...

    async def on_seat_added(self, booking: Booking, external_id: str, seat: Attendee) -> SyncResult:
        """A seat's attendee joins the meeting ``external_id``: their person record (found or created as for
        a booking's attendee, with the booking's person writes) is linked to it."""
        ...

    async def on_seat_removed(self, booking: Booking, external_id: str, seat: Attendee, cancelled: bool) -> SyncResult:
        """A seat's attendee leaves the meeting ``external_id``, which goes on for the others; ``cancelled``
        (not moved to another slot): their person record also gets the cancellation's writes."""
        ...


class BlockingBookingSync(ABC):
    """A BookingSync whose work is blocking I/O (both CRM client libraries are): each step runs in a
    thread, so the worker's event loop keeps serving other activities meanwhile."""

    @abstractmethod
    def created(self, booking: Booking) -> SyncResult: ...

    @abstractmethod
    def rescheduled(self, booking: Booking, external_id: str) -> SyncResult: ...

    @abstractmethod
    def cancelled(self, booking: Booking, external_id: str) -> SyncResult: ...

    @abstractmethod
    def no_show(self, booking: Booking, external_id: str) -> SyncResult: ...

    @abstractmethod
    def seat_added(self, booking: Booking, external_id: str, seat: Attendee) -> SyncResult: ...

    @abstractmethod
    def seat_removed(self, booking: Booking, external_id: str, seat: Attendee, cancelled: bool) -> SyncResult: ...

    async def on_created(self, booking: Booking) -> SyncResult:
        return await asyncio.to_thread(self.created, booking)

    async def on_rescheduled(self, booking: Booking, external_id: str) -> SyncResult:
        return await asyncio.to_thread(self.rescheduled, booking, external_id)

    async def on_cancelled(self, booking: Booking, external_id: str) -> SyncResult:
        return await asyncio.to_thread(self.cancelled, booking, external_id)

    async def on_no_show(self, booking: Booking, external_id: str) -> SyncResult:
        return await asyncio.to_thread(self.no_show, booking, external_id)

    async def on_seat_added(self, booking: Booking, external_id: str, seat: Attendee) -> SyncResult:
        return await asyncio.to_thread(self.seat_added, booking, external_id, seat)

    async def on_seat_removed(self, booking: Booking, external_id: str, seat: Attendee, cancelled: bool) -> SyncResult:
        return await asyncio.to_thread(self.seat_removed, booking, external_id, seat, cancelled)

"""The CRM sync activity of the BookingWorkflow: mirror one booking change into one CRM.

Runs on the CRM's own task queue (rate-limited per provider). Idempotent per step: the step id comes
from the workflow (booking uid, provider, the event that caused it), and the step is recorded with the
external id it produced and its errors in one transaction before the activity returns; a retry finds
the step done. The adapters themselves find an already-created meeting, so a crash between the CRM
call and the record repeats nothing either. Outages are raised for Temporal to retry (HubSpot's
Retry-After becomes the next retry delay); configuration and permission errors, and every error an
adapter survived, are stored for admins (``bookflow crm errors``, GET /v2/crm/errors) and logged.
"""

from collections.abc import Awaitable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import metrics
from activities.crm_providers import CrmClient, load_config, retry_later
from crm.base import BookingSync, CrmProvider, SyncError, SyncResult
from domain.base import CamelModel
from domain.booking import Attendee, Booking
from domain.routing_responses import routing_reason, webhook_responses
from store import bookings, routing
from store import crm as crm_store
from store.crm import CrmRecord, CrmSyncErrorRecord
from store.db import Database

# A rescheduled booking waits this many attempts for its original booking's sync to land (the two
# run in different workflows), then creates a fresh meeting rather than wait forever.
PREVIOUS_SYNC_WAIT_ATTEMPTS = 6
PREVIOUS_SYNC_WAIT = timedelta(seconds=2)


class CrmAction(StrEnum):
    CREATED = "created"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    # A seated booking's attendees changed: one seat's attendee joins or leaves the booking's meeting.
    SEAT_ADDED = "seat_added"
    SEAT_CANCELLED = "seat_cancelled"


class CrmSyncRequest(CamelModel):
    """One step: mirror ``action`` of ``booking`` (its state after the change) into ``provider``."""

    step_id: str
    provider: CrmProvider
    action: CrmAction
    booking: Booking
    # A seat's step: the seat's attendee, and (a seat moved in) the booking whose meeting it left.
    seat: Attendee | None = None
    moved_from: str | None = None


class CrmSyncOutcome(CamelModel):
    external_id: str | None = None
    error_codes: list[str] = []
    repeated: bool = False


def crm_queue(task_queue: str, provider: str) -> str:
    """The task queue of one CRM's activities (the workflow's queue plus the provider's name)."""
    return f"{task_queue}.{provider}"


class CrmActivities:
    """The sync activity bound to one CRM (``client`` None: no credentials, every step is an error)."""

    def __init__(self, db: Database, provider: CrmProvider, client: CrmClient | None) -> None:
        self._db = db
        self._provider = provider
        self._client = client

    @activity.defn(name="crm_sync_booking")
    async def sync_booking(self, request: CrmSyncRequest) -> CrmSyncOutcome:
        """Run one sync step once; raise only what Temporal should retry."""
        booking, provider = request.booking, self._provider
        async with self._db.sessions() as session:
            if await crm_store.step_done(session, request.step_id):
                record = await crm_store.get_record(session, booking.uid, provider)
                return CrmSyncOutcome(external_id=record.external_id if record else None, repeated=True)
            current = await crm_store.get_record(session, booking.uid, provider)
            previous = None
            if booking.from_reschedule:
                previous = await crm_store.get_record(session, booking.from_reschedule, provider)
            context = await mapping_context(session, booking)
        if self._client is None:
            message = f"{provider} credentials are not configured in the worker's environment"
            error = SyncError(provider=provider, code="NOT_CONFIGURED", message=message)
            return await self._finish(request, None, [error])
        result, errors = await self._run(request, current, previous, context)
        return await self._finish(request, result, errors)

    async def _run(
        self,
        request: CrmSyncRequest,
        current: CrmRecord | None,
        previous: CrmRecord | None,
        context: Mapping[str, Any],
    ) -> tuple[SyncResult | None, list[SyncError]]:
        """Call the adapter for the step (or nothing, when there is nothing to do)."""
        assert self._client is not None
        booking = request.booking
        live = current if current and not current.deleted else None
        if request.seat is not None:
            return await self._run_seat(request, request.seat, live, context, opened=current is None)
        if request.action in (CrmAction.CANCELLED, CrmAction.NO_SHOW) and live is None:
            return None, []  # never synced (no record was made) or already deleted: nothing to change
        if request.action in (CrmAction.CREATED, CrmAction.RESCHEDULED) and current is not None:
            return None, []  # this booking already has its meeting
        if request.action is CrmAction.RESCHEDULED and (previous is None or previous.deleted):
            await self._wait_for_previous(booking)
        sync = self._client.booking_sync(await load_config(self._db), booking, context)
        return await self._guarded(request.action, _call(sync, request.action, booking, previous, live))

    async def _run_seat(
        self,
        request: CrmSyncRequest,
        seat: Attendee,
        live: CrmRecord | None,
        context: Mapping[str, Any],
        opened: bool = False,
    ) -> tuple[SyncResult | None, list[SyncError]]:
        """A seat's step: its attendee joins (or leaves) the meeting of the booking, which keeps its record.

        A seat moved in leaves the meeting of the booking it moved from first (that booking goes on). A seat
        that moved to an empty slot opened a booking of its own (``opened``: no record yet, the seat its only
        attendee): its step makes that booking's meeting.
        """
        assert self._client is not None
        booking = request.booking
        sync = self._client.booking_sync(await load_config(self._db), booking, context)
        errors: list[SyncError] = []
        if request.moved_from is not None:
            async with self._db.sessions() as session:
                left = await crm_store.get_record(session, request.moved_from, self._provider)
            if left is not None and not left.deleted:
                _, errors = await self._guarded(
                    request.action, sync.on_seat_removed(booking, left.external_id, seat, False)
                )
        if live is None and opened and request.action is CrmAction.SEAT_ADDED and booking.attendees == [seat]:
            result, more = await self._guarded(CrmAction.CREATED, sync.on_created(booking))
            return result, [*errors, *more]
        if live is None:
            return None, errors  # the booking's meeting was never made (or is gone): nothing to join or leave
        if request.action is CrmAction.SEAT_ADDED:
            call = sync.on_seat_added(booking, live.external_id, seat)
        else:
            call = sync.on_seat_removed(booking, live.external_id, seat, True)
        result, more = await self._guarded(request.action, call)
        return result, [*errors, *more]

    async def _guarded(
        self, action: CrmAction, call: Awaitable[SyncResult]
    ) -> tuple[SyncResult | None, list[SyncError]]:
        """Await one adapter call: an outage is raised for Temporal to retry, a refusal returned to be stored."""
        assert self._client is not None
        try:
            result = await call
        except Exception as error:
            metrics.crm_call(self._provider, action.value, failed=True)
            failure = self._client.failure(error)
            if failure is None:
                raise  # unknown (a dropped connection): Temporal retries it
            if failure.retryable:
                raise retry_later(failure) from None
            return None, [failure.error]
        metrics.crm_call(self._provider, action.value)
        return result, []

    async def _wait_for_previous(self, booking: Booking) -> None:
        """Retry a little while the original booking (another workflow) has not finished its own sync."""
        if activity.info().attempt >= PREVIOUS_SYNC_WAIT_ATTEMPTS or booking.from_reschedule is None:
            return
        async with self._db.sessions() as session:
            original = await bookings.get(session, booking.from_reschedule)
            synced = await crm_store.has_steps(session, booking.from_reschedule, self._provider)
        if original is not None and self._provider in original.event_type.crm_sync and not synced:
            raise ApplicationError(
                f"waiting for booking {booking.from_reschedule} to reach {self._provider} first",
                type="CrmOriginalPending",
                next_retry_delay=PREVIOUS_SYNC_WAIT,
            )

    async def _finish(
        self, request: CrmSyncRequest, result: SyncResult | None, errors: list[SyncError]
    ) -> CrmSyncOutcome:
        """Record the step, the record it left and every error, in one transaction; log the errors."""
        booking = request.booking
        errors = [*errors, *(result.errors if result else [])]
        stored = [
            CrmSyncErrorRecord(
                booking_uid=booking.uid,
                provider=e.provider,
                event_type_id=booking.event_type.id,
                action=request.action.value,
                code=e.code,
                message=e.message,
                dropped_fields=e.dropped_fields,
                at=e.at or datetime.now(UTC),
            )
            for e in errors
        ]
        record = None
        if result is not None and result.external_id:
            record = CrmRecord(
                booking_uid=booking.uid, provider=self._provider, external_id=result.external_id, deleted=result.deleted
            )
        async with self._db.transaction() as session:
            await crm_store.record_step(
                session, request.step_id, request.action.value, record, stored, booking.uid, self._provider
            )
        for e in stored:
            activity.logger.warning(
                "%s sync of booking %s (%s): %s %s; dropped fields: %s",
                e.provider,
                e.booking_uid,
                e.action,
                e.code,
                e.message,
                ", ".join(e.dropped_fields) or "none",
            )
        return CrmSyncOutcome(external_id=record.external_id if record else None, error_codes=[e.code for e in stored])


async def _call(
    sync: BookingSync, action: CrmAction, booking: Booking, previous: CrmRecord | None, live: CrmRecord | None
) -> SyncResult:
    """The adapter call for one step (``live`` is set for cancel and no-show, checked by the caller)."""
    match action:
        case CrmAction.CREATED:
            return await sync.on_created(booking)
        case CrmAction.RESCHEDULED if previous is not None and not previous.deleted:
            return await sync.on_rescheduled(booking, previous.external_id)
        case CrmAction.RESCHEDULED:
            return await sync.on_created(booking)
        case CrmAction.CANCELLED if live is not None:
            return await sync.on_cancelled(booking, live.external_id)
        case CrmAction.NO_SHOW if live is not None:
            return await sync.on_no_show(booking, live.external_id)
    raise AssertionError(f"unhandled action {action}")


async def mapping_context(session: Any, booking: Booking) -> dict[str, Any]:
    """What mapping references read beyond the booking: routing-form answers and the assignment reason."""
    if booking.routing is None:
        return {}
    stored = await routing.get_response(session, booking.routing.response_id)
    form = await routing.get_form(session, stored.form_id, stored.form_version) if stored else None
    if stored is None or form is None:
        return {}
    answers = {key: answer["value"] for key, answer in webhook_responses(form, stored.values).items()}
    reason = routing_reason(stored.decision) if stored.decision else None
    return {"form": answers, "assignmentReason": reason}

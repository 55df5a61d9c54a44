"""BookingWorkflow: one booking's whole life, from request to the last no-show check.

The workflow holds the booking's state and decides every transition. Timed actions come from one
agenda derived from that state (domain.lifecycle.agenda), so a cancel or reschedule needs no clean-up:
a cancelled booking simply has nothing left due.

The close: once the agenda is empty the lifecycle has closed. From then on every change is refused
(validators and handlers alike; the API answers 409) and signals are ignored, so no new work can start.
``run`` returns when nothing is left: the agenda empty, every handler finished, every background
reminder send and CRM step done. That background work finishes within a bound rather than being handed
to a workflow of its own: each step retries for at most a day (workflows.reminders.STEP_DEADLINE,
workflows.crm.STEP_DEADLINE), long enough to ride out a provider outage, and its result needs nothing
from the booking's workflow. A hand-off would have to cancel a step mid-attempt and run it again
elsewhere, racing the first attempt for a CRM create; a bound keeps one execution per step.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.bookings import BookingActivities, BookingChange, PendingEvent, Reservation, Transition
    from domain import lifecycle, seats
    from domain import search_attributes as search
    from domain.booking import (
        AcceptInstantInput,
        Attendee,
        Booking,
        BookingInput,
        BookingStatus,
        CancelInput,
        ConfirmInput,
        DeclineInput,
        MarkAbsentInput,
        ParticipantJoin,
        PaymentSucceeded,
        PreviousSlot,
        RescheduleInput,
    )
    from domain.lifecycle import Action, AgendaItem, TransitionRefused
    from domain.routing_responses import BookedFromResponse, response_workflow_id
    from domain.seats import AddSeatInput, CancelSeatInput
    from domain.triggers import Trigger
    from workflows.crm import INSTANT_ACCEPT_PATCH, CrmSyncs
    from workflows.reminders import ReminderSends

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Storage and dispatch errors are retried until they succeed: a booking's events are never dropped.
ACTIVITY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# Bookings made from a routing response tell that response's workflow (added after the first release).
ROUTING_SIGNAL_PATCH = "signal-routing-response"
# BookingStatus is kept current in visibility (added after the first release; recorded histories lack it).
SEARCH_ATTRIBUTES_PATCH = "search-attributes"
# Changes after the close are refused and late signals ignored (recorded histories accepted them).
CLOSED_PATCH = "refuse-after-close"
# A participant's repeated join commits nothing (recorded histories committed each one).
JOINS_PATCH = "joins-once-per-participant"
# Commits send the changed fields, not the whole booking (recorded histories sent the whole booking).
CHANGES_PATCH = "commit-changed-fields"
# A long history continues as new when the server suggests it (recorded histories never did).
CONTINUE_PATCH = "continue-as-new"
# A seat moved to an empty slot starts the booking it opens with ``previous`` (recorded starts never did so).
SEAT_OPENED_PATCH = "seat-opened-booking"


def _refusal(error: TransitionRefused) -> ApplicationError:
    return ApplicationError(str(error), type="TransitionRefused", non_retryable=True)


def _refuse_unless(check: Any, *args: Any) -> None:
    """Run a lifecycle check in a validator, turning a refusal into a clear update rejection."""
    try:
        check(*args)
    except TransitionRefused as refused:
        raise _refusal(refused) from None


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The top-level wire fields of ``after`` that differ from ``before``."""
    return {name: value for name, value in after.items() if before.get(name) != value}


@workflow.defn
class BookingWorkflow:
    @workflow.init
    def __init__(self, start: BookingInput) -> None:
        self._booking: Booking = start.booking
        self._keep_open = timedelta(minutes=start.keep_open_minutes)
        self._previous = start.previous
        self._instant_token = start.instant_token
        self._lock = asyncio.Lock()
        self._changed = False
        # A continued run took over a created booking; it commits its whole state once to be sure.
        self._created = start.continued
        self._stored: dict[str, Any] = {} if start.continued else start.booking.wire()
        self._reminders = ReminderSends()
        self._crm = CrmSyncs()
        # Only a workflow started with our search attributes (the cluster has them registered) updates them.
        self._indexed_status = workflow.info().typed_search_attributes.get(search.BOOKING_STATUS)
        self._may_continue = False

    @workflow.run
    async def run(self, start: BookingInput) -> Booking:
        # Asked once: a run replayed from a history recorded before this patch never continues as new.
        self._may_continue = workflow.patched(CONTINUE_PATCH)
        if not start.continued:
            async with self._lock:
                await self._create()
            filler = self._booking.routing.form_filler_id if self._booking.routing else None
            if filler and self._previous is None and workflow.patched(ROUTING_SIGNAL_PATCH):
                await self._tell_routing_response(filler)
        while items := lifecycle.agenda(self._booking, self._keep_open):
            if self._continue_suggested():
                await self._continue_as_new()
            item = items[0]
            if await self._wait_until(item):
                async with self._lock:
                    if item in lifecycle.agenda(self._booking, self._keep_open):
                        await self._fire(item)
        # Closed: nothing new can start (changes are refused), so this wait ends once the work begun
        # before the close is done, which each step's deadline bounds.
        await self._reminders.finish()
        await workflow.wait_condition(lambda: workflow.all_handlers_finished() and self._crm.idle())
        return self._booking

    async def _wait_until(self, item: AgendaItem) -> bool:
        """Sleep until ``item`` is due; False if the booking changed first (the agenda is recomputed).

        Also False when the server suggests continuing as new, so a flood of signals that change
        nothing still lets the run hand over its history.
        """
        delay = (item.due - workflow.now()).total_seconds()
        if delay <= 0:
            return True
        self._changed = False
        try:
            await workflow.wait_condition(lambda: self._changed or self._continue_suggested(), timeout=delay)
        except TimeoutError:
            return True
        return False

    def _continue_suggested(self) -> bool:
        return self._may_continue and workflow.info().is_continue_as_new_suggested()

    async def _continue_as_new(self) -> None:
        """Hand the booking to a fresh run once no change is half-done and no background work runs.

        Reminder sends and CRM steps are workflow tasks of this run, so the run waits for them
        rather than abandon them; the new run starts from the booking as it is and creates nothing.
        """
        await workflow.wait_condition(
            lambda: workflow.all_handlers_finished() and self._reminders.idle() and self._crm.idle()
        )
        workflow.continue_as_new(
            BookingInput(booking=self._booking, keep_open_minutes=self._keep_open.total_seconds() / 60, continued=True),
            search_attributes=workflow.info().typed_search_attributes,
        )

    def _closed(self) -> bool:
        return lifecycle.closed(self._booking, self._keep_open)

    def _check(self, check: Any, *args: Any) -> None:
        """A handler's own check: the closed lifecycle first (for bookings that passed CLOSED_PATCH)."""
        if workflow.patched(CLOSED_PATCH):
            _refuse_unless(lifecycle.check_open, self._booking, self._keep_open)
        _refuse_unless(check, *args)

    def _validate(self, check: Any, *args: Any) -> None:
        """A validator's check; validators leave no trace in the history, so need no patch."""
        _refuse_unless(lifecycle.check_open, self._booking, self._keep_open)
        _refuse_unless(check, *args)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """Hold the booking for one change, never before its creation has been committed.

        Temporal delivers an update or signal that arrives with the start before ``run`` begins; without
        the wait, a confirm sent right after create would be applied first and then overwritten.
        """
        await workflow.wait_condition(lambda: self._created)
        async with self._lock:
            yield

    # -- state ------------------------------------------------------------------------------------

    @workflow.query
    def state(self) -> Booking:
        return self._booking

    async def _commit(
        self, events: list[tuple[Trigger, dict[str, Any]]], counted: tuple[Trigger, ...] = (), **changes: Any
    ) -> None:
        """Apply ``changes`` to the booking, then save it and fire ``events`` through one activity.

        ``counted`` triggers are counted as fired without an event of their own: the reminder rules they start
        become due (the agenda derives them from the counts) while no webhook subscriber hears of them.
        """
        counts = dict(self._booking.trigger_counts)
        for trigger in counted:
            counts[trigger.value] = counts.get(trigger.value, 0) + 1
        pending = []
        for trigger, extra in events:
            n = counts.get(trigger.value, 0)
            counts[trigger.value] = n + 1
            pending.append(
                PendingEvent(trigger=trigger, event_id=f"{self._booking.uid}:{trigger.value}:{n}", extra=extra)
            )
        now = workflow.now()
        self._booking = self._booking.model_copy(update={**changes, "trigger_counts": counts, "updated_at": now})
        self._changed = True
        self._index_status()
        await self._save(pending, now)
        self._crm.follow(self._booking, pending)

    async def _save(self, pending: list[PendingEvent], now: datetime) -> None:
        """Commit the booking's changed fields and ``pending`` through one activity."""
        state = self._booking.wire()
        if workflow.patched(CHANGES_PATCH):
            change = BookingChange(uid=self._booking.uid, changes=_diff(self._stored, state), events=pending, at=now)
            await workflow.execute_activity_method(
                BookingActivities.commit_transition,
                change,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        else:
            # Recorded histories hold the whole booking and its rendered events as the result: left undecoded.
            await workflow.execute_activity(
                "commit_transition",
                Transition(booking=self._booking, events=pending, at=now),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        self._stored = state

    def _index_status(self) -> None:
        """Upsert BookingStatus when it changed, so `bookflow ops` and the UI can filter by it."""
        status = self._booking.status.value
        if self._indexed_status is None or status == self._indexed_status:
            return
        if workflow.patched(SEARCH_ATTRIBUTES_PATCH):
            workflow.upsert_search_attributes([search.BOOKING_STATUS.value_set(status)])
            self._indexed_status = status

    async def _create(self) -> None:
        status, triggers = lifecycle.initial_status(self._booking)
        moved_seat = self._previous is not None and self._booking.from_reschedule is None
        if moved_seat and workflow.patched(SEAT_OPENED_PATCH):
            await self._create_for_moved_seat(self._previous, status)
            return
        extra: dict[str, Any] = {}
        if self._previous is not None:
            extra = _rescheduled_from(self._previous)
        if self._instant_token is not None:  # the activity builds connectAndJoinUrl from the public URL
            extra = {"connectAndJoinToken": self._instant_token}
        await self._commit([(t, extra) for t in triggers], status=status)
        self._created = True

    async def _create_for_moved_seat(self, previous: PreviousSlot | None, status: BookingStatus) -> None:
        """A seat moved from ``previous`` to a slot without a booking opened this one (api.seats): its first
        event is the seat's BOOKING_RESCHEDULED naming where it was, as a seat moved into an existing booking
        fires (``add_seat``); the seat's messages and CRM step follow from it (its attendee leaves the old
        booking's meeting, and this booking's meeting is made).

        Only such starts carry ``previous`` without ``from_reschedule`` (a reschedule's new booking has both),
        so no recorded history reaches this path.
        """
        assert previous is not None
        (seat,) = self._booking.attendees
        event = self._seat_event(Trigger.BOOKING_RESCHEDULED, seat, _rescheduled_from(previous), previous.uid)
        await self._commit_seat(event, status=status)
        self._index_status()
        self._created = True

    async def _tell_routing_response(self, form_filler_id: str) -> None:
        """Signal the RoutingResponseWorkflow this booking was made from (it then fires no NO_EVENT)."""
        handle = workflow.get_external_workflow_handle(response_workflow_id(form_filler_id))
        booked = BookedFromResponse(booking_uid=self._booking.uid, attendee_email=str(self._booking.attendees[0].email))
        try:
            await handle.signal("booked", booked)
        except FailureError:
            # Its wait is over and it has ended; the store links the response to this booking anyway.
            workflow.logger.info("the routing response workflow of %s has ended", form_filler_id)

    # -- timed actions ----------------------------------------------------------------------------

    async def _fire(self, item: AgendaItem) -> None:
        done = [*self._booking.done, item.key]
        match item.action:
            case Action.PAYMENT_EXPIRY:
                minutes = self._booking.event_type.payment_timeout_minutes
                reason = f"Payment was not completed within {minutes} minutes"
                await self._commit(
                    [(Trigger.BOOKING_CANCELLED, {"requestReschedule": False})],
                    status=BookingStatus.CANCELLED,
                    cancellation_reason=reason,
                    done=done,
                )
            case Action.MEETING_STARTED:
                await self._commit([(Trigger.MEETING_STARTED, {})], done=done)
            case Action.MEETING_ENDED:
                await self._commit([(Trigger.MEETING_ENDED, {})], done=done)
            case Action.HOST_NO_SHOW:
                await self._check_host_no_show(item, done)
            case Action.GUEST_NO_SHOW:
                await self._check_guest_no_show(item, done)
            case Action.REMINDER:
                # Marked done at once; the send runs in the background (see workflows.reminders).
                self._booking = self._booking.model_copy(update={"done": done})
                self._reminders.start(self._booking, item.key)
            case Action.CLOSE:
                # Nothing to tell anyone: the workflow simply ends, so no activity is spent on it.
                self._booking = self._booking.model_copy(update={"done": done})
            case Action.INSTANT_EXPIRY:
                seconds = self._booking.event_type.instant_meeting_expiry_time_offset_in_seconds
                await self._commit(
                    [(Trigger.BOOKING_CANCELLED, {"requestReschedule": False})],
                    status=BookingStatus.CANCELLED,
                    cancellation_reason=f"No host accepted the instant meeting within {seconds} seconds",
                    done=done,
                )

    async def _check_host_no_show(self, item: AgendaItem, done: list[str]) -> None:
        host = str(self._booking.organizer.email)
        if lifecycle.joined_by(self._booking, host, item.due):
            await self._commit([], done=done)
            return
        extra = {
            "hostEmail": host,
            "noShowHost": True,
            "message": f"Host {host} didn't join the call before {_stamp(item.due)}",
        }
        await self._commit([(Trigger.AFTER_HOSTS_CAL_VIDEO_NO_SHOW, extra)], absent_host=True, done=done)

    async def _check_guest_no_show(self, item: AgendaItem, done: list[str]) -> None:
        missing = [a for a in self._booking.attendees if not lifecycle.joined_by(self._booking, str(a.email), item.due)]
        if not missing:
            await self._commit([], done=done)
            return
        absent = {a.email for a in missing}
        attendees = [a.model_copy(update={"absent": a.email in absent}) for a in self._booking.attendees]
        guests = [{"email": str(a.email), "name": a.name} for a in missing]
        extra = {"guests": guests, "message": f"Guests didn't join the call before {_stamp(item.due)}"}
        await self._commit([(Trigger.AFTER_GUESTS_CAL_VIDEO_NO_SHOW, extra)], attendees=attendees, done=done)

    # -- updates ----------------------------------------------------------------------------------

    @workflow.update
    async def confirm(self, request: ConfirmInput) -> Booking:
        async with self._turn():
            self._check(lifecycle.check_confirm, self._booking)
            # The reason (None in histories recorded before it existed) only fills the booking's state.
            await self._commit(
                [(Trigger.BOOKING_CREATED, {})], status=BookingStatus.ACCEPTED, confirmation_reason=request.reason
            )
            return self._booking

    @confirm.validator
    def _validate_confirm(self, _request: ConfirmInput) -> None:
        self._validate(lifecycle.check_confirm, self._booking)

    @workflow.update
    async def decline(self, request: DeclineInput) -> Booking:
        async with self._turn():
            self._check(lifecycle.check_decline, self._booking)
            await self._commit(
                [(Trigger.BOOKING_REJECTED, {})],
                status=BookingStatus.REJECTED,
                rejection_reason=request.reason,
            )
            return self._booking

    @decline.validator
    def _validate_decline(self, _request: DeclineInput) -> None:
        self._validate(lifecycle.check_decline, self._booking)

    @workflow.update
    async def cancel(self, request: CancelInput) -> Booking:
        async with self._turn():
            self._check(lifecycle.check_cancel, self._booking)
            await self._commit(
                [(Trigger.BOOKING_CANCELLED, {"requestReschedule": False})],
                status=BookingStatus.CANCELLED,
                cancellation_reason=request.cancellation_reason,
                cancelled_by_email=request.cancelled_by,
            )
            return self._booking

    @cancel.validator
    def _validate_cancel(self, _request: CancelInput) -> None:
        self._validate(lifecycle.check_cancel, self._booking)

    @workflow.update
    async def reschedule(self, request: RescheduleInput) -> Booking:
        """Move the booking: a new booking (new uid) takes the new slot, this one is cancelled."""
        async with self._turn():
            self._check(lifecycle.check_reschedule, self._booking)
            old = self._booking
            length = old.end - old.start
            draft = old.model_copy(
                update={
                    "id": 0,
                    "uid": str(workflow.uuid4()),
                    "start": request.start,
                    "end": request.start + length,
                    "created_at": workflow.now(),
                    "updated_at": None,
                    "idempotency_key": None,
                    "from_reschedule": old.uid,
                    "rescheduling_reason": request.rescheduling_reason,
                    "rescheduled_by_email": request.rescheduled_by,
                    "ical_sequence": old.ical_sequence + 1,
                    "done": [],
                    "trigger_counts": {},
                    "joins": [],
                    "absent_host": False,
                }
            )
            try:
                new = await workflow.execute_activity_method(
                    BookingActivities.reserve_slot,
                    Reservation(booking=draft, ignore_uid=old.uid),
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=ACTIVITY_RETRY,
                )
            except ActivityError as failed:
                cause = failed.cause
                if isinstance(cause, ApplicationError) and cause.type == "SlotTaken":
                    raise ApplicationError(cause.message, type="SlotTaken", non_retryable=True) from None
                raise
            previous = PreviousSlot.of(old)
            await workflow.start_child_workflow(
                BookingWorkflow.run,
                BookingInput(
                    booking=new,
                    keep_open_minutes=self._keep_open.total_seconds() / 60,
                    previous=previous,
                ),
                id=new.uid,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                search_attributes=search.for_booking(new) if self._indexed_status is not None else None,
            )
            await self._commit(
                [],
                status=BookingStatus.CANCELLED,
                rescheduled=True,
                rescheduled_to_uid=new.uid,
                rescheduling_reason=request.rescheduling_reason,
                rescheduled_by_email=request.rescheduled_by,
            )
            return new

    @reschedule.validator
    def _validate_reschedule(self, _request: RescheduleInput) -> None:
        self._validate(lifecycle.check_reschedule, self._booking)

    @workflow.update
    async def mark_absent(self, request: MarkAbsentInput) -> Booking:
        async with self._turn():
            emails = [str(a.email) for a in request.attendees]
            self._check(lifecycle.check_mark_absent, self._booking, emails)
            marks = {str(a.email).lower(): a.absent for a in request.attendees}
            attendees = [
                a.model_copy(update={"absent": marks.get(str(a.email).lower(), a.absent)})
                for a in self._booking.attendees
            ]
            absent_host = self._booking.absent_host if request.host is None else request.host
            extra = {
                "message": "No-show status updated",
                "attendees": [{"email": e, "noShow": v} for e, v in marks.items()],
                "bookingUid": self._booking.uid,
                "bookingId": self._booking.id,
            }
            await self._commit([(Trigger.BOOKING_NO_SHOW_UPDATED, extra)], attendees=attendees, absent_host=absent_host)
            return self._booking

    @mark_absent.validator
    def _validate_mark_absent(self, request: MarkAbsentInput) -> None:
        self._validate(lifecycle.check_mark_absent, self._booking, [str(a.email) for a in request.attendees])

    # -- instant meetings (a new update, so no recorded history holds it) ---------------------------

    @workflow.update
    async def accept_instant(self, request: AcceptInstantInput) -> Booking:
        """The first host to accept an instant meeting becomes its organizer; INSTANT_MEETING_ACCEPTED fires
        once (a later acceptance is refused by the check, so it fires nothing)."""
        async with self._turn():
            self._check(lifecycle.check_accept_instant, self._booking, request.host.id)
            if not workflow.patched(INSTANT_ACCEPT_PATCH):  # recorded histories: the event alone
                await self._commit(
                    [(Trigger.INSTANT_MEETING_ACCEPTED, {})], status=BookingStatus.ACCEPTED, organizer=request.host
                )
                return self._booking
            # The accepting host is stored as the organizer first, so the commit that fires the event finds
            # their destination calendar (dispatch screens the stored row); that commit also counts a
            # BOOKING_CREATED, so the event type's new-event reminder rules send their confirmations, and
            # the CRM sync creates the meeting (workflows.crm), as for any accepted booking.
            await self._commit([], status=BookingStatus.ACCEPTED, organizer=request.host)
            await self._commit([(Trigger.INSTANT_MEETING_ACCEPTED, {})], counted=(Trigger.BOOKING_CREATED,))
            return self._booking

    @accept_instant.validator
    def _validate_accept_instant(self, request: AcceptInstantInput) -> None:
        self._validate(lifecycle.check_accept_instant, self._booking, request.host.id)

    # -- seats (seated event types; new updates, so no recorded history holds them) ------------------

    @workflow.update
    async def add_seat(self, request: AddSeatInput) -> Booking:
        """A booker of this booking's slot takes a seat; BOOKING_CREATED names only them (as Cal.com's).

        A seat moved here from another slot's booking fires BOOKING_RESCHEDULED instead, naming where it was.
        """
        async with self._turn():
            self._check(seats.check_add_seat, self._booking, workflow.now())
            taken = request.attendee
            if request.previous is None:
                event = self._seat_event(Trigger.BOOKING_CREATED, taken, {})
            else:
                extra = _rescheduled_from(request.previous)
                event = self._seat_event(Trigger.BOOKING_RESCHEDULED, taken, extra, request.previous.uid)
            await self._commit_seat(event, attendees=[*self._booking.attendees, taken])
            return self._booking

    @add_seat.validator
    def _validate_add_seat(self, _request: AddSeatInput) -> None:
        self._validate(seats.check_add_seat, self._booking, workflow.now())

    @workflow.update
    async def cancel_seat(self, request: CancelSeatInput) -> Booking:
        """An attendee gives up their seat: the others keep theirs. The last seat cancels the booking."""
        async with self._turn():
            self._check(seats.check_cancel_seat, self._booking, request.seat_uid)
            gone = seats.seat(self._booking, request.seat_uid)
            assert gone is not None
            extra = {
                "requestReschedule": False,
                "cancellationReason": request.cancellation_reason,
                "seatAttendee": gone.wire(),
            }
            left = [a for a in self._booking.attendees if a.seat_uid != request.seat_uid]
            if left:
                cancelled = None if request.moved else self._seat_event(Trigger.BOOKING_CANCELLED, gone, extra)
                await self._commit_seat(cancelled, attendees=left)
            else:  # its last seat: the booking is cancelled (or, the seat having moved, rescheduled)
                await self._commit(
                    [] if request.moved else [(Trigger.BOOKING_CANCELLED, extra)],
                    status=BookingStatus.CANCELLED,
                    cancellation_reason=request.cancellation_reason,
                    rescheduled=request.moved,
                )
            return self._booking

    @cancel_seat.validator
    def _validate_cancel_seat(self, request: CancelSeatInput) -> None:
        self._validate(seats.check_cancel_seat, self._booking, request.seat_uid)

    def _seat_event(
        self, trigger: Trigger, seat: Attendee, extra: dict[str, Any], moved_from: str | None = None
    ) -> PendingEvent:
        """A seat's own event: its id names the seat (and the booking it moved from), its payload only the
        seat's attendee."""
        event_id = f"{self._booking.uid}:{trigger.value}:seat:{seat.seat_uid}"
        if moved_from is not None:
            event_id += f":from:{moved_from}"
        return PendingEvent(trigger=trigger, event_id=event_id, extra={**extra, "seatAttendee": seat.wire()})

    async def _commit_seat(self, event: PendingEvent | None, **changes: Any) -> None:
        """``_commit`` for one seat's change: the booking's trigger counts stay as they are, so its own reminder
        rules (the agenda) see nothing new; the webhook subscribers get the seat's event, the reminder sends
        its messages (to the seat's holder and the organizer only) and the CRM sync its step (the seat's
        attendee joins or leaves the booking's meeting)."""
        now = workflow.now()
        self._booking = self._booking.model_copy(update={**changes, "updated_at": now})
        self._changed = True
        await self._save([event] if event is not None else [], now)
        if event is not None:
            self._reminders.start_seat(self._booking, event)
            self._crm.follow(self._booking, [event])

    # -- provider events --------------------------------------------------------------------------

    @workflow.signal
    async def payment_succeeded(self, payment: PaymentSucceeded) -> None:
        """Stripe said the payment succeeded; a repeated event id is ignored."""
        async with self._turn():
            if self._ignored_after_close(f"payment {payment.payment_event_id}"):
                return
            if payment.payment_event_id in self._booking.payment_event_ids:
                return
            seen = [*self._booking.payment_event_ids, payment.payment_event_id]
            if not self._booking.awaiting_payment:
                await self._commit([], payment_event_ids=seen)
                return
            paid_extra = {"paymentId": payment.payment_event_id, "externalId": payment.external_id}
            if self._booking.event_type.requires_confirmation:
                await self._commit(
                    [(Trigger.BOOKING_REQUESTED, {}), (Trigger.BOOKING_PAID, paid_extra)],
                    paid=True,
                    payment_event_ids=seen,
                )
            else:
                await self._commit(
                    [(Trigger.BOOKING_CREATED, {}), (Trigger.BOOKING_PAID, paid_extra)],
                    paid=True,
                    status=BookingStatus.ACCEPTED,
                    payment_event_ids=seen,
                )

    @workflow.signal
    async def participant_joined(self, join: ParticipantJoin) -> None:
        """Someone joined the call; only a participant's first (earliest) join changes the booking."""
        async with self._turn():
            if self._ignored_after_close("a participant's join"):
                return
            if not workflow.patched(JOINS_PATCH):
                await self._commit([], joins=[*self._booking.joins, join])
            elif lifecycle.first_join(self._booking, join):
                await self._commit([], joins=lifecycle.with_join(self._booking, join))

    def _ignored_after_close(self, what: str) -> bool:
        """Whether a signal arrived after the close (it changes nothing; a signal cannot be refused)."""
        if not self._closed() or not workflow.patched(CLOSED_PATCH):
            return False
        workflow.logger.info("%s ignored: booking %s has closed", what, self._booking.uid)
        return True


def _rescheduled_from(previous: PreviousSlot) -> dict[str, Any]:
    """BOOKING_RESCHEDULED's fields naming where the booking (or seat) was before (Cal.com's reschedule*)."""
    return {
        "rescheduleUid": previous.uid,
        "rescheduleId": previous.id,
        "rescheduleStartTime": _stamp(previous.start),
        "rescheduleEndTime": _stamp(previous.end),
    }


def _stamp(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")

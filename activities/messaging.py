"""Reminder activities: turn a due step into rendered messages, and send each one exactly once.

``prepare_step`` runs on the booking's task queue; ``send_message`` runs on the task queue of the
message's provider (one per provider, each with its own rate limit). Before calling the provider,
``send_message`` re-checks the booking's current status and the recipient's opt-out, then claims the
message's idempotency key in the store; a retried attempt that finds the claim waits for its outcome
instead of sending again.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import metrics
from activities.bookings import PendingEvent
from activities.outgoing import (
    OutgoingMessage,
    PermanentSendError,
    SendError,
    UncertainSendError,
)
from activities.providers import Provider
from activities.providers.twilio_sms import RecipientOptedOut
from domain.base import CamelModel
from domain.booking import Booking, BookingStatus
from domain.reminder_plan import (
    PlannedSend,
    Recipient,
    SeatChange,
    find,
    recipients,
    seat_change,
    seat_recipients,
    seat_sends,
)
from domain.reminders import Channel
from store import bookings
from store import messages as log
from store.db import Database
from store.messages import ClaimState, Draft, MessageStatus
from templates.calcom import TemplateProblem
from templates.messages import render_step
from templates.variables import Links

logger = logging.getLogger("bookflow.messaging")


class StepFiring(CamelModel):
    """A reminder step fell due: the booking as the workflow holds it, the step's key, and when."""

    booking: Booking
    key: str
    fired_at: datetime
    # A seat's own event (its ``extra`` carries ``seatAttendee``), committed with ``booking``: the steps its
    # trigger fires are sent, and ``key`` is unused.
    seat_event: PendingEvent | None = None


class SendResult(CamelModel):
    key: str
    status: str
    detail: str | None = None


@dataclass
class MessagingOptions:
    """How sends behave; tests shorten the times."""

    links: Links = field(default_factory=Links)
    # How long one provider attempt may take before Temporal retries it (must exceed the provider timeout).
    attempt_timeout: timedelta = timedelta(seconds=30)
    # A claim older than this belongs to an attempt that died mid-call: its outcome is unknowable.
    stale_claim: timedelta = timedelta(seconds=45)
    poll_interval: timedelta = timedelta(milliseconds=100)


def _now() -> datetime:
    return datetime.now(UTC)


def _message_key(booking_uid: str, planned_key: str, channel: Channel, address: str) -> str:
    return f"{booking_uid}|{planned_key}|{channel.value}:{address.lower()}"


def _draft(message: OutgoingMessage) -> Draft:
    return Draft(
        key=message.key,
        booking_uid=message.booking_uid,
        step_id=message.step_id,
        channel=message.channel.value,
        provider=message.provider,
        recipient=message.to,
        due=message.due,
        subject=message.subject,
        body=message.text,
        html=message.html,
        attachment=message.ics,
    )


class MessagingActivities:
    def __init__(
        self,
        db: Database,
        providers: dict[Channel, Provider],
        queues: dict[str, str],
        options: MessagingOptions | None = None,
    ) -> None:
        """``providers`` picks the provider of each channel; ``queues`` maps provider name to task queue."""
        self._db = db
        self._providers = providers
        self._queues = queues
        self._options = options or MessagingOptions()

    # -- prepare ----------------------------------------------------------------------------------

    @activity.defn
    async def prepare_step(self, firing: StepFiring) -> list[OutgoingMessage]:
        """The messages a due step sends, rendered for each recipient; skips and render failures are logged."""
        booking = firing.booking
        if firing.seat_event is not None:
            return await self._prepare_seat_event(booking, firing.seat_event, firing.fired_at)
        planned = find(booking, firing.key)
        if planned is None:
            return []
        provider = self._providers[planned.step.action.channel]
        people = recipients(booking, planned.step)
        if not people:
            await self._settle_unsent(booking, planned, provider.name, "-", MessageStatus.SKIPPED, "no recipient")
            metrics.reminder_skipped("no_recipient")
            return []
        if planned.not_after is not None and firing.fired_at > planned.not_after:
            reason = "the meeting had already started when the reminder fell due"
            for person in people:
                await self._settle_unsent(
                    booking, planned, provider.name, person.address, MessageStatus.SKIPPED, reason
                )
                metrics.reminder_skipped("meeting_started")
            return []
        out = []
        for person in people:
            message = await self._render(booking, planned, provider.name, person, firing.fired_at)
            if message is not None:
                out.append(message)
        return out

    async def _prepare_seat_event(self, booking: Booking, event: PendingEvent, now: datetime) -> list[OutgoingMessage]:
        """The messages a seat's event sends: its holder alone among the attendees, and the organizer (or the
        step's fixed address) a notice of the seat's change; each rendered with only the seat's attendee."""
        change = seat_change(booking, event.trigger, event.event_id, event.extra)
        if change is None:
            return []
        out = []
        for planned in seat_sends(booking, change):
            provider = self._providers[planned.step.action.channel].name
            people = seat_recipients(booking, planned.step, change)
            if not people:
                await self._settle_unsent(booking, planned, provider, "-", MessageStatus.SKIPPED, "no recipient")
                metrics.reminder_skipped("no_recipient")
            for person in people:
                message = await self._render(booking, planned, provider, person, now, change)
                if message is not None:
                    out.append(message)
        return out

    async def _render(
        self,
        booking: Booking,
        planned: PlannedSend,
        provider: str,
        person: Recipient,
        now: datetime,
        seat: SeatChange | None = None,
    ) -> OutgoingMessage | None:
        try:
            rendered = render_step(planned.step, booking, person, self._options.links, now, seat)
        except TemplateProblem as problem:
            await self._settle_unsent(booking, planned, provider, person.address, MessageStatus.FAILED, str(problem))
            metrics.reminder_skipped("render_failed")
            return None
        return OutgoingMessage(
            key=_message_key(booking.uid, planned.key, planned.step.action.channel, person.address),
            booking_uid=booking.uid,
            step_id=planned.key.split(":")[1],
            channel=planned.step.action.channel,
            provider=provider,
            queue=self._queues[provider],
            to=person.address,
            to_name=person.name,
            sender_name=planned.step.sender,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            ics=rendered.ics,
            ics_method=rendered.ics_method,
            due=planned.due,
            requires_accepted=planned.timed,
            not_after=planned.not_after,
            attempt_timeout_seconds=self._options.attempt_timeout.total_seconds(),
        )

    async def _settle_unsent(
        self, booking: Booking, planned: PlannedSend, provider: str, address: str, status: MessageStatus, why: str
    ) -> None:
        channel = planned.step.action.channel
        draft = Draft(
            key=_message_key(booking.uid, planned.key, channel, address),
            booking_uid=booking.uid,
            step_id=planned.key.split(":")[1],
            channel=channel.value,
            provider=provider,
            recipient=address,
            due=planned.due,
        )
        async with self._db.transaction() as session:
            await log.record(session, draft, status, _now(), why)
        logger.info("reminder %s to %s %s: %s", planned.key, address, status.value, why)

    # -- send -------------------------------------------------------------------------------------

    @activity.defn
    async def send_message(self, message: OutgoingMessage) -> SendResult:
        """Send ``message`` once: re-check the booking and opt-out, claim the key, call the provider."""
        if (skip := await self._reason_to_skip(message)) is not None:
            code, reason = skip
            metrics.reminder_skipped(code)
            return await self._skip(message, reason)
        while True:
            async with self._db.transaction() as session:
                state, current = await log.claim(session, _draft(message), _now())
            if state is ClaimState.FINAL:
                return SendResult(key=message.key, status=current.status.value, detail=current.detail)
            if state is ClaimState.CLAIMED:
                # Shielded: if Temporal gives up on this attempt, the call still completes and is recorded,
                # so the next attempt finds the outcome instead of sending again.
                return await asyncio.shield(asyncio.ensure_future(self._deliver(message)))
            if _now() - (current.claimed_at or _now()) > self._options.stale_claim:
                detail = "an earlier attempt died during the provider call; not resent to avoid a duplicate"
                metrics.reminder_skipped("in_doubt")
                return await self._settle(message, MessageStatus.IN_DOUBT, detail=detail)
            await asyncio.sleep(self._options.poll_interval.total_seconds())

    async def _reason_to_skip(self, message: OutgoingMessage) -> tuple[str, str] | None:
        """Why ``message`` must not be sent now, as (reason code, text), or None to send it."""
        async with self._db.sessions() as session:
            if message.requires_accepted:
                booking = await bookings.get(session, message.booking_uid)
                if booking is None or booking.status is not BookingStatus.ACCEPTED:
                    status = booking.status.api if booking else "gone"
                    return "not_accepted", f"the booking is {status}"
            if message.channel is Channel.SMS and await log.is_opted_out(session, message.to):
                return "opted_out", "the recipient opted out of SMS (STOP)"
        if message.not_after is not None and _now() > message.not_after:
            return "meeting_started", "the meeting started before the reminder could be sent"
        return None

    async def _skip(self, message: OutgoingMessage, reason: str) -> SendResult:
        async with self._db.transaction() as session:
            await log.record(session, _draft(message), MessageStatus.SKIPPED, _now(), reason)
        logger.info("message %s skipped: %s", message.key, reason)
        async with self._db.sessions() as session:
            current = await log.get(session, message.key)
        status = current.status.value if current else MessageStatus.SKIPPED.value
        return SendResult(key=message.key, status=status, detail=current.detail if current else reason)

    async def _deliver(self, message: OutgoingMessage) -> SendResult:
        provider = self._providers[message.channel]
        try:
            provider_id = await provider.send(message)
        except RecipientOptedOut as refused:
            async with self._db.transaction() as session:
                await log.set_opt_out(session, message.to, True, _now(), "twilio:21610")
            metrics.reminder_skipped("opted_out")
            return await self._settle(message, MessageStatus.SKIPPED, detail=str(refused))
        except PermanentSendError as refused:
            logger.warning("message %s refused by %s: %s", message.key, provider.name, refused)
            metrics.reminder_skipped("provider_refused")
            return await self._settle(message, MessageStatus.FAILED, detail=str(refused))
        except UncertainSendError as unknown:
            logger.warning("message %s in doubt: %s", message.key, unknown)
            metrics.reminder_skipped("in_doubt")
            return await self._settle(message, MessageStatus.IN_DOUBT, detail=str(unknown))
        except Exception as error:  # TransientSendError, or anything unexpected: retry, never drop
            detail = str(error) if isinstance(error, SendError) else f"{error.__class__.__name__}: {error}"
            await self._settle(message, MessageStatus.PENDING, detail=detail)
            # Retryable: Temporal's retry policy backs off and tries again; the claim is released.
            raise ApplicationError(f"{provider.name}: {detail}", type="ProviderUnavailable") from None
        metrics.reminder_sent(message.channel.value, provider.name, (_now() - message.due).total_seconds())
        return await self._settle(message, MessageStatus.SENT, provider_id=provider_id)

    async def _settle(
        self, message: OutgoingMessage, status: MessageStatus, provider_id: str | None = None, detail: str | None = None
    ) -> SendResult:
        async with self._db.transaction() as session:
            await log.settle(session, message.key, status, _now(), provider_id=provider_id, detail=detail)
        return SendResult(key=message.key, status=status.value, detail=detail)

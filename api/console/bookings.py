"""Console: bookings and one booking's timeline, from what the store records, with a link to the
booking's workflow in the Temporal Web UI.

The timeline merges, by time: the booking's own moments (created, start, end, cancelled), every event
of the event log (each trigger fired: the booking's transitions), each webhook delivery of those events
with its attempts, every message (email, SMS) with its status, every CRM write step and every calendar
event reference. A caller sees a booking only when the API lets them manage it (organizer, host of its
event type, or admin); any other uid answers 404, exactly as a booking that does not exist.
"""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.access import Caller, booking_party, manages_booking
from api.console.deps import CurrentConsoleUser
from api.console.render import page, temporal_links
from api.context import ApiContext, Ctx
from api.errors import ApiError
from domain.base import CamelModel
from domain.booking import Booking
from domain.calendars import BookingReference
from domain.webhooks import Attempt, Delivery, Outcome
from store import bookings as booking_store
from store import calendars as calendar_store
from store import crm as crm_store
from store import events as event_store
from store import messages as message_store
from store import webhooks as webhook_store
from store.crm import CrmStep, CrmSyncErrorRecord
from store.delivery_reports import FAILING
from store.messages import Message, MessageStatus

router = APIRouter(prefix="/console/bookings", include_in_schema=False)


class TimelineEntry(CamelModel):
    """One line of a booking's timeline."""

    at: datetime
    kind: str  # booking, event, delivery, attempt, message, crm, calendar
    title: str
    detail: str = ""
    failed: bool = False


class Timeline(CamelModel):
    """A booking with its timeline and its links into the Temporal Web UI."""

    booking: Booking
    entries: list[TimelineEntry]
    workflow_url: str  # the booking's workflow (id = booking uid) in the Temporal Web UI
    related_url: str  # every workflow of this booking (deliveries, CRM, calendar) by its search attribute


async def managed_booking(ctx: ApiContext, caller: Caller, uid: str) -> Booking:
    """The booking if ``caller`` may manage it, else 404 (as the API answers)."""
    async with ctx.db.sessions() as session:
        booking = await booking_store.get(session, uid)
    if booking is None or not manages_booking(caller, booking):
        raise ApiError(404, f"Booking with uid={uid} not found")
    return booking


async def bookings_for(ctx: ApiContext, caller: Caller, take: int = 50) -> list[Booking]:
    """The newest bookings ``caller`` may see, as GET /v2/bookings lists them."""
    filters = booking_store.BookingFilter(
        party=await booking_party(ctx, caller), take=take, sort=(("created", "desc"),)
    )
    async with ctx.db.sessions() as session:
        found, _ = await booking_store.search(session, filters, datetime.now(UTC))
    return found


def _own_moments(booking: Booking) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(at=booking.created_at, kind="booking", title="requested", detail=f"status {booking.status}"),
        TimelineEntry(at=booking.start, kind="booking", title="meeting starts", detail=booking.title),
        TimelineEntry(at=booking.end, kind="booking", title="meeting ends"),
    ]
    if booking.updated_at and booking.updated_at != booking.created_at:
        entries.append(
            TimelineEntry(at=booking.updated_at, kind="booking", title="last change", detail=f"now {booking.status}")
        )
    return entries


def _delivery_entries(deliveries: list[Delivery], attempts: dict[str, list[Attempt]]) -> list[TimelineEntry]:
    """Each webhook delivery, and each of its attempts."""
    entries = []
    for d in deliveries:
        entries.append(
            TimelineEntry(
                at=d.created_at,
                kind="delivery",
                title=f"webhook {d.trigger} → subscription {d.subscription_id}",
                detail=f"{d.status}, {d.attempts} attempts, delivery {d.id}",
                failed=d.status in FAILING,
            )
        )
        entries += [
            TimelineEntry(
                at=a.at,
                kind="attempt",
                title=f"attempt {a.series}.{a.number}: {a.outcome}",
                detail=f"HTTP {a.status_code}" if a.status_code is not None else (a.error or ""),
                failed=a.outcome is not Outcome.DELIVERED,
            )
            for a in attempts[d.id]
        ]
    return entries


def _message_entries(messages: list[Message]) -> list[TimelineEntry]:
    """Each email and SMS, at when it was sent (or is due)."""
    return [
        TimelineEntry(
            at=m.sent_at or m.due,
            kind="message",
            title=f"{m.channel} to {m.recipient}: {m.status}",
            detail=f"{m.subject} ({m.provider}){' — ' + m.detail if m.detail else ''}",
            failed=m.status is MessageStatus.FAILED,
        )
        for m in messages
    ]


def _crm_entries(steps: list[CrmStep], errors: list[CrmSyncErrorRecord]) -> list[TimelineEntry]:
    """Each CRM write step, and each sync error."""
    entries = [
        TimelineEntry(at=s.at, kind="crm", title=f"{s.provider} {s.action}", detail=s.external_id or "") for s in steps
    ]
    entries += [
        TimelineEntry(
            at=e.at,
            kind="crm",
            title=f"{e.provider} {e.action} error {e.code}",
            detail=e.message + (f" (dropped {', '.join(e.dropped_fields)})" if e.dropped_fields else ""),
            failed=True,
        )
        for e in errors
    ]
    return entries


def _calendar_entries(booking: Booking, references: list[BookingReference]) -> list[TimelineEntry]:
    """Each calendar event reference."""
    # A calendar reference records where the event is, not when it was written: shown at the booking's creation.
    return [
        TimelineEntry(
            at=booking.created_at,
            kind="calendar",
            title=f"{r.type} event {'deleted' if r.deleted else 'written'}",
            detail=f"{r.external_calendar_id} / {r.uid} (sequence {r.sequence})",
        )
        for r in references
    ]


async def timeline(ctx: ApiContext, caller: Caller, uid: str) -> Timeline:
    """Everything the store records about one booking the caller may manage, oldest first."""
    booking = await managed_booking(ctx, caller, uid)
    async with ctx.db.sessions() as session:
        events = await event_store.for_booking(session, uid)
        deliveries = await webhook_store.deliveries_of_events(session, [e.event_id for e in events])
        attempts = {d.id: await webhook_store.attempts_of(session, d.id) for d in deliveries}
        messages = await message_store.for_booking(session, uid)
        steps = await crm_store.steps_of(session, uid)
        crm_errors = await crm_store.list_errors(session, booking_uid=uid, limit=100)
        references = await calendar_store.references_of(session, uid)
    entries = _own_moments(booking)
    entries += [TimelineEntry(at=e.created_at, kind="event", title=e.trigger, detail=e.event_id) for e in events]
    entries += _delivery_entries(deliveries, attempts)
    entries += _message_entries(messages)
    entries += _crm_entries(steps, crm_errors)
    entries += _calendar_entries(booking, references)
    workflow_url, related_url = temporal_links(ctx, uid)
    entries.sort(key=lambda entry: entry.at)
    return Timeline(booking=booking, entries=entries, workflow_url=workflow_url, related_url=related_url)


# -- screens -------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def bookings_page(request: Request, ctx: Ctx, caller: CurrentConsoleUser) -> HTMLResponse:
    """The newest bookings the caller may see."""
    return page(request, "bookings.html", caller, bookings=await bookings_for(ctx, caller), title="Bookings")


@router.get("/{uid}", response_class=HTMLResponse)
async def timeline_page(request: Request, uid: str, ctx: Ctx, caller: CurrentConsoleUser) -> HTMLResponse:
    """One booking's timeline (404 unless the caller may manage it)."""
    found = await timeline(ctx, caller, uid)
    return page(request, "booking_timeline.html", caller, timeline=found, title=f"Booking {uid}")

"""Activities of the RoutingResponseWorkflow: decide a stored response (asking the CRM for the owner
where the routed event type wants it), and fire the routing-form triggers through the event log and
the same dispatchers as bookings.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import metrics
from activities.bookings import EventDispatcher
from activities.crm_geo import response_geo
from domain.base import CamelModel
from domain.booking import BookingEvent
from domain.config import EventType
from domain.crm import CrmOwnerLookup, OwnerDecision, OwnerQuery
from domain.routing_forms import RoutingContext, RoutingDecision, RoutingForm
from domain.routing_responses import (
    RoutingResponseInput,
    WrongAssignmentInput,
    response_subject,
    routing_reason,
    submitter_email,
    webhook_responses,
)
from domain.triggers import Trigger
from routing.engine import decide
from store import bookings, events, routing
from store import config as config_store
from store.db import Database
from store.routing_context import load_context
from templates.payloads.non_booking import (
    form_submitted_body,
    form_submitted_no_event_body,
    wrong_assignment_report_body,
)


class DecidedResponse(CamelModel):
    decision: RoutingDecision
    no_event_minutes: float


class FormEventRequest(CamelModel):
    response_id: int
    trigger: Trigger
    at: datetime


def owner_query(
    form: RoutingForm,
    values: Mapping[str, Any],
    decision: RoutingDecision,
    event_type: EventType | None,
    host_emails: list[str],
) -> OwnerQuery | None:
    """The CRM question a decision needs, if its event type asks for the CRM owner (Cal.com §5.2)."""
    if event_type is None or event_type.crm_owner_lookup is None or event_type.scheduling_type != "roundRobin":
        return None
    if decision.action.type != "eventTypeRedirectUrl" or decision.skip_contact_owner:
        return None
    email = submitter_email(form, values)
    if email is None:
        return None
    return OwnerQuery(
        attendee_email=email,
        host_emails=host_emails,
        crm_app_slug=event_type.crm_owner_lookup,
        round_robin=True,
        event_type_id=event_type.id,
    )


class CrmConsulted(NamedTuple):
    """A decision with the CRM owner lookup it was made with (to decide again with the same owner)."""

    decision: RoutingDecision
    owner: OwnerDecision | None = None
    crm_app_slug: str | None = None


async def consult_crm(
    form: RoutingForm,
    values: Mapping[str, Any],
    context: RoutingContext,
    event_types: Mapping[int, EventType],
    owners: Mapping[str, CrmOwnerLookup],
    geo: Mapping[str, str | None] | None = None,
) -> CrmConsulted:
    """Decide; where the routed event type asks for the CRM owner, look them up and decide with them.

    ``geo`` (country, region) is the submitter's, from the submission's edge headers (Salesforce tiebreakers).
    """
    first = decide(form, values, context)
    routed = event_types.get(first.action.event_type_id or 0)
    hosts = next((e.hosts for e in context.event_types if routed and e.id == routed.id), [])
    query = owner_query(form, values, first, routed, [h.email for h in hosts])
    if query is None:
        return CrmConsulted(first)
    if geo:
        query = query.model_copy(update=dict(geo))
    lookup = owners.get(query.crm_app_slug)
    if lookup is None:
        note = f"event type {query.event_type_id} asks for the {query.crm_app_slug} owner, but no lookup is configured"
        trace = first.trace.model_copy(update={"notes": [*first.trace.notes, note]})
        return CrmConsulted(first.model_copy(update={"trace": trace}))
    owner = await lookup.find_owner(query)
    return CrmConsulted(decide(form, values, context, owner, query.crm_app_slug), owner, query.crm_app_slug)


class RoutingActivities:
    def __init__(
        self,
        db: Database,
        dispatchers: Sequence[EventDispatcher] = (),
        owners: Mapping[str, CrmOwnerLookup] | None = None,
        no_event_minutes: float = 15,
        recent_booking_minutes: float = 60,
    ) -> None:
        self._db = db
        self._dispatchers = list(dispatchers)
        self._owners = dict(owners or {})
        self._no_event_minutes = no_event_minutes
        self._recent = timedelta(minutes=recent_booking_minutes)

    async def _stored(self, response_id: int) -> tuple[routing.StoredResponseRecord, RoutingForm]:
        async with self._db.sessions() as session:
            stored = await routing.get_response(session, response_id)
            form = await routing.get_form(session, stored.form_id, stored.form_version) if stored else None
        if stored is None or form is None:
            raise ApplicationError(f"routing response {response_id} or its form is gone", non_retryable=True)
        return stored, form

    @activity.defn
    async def decide_response(self, request: RoutingResponseInput) -> DecidedResponse:
        """Decide a stored response once and store the decision with its trace (a retry returns it)."""
        stored, form = await self._stored(request.response_id)
        if stored.decision is None:
            now = datetime.now().astimezone()
            async with self._db.sessions() as session:
                context = await load_context(session, now)
                event_types = {e.id: e for e in await config_store.list_event_types(session)}
                geo = await response_geo(session, request.response_id)
            consulted = await consult_crm(form, stored.values, context, event_types, self._owners, geo)
            async with self._db.transaction() as session:
                decision = await self._final_decision(session, form, stored.values, consulted, now)
                decision = await routing.record_decision(session, request.response_id, decision, now)
            metrics.routing_decision("fallback" if decision.is_fallback else decision.route_id)
        else:
            decision = stored.decision
        return DecidedResponse(decision=decision, no_event_minutes=self._no_event_minutes)

    @staticmethod
    async def _final_decision(
        session: AsyncSession, form: RoutingForm, values: Mapping[str, Any], consulted: CrmConsulted, now: datetime
    ) -> RoutingDecision:
        """With a host to choose, choose again under the route's host counters' lock, counting every
        assignment made meanwhile (booked or not), so concurrent submissions keep the weights."""
        first = consulted.decision
        if first.trace.host is None:
            return first
        # The pool's hosts; a CRM owner's choice has no candidates, but its counter row is still written.
        candidates = [c.user_id for c in first.trace.host.candidates] or [first.trace.host.user_id]
        await routing.lock_host_counters(session, form.id, first.route_id, candidates)
        context = await load_context(session, now)
        return decide(form, values, context, consulted.owner, consulted.crm_app_slug)

    @activity.defn
    async def fire_form_event(self, request: FormEventRequest) -> bool:
        """Fire FORM_SUBMITTED, or FORM_SUBMITTED_NO_EVENT unless a booking followed; True if fired."""
        stored, form = await self._stored(request.response_id)
        responses = webhook_responses(form, stored.values)
        if request.trigger is Trigger.FORM_SUBMITTED:
            body = form_submitted_body(request.at, form.id, form.name, form.team_id, responses)
        elif request.trigger is Trigger.FORM_SUBMITTED_NO_EVENT:
            if await self._booking_followed(stored, request.at):
                return False
            assert stored.decision is not None
            redirect = stored.decision.action.model_dump(include={"type", "value"})
            body = form_submitted_no_event_body(
                request.at, form.id, form.name, form.team_id, stored.id, redirect, responses
            )
        else:
            raise ApplicationError(f"{request.trigger} is not a routing-form trigger", non_retryable=True)
        subject = response_subject(stored.id)
        await self._record_and_dispatch(
            BookingEvent(
                event_id=f"{subject}:{request.trigger.value}",
                booking_uid=subject,
                trigger=request.trigger.value,
                created_at=request.at,
                body=body,
            )
        )
        return True

    async def _booking_followed(self, stored: routing.StoredResponseRecord, at: datetime) -> bool:
        """This response was booked, or the same email booked through this form within the last hour."""
        if stored.booking_uid is not None:
            return True
        if stored.email is None:
            return False
        async with self._db.sessions() as session:
            return await routing.booked_recently(session, stored.form_id, stored.email, at - self._recent)

    @activity.defn
    async def report_wrong_assignment(self, request: WrongAssignmentInput) -> BookingEvent:
        """Fire WRONG_ASSIGNMENT_REPORT for a routed booking (seed payload)."""
        async with self._db.sessions() as session:
            booking = await bookings.get(session, request.booking_uid)
            routed = booking.routing if booking else None
            stored = await routing.get_response(session, routed.response_id) if routed else None
            form = await routing.get_form(session, stored.form_id, stored.form_version) if stored else None
        if booking is None or stored is None or stored.decision is None or form is None:
            raise ApplicationError(f"booking {request.booking_uid} was not routed by a form", non_retryable=True)
        event_type = booking.event_type
        summary = {
            "uid": booking.uid,
            "id": booking.id,
            "title": booking.title,
            "startTime": booking.start,
            "endTime": booking.end,
            "status": booking.status.value,
            "eventType": {
                "id": event_type.id,
                "title": event_type.title,
                "slug": event_type.slug,
                "teamId": form.team_id,
            },
        }
        report = {
            "reportedBy": request.reported_by,
            "routingReason": routing_reason(stored.decision),
            "guest": str(booking.attendees[0].email),
            "host": {"email": str(booking.organizer.email), "name": booking.organizer.name},
            "correctAssignee": request.correct_assignee,
            "additionalNotes": request.additional_notes,
        }
        event = BookingEvent(
            event_id=f"{booking.uid}:{Trigger.WRONG_ASSIGNMENT_REPORT.value}:{request.report_id}",
            booking_uid=booking.uid,
            trigger=Trigger.WRONG_ASSIGNMENT_REPORT.value,
            created_at=request.at,
            body=wrong_assignment_report_body(request.at, summary, report),
        )
        await self._record_and_dispatch(event)
        return event

    async def _record_and_dispatch(self, event: BookingEvent) -> None:
        """Record once by event id, then hand to every dispatcher (idempotent per event and subscriber)."""
        async with self._db.transaction() as session:
            await events.record(session, event)
        for dispatcher in self._dispatchers:
            await dispatcher.dispatch(event)

    def activities(self) -> list[Any]:
        return [self.decide_response, self.fire_form_event, self.report_wrong_assignment]

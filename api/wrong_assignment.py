"""`POST /v2/bookings/{uid}/wrong-assignment`: report that a routed booking went to the wrong person."""

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import ConfigDict, EmailStr

from api.access import CurrentUser
from api.booking_commands import existing
from api.context import Ctx
from api.errors import ApiError
from api.schemas import Envelope
from domain.base import CamelModel
from domain.booking import BookingEvent
from domain.routing_responses import WrongAssignmentInput

router = APIRouter(prefix="/v2/bookings", tags=["bookings"])

WRONG_ASSIGNMENT_WORKFLOW = "WrongAssignmentWorkflow"


class Reporter(CamelModel):
    model_config = ConfigDict(extra="ignore")

    id: int | None = None
    email: EmailStr
    name: str | None = None


class WrongAssignment(CamelModel):
    model_config = ConfigDict(extra="ignore")

    reported_by: Reporter
    correct_assignee: EmailStr | None = None
    additional_notes: str | None = None


@router.post("/{uid}/wrong-assignment", status_code=202)
async def report_wrong_assignment(uid: str, body: WrongAssignment, ctx: Ctx, caller: CurrentUser) -> Envelope:
    """Fire WRONG_ASSIGNMENT_REPORT (by the booking's organizer, a host or an admin); routed bookings only."""
    booking = await existing(ctx, uid, caller)
    if booking.routing is None:
        raise ApiError(409, f"booking {uid} was not routed by a routing form; there is no assignment to report")
    report = WrongAssignmentInput(
        report_id=uuid.uuid4().hex,
        booking_uid=uid,
        reported_by=body.reported_by.model_dump(mode="json"),
        correct_assignee=body.correct_assignee,
        additional_notes=body.additional_notes,
        at=datetime.now(UTC),
    )
    event = await ctx.temporal.execute_workflow(
        WRONG_ASSIGNMENT_WORKFLOW,
        report,
        id=f"wrong-assignment-{report.report_id}",
        task_queue=ctx.task_queue,
        result_type=BookingEvent,
    )
    return Envelope(data={"reportId": report.report_id, "eventId": event.event_id})

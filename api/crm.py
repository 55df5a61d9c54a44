"""`/v2/crm/errors`: CRM sync errors (a field deleted after configuration, a permission refused), newest
first, so admins see what was dropped and why. Never contains credentials: only the CRM's error code,
its message and the dropped field names.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.context import Ctx
from api.schemas import Envelope
from store import crm as crm_store

router = APIRouter(prefix="/v2/crm", tags=["crm"])


@router.get("/errors")
async def list_errors(
    ctx: Ctx,
    provider: Annotated[Literal["salesforce", "hubspot"] | None, Query()] = None,
    booking_uid: Annotated[str | None, Query(alias="bookingUid")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Envelope:
    async with ctx.db.sessions() as session:
        errors = await crm_store.list_errors(session, limit=limit, provider=provider, booking_uid=booking_uid)
    return Envelope(data=[e.wire() for e in errors])

"""Event types as Cal.com's API 2024-06-14 returns them (EventTypeOutput_2024_06_14), Bookflow's fields kept."""

from collections.abc import Sequence
from typing import Any

from api.context import ApiContext
from domain.config import EventType
from domain.event_type_calcom import locations_from_text
from store import config

# Optional in Cal.com's output and not nullable there: left out while unset rather than sent as null.
UNSET_LEFT_OUT = frozenset(
    {"confirmationPolicy", "seats", "color", "bookerLayouts", "customName", "offsetStart", "bookingLimitsCount",
     "bookingLimitsDuration", "bookerActiveBookingsLimit", "destinationCalendar", "calVideoSettings",
     "bookingWindow", "lengthInMinutesOptions"}
)  # fmt: skip


# Cal.com's built-in booking fields; any other slug is a custom field (isDefault false).
DEFAULT_FIELDS = frozenset({"name", "email", "location", "rescheduleReason", "title", "notes", "guests"})


def render(event_type: EventType, usernames: dict[int, str]) -> dict[str, Any]:
    """One event type in Cal.com's shape; ``usernames`` maps its hosts' ids to their usernames."""
    data = event_type.wire()
    owner = event_type.hosts[0].user_id
    calcom = {
        "locations": [_set(loc) for loc in data["locations"] or ()] or locations_from_text(event_type.location),
        "bookingFields": [{"isDefault": f.get("slug") in DEFAULT_FIELDS} | f for f in event_type.booking_fields],
        "ownerId": owner,
        "users": [usernames[h.user_id] for h in event_type.hosts if h.user_id in usernames],
        "successRedirectUrl": event_type.success_redirect_url,
        "forwardParamsSuccessRedirect": event_type.forward_params_success_redirect,
    }
    return {k: v for k, v in (data | calcom).items() if v is not None or k not in UNSET_LEFT_OUT}


def _set(location: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in location.items() if v is not None}


async def rendered(ctx: ApiContext, event_types: Sequence[EventType]) -> list[dict[str, Any]]:
    """``event_types`` in Cal.com's shape, their hosts' usernames read once."""
    async with ctx.db.sessions() as session:
        usernames = {u.id: u.username for u in await config.list_users(session)}
    return [render(e, usernames) for e in event_types]


async def rendered_one(ctx: ApiContext, event_type: EventType) -> dict[str, Any]:
    return (await rendered(ctx, [event_type]))[0]

"""Resolving a field mapping's value for one booking (provider-neutral; seed §6.3 value rules).

Each adapter formats the result for its CRM: dates come back as aware datetimes, checkboxes as bools,
everything else as text. ``None`` means the value could not be resolved and the field is left out, as
Cal.com does.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crm.mappings import FieldMapping
from domain.booking import Booking


def resolve_value(
    m: FieldMapping, booking: Booking, now: datetime, context: Mapping[str, Any] | None = None
) -> bool | datetime | str | None:
    """The value to write, or None. ``context`` may hold ``form`` answers and ``assignmentReason``."""
    ctx = context or {}
    if m.type == "checkbox":
        return bool(m.value)
    if m.type in ("date", "datetime"):
        sources = {
            "booking_start_date": booking.start,
            "booking_created_date": booking.created_at,
            "booking_cancel_date": now,
        }
        return sources.get(str(m.value))
    v = m.value
    if not isinstance(v, str) or not (v.startswith("{") and v.endswith("}")):
        return v if isinstance(v, str) else str(v).lower()
    ref = v[1:-1]
    if ref.startswith("form:"):
        found = (ctx.get("form") or {}).get(ref[5:])
    elif ref.startswith("utm:"):
        found = booking.metadata.get(f"utm_{ref[4:]}")
    elif ref == "assignmentReason":
        found = ctx.get("assignmentReason")
    else:
        found = booking.booking_fields_responses.get(ref)
    if found is None or found == "":
        return None
    return ", ".join(map(str, found)) if isinstance(found, list) else str(found)

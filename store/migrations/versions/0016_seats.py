"""Seats: each stored ``seats`` made one that seated bookings can follow.

Until now an event type's ``seats`` was kept as sent and changed nothing. It now shares a slot's booking
between bookers, so a stored value must be Cal.com's Seats_2024_06_14 (``seatsPerTimeSlot`` 1 to 1000,
``showAttendeeInfo`` and ``showAvailabilityCount`` booleans, defaulting to false and true), on an event type
that neither requires confirmation nor recurs (the combinations a seated event type refuses). Any other
value becomes null, which keeps such an event type behaving as it did; unknown keys are dropped. The same is
done to the event-type copies bookings keep.

Revision ID: 0016_seats
Revises: 0011_calcom_shapes
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0016_seats"
down_revision = "0011_calcom_shapes"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
MAX_SEATS_PER_TIME_SLOT = 1000  # as domain.event_type_calcom (a migration keeps its own copy of the rule)


def _seats(event_type: dict[str, Any]) -> dict[str, Any] | None:
    """The event type's seats as a seated event type keeps them, or None when they cannot be followed."""
    seats = event_type.get("seats")
    if not isinstance(seats, dict) or seats.get("disabled") is True:
        return None
    count = seats.get("seatsPerTimeSlot")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_SEATS_PER_TIME_SLOT:
        return None
    show_attendees, show_count = seats.get("showAttendeeInfo", False), seats.get("showAvailabilityCount", True)
    if not isinstance(show_attendees, bool) or not isinstance(show_count, bool):
        return None
    if event_type.get("requiresConfirmation") is True or event_type.get("recurrence") is not None:
        return None
    return {"seatsPerTimeSlot": count, "showAttendeeInfo": show_attendees, "showAvailabilityCount": show_count}


def _fixed(event_type: Any) -> dict[str, Any] | None:
    """The event type with its seats made followable (or null); None when it needs no change."""
    if not isinstance(event_type, dict) or event_type.get("seats") is None:
        return None
    seats = _seats(event_type)
    return None if seats == event_type["seats"] else {**event_type, "seats": seats}


def _with_seats(bind: sa.Connection, table: str, path: tuple[str, ...]) -> list[tuple[int, Any]]:
    """The rows of ``table`` whose ``data`` holds a value at ``path`` (read in SQL: the rest are not loaded)."""
    if bind.dialect.name == "postgresql":
        where = f"jsonb_typeof(data::jsonb #> '{{{','.join(path)}}}') <> 'null'"
    else:
        where = f"json_type(data, '$.{'.'.join(path)}') <> 'null'"
    return [(r[0], r[1]) for r in bind.execute(sa.text(f"SELECT id, data FROM {table} WHERE {where}")).all()]


def _loaded(data: Any) -> Any:
    """A JSON column read through plain SQL: a dict on PostgreSQL, its text on SQLite."""
    return json.loads(data) if isinstance(data, str) else data


def upgrade() -> None:
    bind = op.get_bind()
    event_types = sa.table("event_types", sa.column("id"), sa.column("data", JSON))
    for row_id, data in _with_seats(bind, "event_types", ("seats",)):
        if (fixed := _fixed(_loaded(data))) is not None:
            bind.execute(event_types.update().where(event_types.c.id == row_id).values(data=fixed))
    bookings = sa.table("bookings", sa.column("id"), sa.column("data", JSON))
    for row_id, data in _with_seats(bind, "bookings", ("eventType", "seats")):
        data = _loaded(data)
        if (fixed := _fixed(data.get("eventType"))) is not None:
            bind.execute(bookings.update().where(bookings.c.id == row_id).values(data={**data, "eventType": fixed}))


def downgrade() -> None:
    """Nothing to undo: the seats kept are valid for the code before this revision too."""

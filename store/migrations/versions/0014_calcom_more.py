"""Recurring bookings: the series each occurrence belongs to (Cal.com's recurringBookingUid), indexed; and
each stored ``recurrence`` made one that recurring bookings can follow.

Until now an event type's ``recurrence`` was kept as sent and changed nothing. It now books a series, so a
stored value must be Cal.com's Recurrence_2024_06_14 (weekly/monthly/yearly, interval ≥ 1, 1 to 32
occurrences): any other value (``{"disabled": true}`` among them) becomes null, in the event types and in
the event-type copies bookings keep.

Revision ID: 0014_calcom_more
Revises: 0011_calcom_shapes
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014_calcom_more"
down_revision = "0011_calcom_shapes"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _followable(recurrence: Any) -> bool:
    return (
        isinstance(recurrence, dict)
        and recurrence.get("frequency") in ("weekly", "monthly", "yearly")
        and _whole(recurrence.get("interval"), 1, 99)
        and _whole(recurrence.get("occurrences"), 1, 32)
    )


def _fixed(event_type: Any) -> dict[str, Any] | None:
    """The event type with an unfollowable recurrence nulled; None when it needs no change."""
    if not isinstance(event_type, dict) or event_type.get("recurrence") is None:
        return None
    if _followable(event_type["recurrence"]):
        return None
    return {**event_type, "recurrence": None}


def _with_recurrence(bind: sa.Connection, table: str, path: tuple[str, ...]) -> list[tuple[int, Any]]:
    """The rows of ``table`` whose ``data`` holds an object at ``path`` (read in SQL: the rest are not loaded)."""
    if bind.dialect.name == "postgresql":
        where = f"jsonb_typeof(data::jsonb #> '{{{','.join(path)}}}') = 'object'"
    else:
        where = f"json_type(data, '$.{'.'.join(path)}') = 'object'"
    return [(r[0], r[1]) for r in bind.execute(sa.text(f"SELECT id, data FROM {table} WHERE {where}")).all()]


def _normalise_recurrences() -> None:
    bind = op.get_bind()
    event_types = sa.table("event_types", sa.column("id"), sa.column("data", JSON))
    for row_id, data in _with_recurrence(bind, "event_types", ("recurrence",)):
        if (fixed := _fixed(_loaded(data))) is not None:
            bind.execute(event_types.update().where(event_types.c.id == row_id).values(data=fixed))
    bookings = sa.table("bookings", sa.column("id"), sa.column("data", JSON))
    for row_id, data in _with_recurrence(bind, "bookings", ("eventType", "recurrence")):
        data = _loaded(data)
        if (fixed := _fixed(data.get("eventType"))) is not None:
            bind.execute(bookings.update().where(bookings.c.id == row_id).values(data={**data, "eventType": fixed}))


def _loaded(data: Any) -> Any:
    """A JSON column read through plain SQL: a dict on PostgreSQL, its text on SQLite."""
    return json.loads(data) if isinstance(data, str) else data


def upgrade() -> None:
    op.add_column("bookings", sa.Column("recurring_booking_uid", sa.String(64), nullable=True))
    op.create_index("ix_bookings_recurring_booking_uid", "bookings", ["recurring_booking_uid"])
    _normalise_recurrences()


def downgrade() -> None:
    op.drop_index("ix_bookings_recurring_booking_uid", table_name="bookings")
    op.drop_column("bookings", "recurring_booking_uid")

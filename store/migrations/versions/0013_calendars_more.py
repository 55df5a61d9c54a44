"""Calendars: each host's busy time merged across their selected calendars, one row per host, as slots read it.

Revision ID: 0013_calendars_more
Revises: 0011_calcom_shapes, 0010_calendars
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0013_calendars_more"
# Joins the calendar branch (0010), whose tables this reads: as a merge rather than a `depends_on`, so the
# revisions in alembic_version are exactly the script's heads (what `bookflow ops doctor` compares).
down_revision = ("0011_calcom_shapes", "0010_calendars")
branch_labels = None
depends_on = None

SELECTED_BUSY = (
    "SELECT b.user_id, b.start_s, b.end_s, c.external_id FROM calendar_busy b "
    "JOIN calendar_calendars c ON c.id = b.calendar_row_id "
    "JOIN selected_calendars s ON s.credential_id = c.connection_id AND s.external_id = c.external_id "
    "AND s.user_id = b.user_id AND s.event_type_id = 0 ORDER BY b.user_id, b.start_s, b.end_s"
)


def upgrade() -> None:
    table = op.create_table(
        "calendar_host_busy",
        sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=False),
        # start_s, end_s, calendar index, … as little-endian int64s, merged and sorted; "calendars" (JSON)
        # names each index.
        sa.Column("spans", sa.LargeBinary, nullable=False),
        sa.Column("calendars", sa.Text, nullable=False),
    )
    # The copy already synced, merged now (the same merge as store.calendars.rebuild_host_busy), so slots
    # keep seeing it before each host's next sync.
    merged: dict[int, tuple[list[list[int]], list[str]]] = {}
    for user_id, start_s, end_s, external_id in op.get_bind().execute(sa.text(SELECTED_BUSY)):
        spans, names = merged.setdefault(user_id, ([], []))
        if spans and start_s <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end_s)
            continue
        name = f"calendar {external_id}"
        if name not in names:
            names.append(name)
        spans.append([start_s, end_s, names.index(name)])
    if merged:
        op.bulk_insert(
            table,
            [{"user_id": u, "spans": _pack(s), "calendars": json.dumps(n)} for u, (s, n) in merged.items()],
        )


def _pack(spans: list[list[int]]) -> bytes:
    # As store.calendars.pack_spans (a migration does not import the app: it must not change under it).
    return b"".join(value.to_bytes(8, "little", signed=True) for span in spans for value in span)


def downgrade() -> None:
    op.drop_table("calendar_host_busy")

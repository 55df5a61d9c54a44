"""Calendars: connections (credentials sealed), their calendars and sync state, selected and destination
calendars, the stored copy of events and their busy time, and each booking's provider event (references).

Revision ID: 0010_calendars
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_calendars"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "calendar_connections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        # Names the connection's sync workflow: unique across every store a Temporal namespace serves.
        sa.Column("uid", sa.String(32), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("integration", sa.String(32), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("tentative_blocks", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sync_error_count", sa.Integer, nullable=False),
        sa.Column("sync_error_at", TS),
        sa.Column("error", sa.Text),
        sa.Column("last_sync_at", TS),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "calendar_calendars",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("connection_id", sa.Integer, nullable=False, index=True),
        sa.Column("external_id", sa.String(1024), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("is_primary", sa.Boolean, nullable=False),
        sa.Column("read_only", sa.Boolean, nullable=False),
        sa.Column("sync_token", sa.Text),
        sa.Column("ctag", sa.Text),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("synced_at", TS),
        sa.UniqueConstraint("connection_id", "external_id", name="calendar_calendars_unique"),
    )
    op.create_table(
        "selected_calendars",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("integration", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(1024), nullable=False),
        sa.Column("credential_id", sa.Integer, nullable=False, index=True),
        # 0 = user level (a number, not NULL, so the unique constraint holds on every database).
        sa.Column("event_type_id", sa.Integer, nullable=False),
        sa.UniqueConstraint(
            "user_id", "integration", "external_id", "event_type_id", name="selected_calendars_unique"
        ),
    )
    op.create_table(
        "destination_calendars",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        # Exactly one of user_id and event_type_id is set (0 for the other).
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("event_type_id", sa.Integer, nullable=False),
        sa.Column("integration", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(1024), nullable=False),
        sa.Column("credential_id", sa.Integer, nullable=False, index=True),
        sa.Column("primary_email", sa.Text),
        sa.UniqueConstraint("user_id", "event_type_id", name="destination_calendars_unique"),
    )
    op.create_table(
        "calendar_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("calendar_row_id", sa.Integer, nullable=False, index=True),
        sa.Column("event_id", sa.String(1024), nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("ics", sa.Text, nullable=False),
        sa.UniqueConstraint("calendar_row_id", "event_id", name="calendar_events_unique"),
    )
    op.create_table(
        "calendar_busy",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("calendar_row_id", sa.Integer, nullable=False, index=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("event_id", sa.String(1024), nullable=False),
        # Epoch seconds: slots read every busy interval of every host on every request.
        sa.Column("start_s", sa.BigInteger, nullable=False),
        sa.Column("end_s", sa.BigInteger, nullable=False),
    )
    op.create_index("calendar_busy_by_user", "calendar_busy", ["user_id", "start_s"])
    op.create_table(
        "booking_references",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("booking_uid", sa.String(64), nullable=False, index=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("uid", sa.String(1024), nullable=False),
        sa.Column("ical_uid", sa.String(255), nullable=False),
        sa.Column("external_calendar_id", sa.String(1024), nullable=False),
        sa.Column("credential_id", sa.Integer, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("booking_uid", "type", name="booking_references_unique"),
    )


def downgrade() -> None:
    for table in (
        "booking_references",
        "calendar_busy",
        "calendar_events",
        "destination_calendars",
        "selected_calendars",
        "calendar_calendars",
        "calendar_connections",
    ):
        op.drop_table(table)

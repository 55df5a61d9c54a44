"""Foundation: users, event types, bookings and the event log.

Revision ID: 0001_foundation
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("username", sa.String(255), nullable=False, unique=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("data", JSON, nullable=False),
    )
    op.create_table(
        "event_types",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("slug", sa.String(255), nullable=False),
        sa.Column("owner_id", sa.Integer, nullable=False, index=True),
        sa.Column("data", JSON, nullable=False),
        sa.UniqueConstraint("owner_id", "slug"),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type_id", sa.Integer, nullable=False, index=True),
        sa.Column("organizer_id", sa.Integer, nullable=False, index=True),
        sa.Column("attendee_email", sa.String(320), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("start", TS, nullable=False, index=True),
        sa.Column("end", TS, nullable=False),
        sa.Column("idempotency_key", sa.String(255), unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("data", JSON, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(200), nullable=False, unique=True),
        sa.Column("booking_uid", sa.String(64), nullable=False, index=True),
        sa.Column("trigger", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", TS, nullable=False, index=True),
        sa.Column("body", JSON, nullable=False),
    )


def downgrade() -> None:
    for table in ("events", "bookings", "event_types", "users"):
        op.drop_table(table)

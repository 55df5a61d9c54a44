"""Webhooks: subscriptions, deliveries and delivery attempts.

Revision ID: 0002_webhooks
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_webhooks"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, index=True),
        sa.Column("event_type_id", sa.Integer, index=True),
        sa.Column("subscriber_url", sa.String(2048), nullable=False),
        sa.Column("triggers", JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("payload_template", sa.Text),
        sa.Column("secret", sa.Text),
        sa.Column("time", sa.Integer),
        sa.Column("time_unit", sa.String(16)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.String(200), nullable=False, index=True),
        sa.Column("subscription_id", sa.String(64), nullable=False, index=True),
        sa.Column("trigger", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("series", sa.Integer, nullable=False),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("created_at", TS, nullable=False, index=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("body", JSON),
        sa.UniqueConstraint("event_id", "subscription_id"),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(64), nullable=False, index=True),
        sa.Column("series", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("at", TS, nullable=False, index=True),
        sa.Column("status_code", sa.Integer),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("response_body", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("outcome", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    for table in ("webhook_attempts", "webhook_deliveries", "webhooks"):
        op.drop_table(table)

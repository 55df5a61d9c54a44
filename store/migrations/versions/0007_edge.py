"""The edge: provider events (Stripe, Daily) seen, so a replayed event is applied once.

Revision ID: 0007_edge
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_edge"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "provider_events",
        sa.Column("provider", sa.String(16), primary_key=True),
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("booking_uid", sa.String(64), nullable=False, index=True),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("settled_at", TS),
        sa.Column("outcome", sa.String(255)),
    )


def downgrade() -> None:
    op.drop_table("provider_events")

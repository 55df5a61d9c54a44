"""Instant meetings: the connect-and-join tokens, kept as their SHA-256 (store/instant.py).

Revision ID: 0017_instant
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_instant"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instant_meeting_tokens",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("booking_uid", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("instant_meeting_tokens")

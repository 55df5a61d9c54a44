"""Reminder messages: one row per (booking, step, due time, recipient), and SMS opt-outs.

Revision ID: 0003_messages
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_messages"
down_revision = "0001_foundation"
branch_labels = ("messages",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(500), nullable=False, unique=True),
        sa.Column("booking_uid", sa.String(64), nullable=False, index=True),
        sa.Column("step_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False, index=True),
        sa.Column("recipient", sa.String(320), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("subject", sa.Text, nullable=False, server_default=""),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("html", sa.Text),
        sa.Column("attachment", sa.Text),
        sa.Column("due", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("claimed_at", TS),
        sa.Column("sent_at", TS),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("provider_id", sa.String(255)),
        sa.Column("detail", sa.Text),
    )
    op.create_table(
        "sms_opt_outs",
        sa.Column("phone", sa.String(32), primary_key=True),
        sa.Column("opted_out", sa.Boolean, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("source", sa.String(255)),
    )


def downgrade() -> None:
    op.drop_table("sms_opt_outs")
    op.drop_table("messages")

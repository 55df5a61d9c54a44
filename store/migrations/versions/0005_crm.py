"""CRM: the crm configuration section, external ids per booking and provider, sync steps and errors,
and the geo headers of routing-form submissions.

Revision ID: 0005_crm
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005_crm"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crm_config",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "crm_records",
        sa.Column("booking_uid", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(16), primary_key=True),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "crm_steps",
        sa.Column("step_id", sa.String(255), primary_key=True),
        sa.Column("booking_uid", sa.String(64), nullable=False, index=True),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(255)),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "crm_sync_errors",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("booking_uid", sa.String(64), nullable=False, index=True),
        sa.Column("provider", sa.String(16), nullable=False, index=True),
        sa.Column("event_type_id", sa.Integer),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("dropped_fields", JSON, nullable=False),
        sa.Column("at", TS, nullable=False, index=True),
    )
    op.create_table(
        "crm_request_geo",
        sa.Column("response_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("headers", JSON, nullable=False),
    )


def downgrade() -> None:
    for table in ("crm_request_geo", "crm_sync_errors", "crm_steps", "crm_records", "crm_config"):
        op.drop_table(table)

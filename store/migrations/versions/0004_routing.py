"""Routing forms and their versions, attributes and assignments, responses, host assignment history.

Revision ID: 0004_routing
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004_routing"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "routing_forms",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("data", JSON, nullable=False),
    )
    op.create_table(
        "routing_form_versions",
        sa.Column("form_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("data", JSON, nullable=False),
    )
    op.create_table(
        "routing_attributes",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("data", JSON, nullable=False),
    )
    op.create_table(
        "routing_attribute_assignments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("attribute_id", sa.String(64), nullable=False, index=True),
        sa.Column("option_id", sa.String(64)),
        sa.Column("value", sa.String(255)),
        sa.Column("weight", sa.Integer),
        sa.UniqueConstraint("user_id", "attribute_id", "option_id", "value"),
    )
    op.create_table(
        "routing_responses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("form_id", sa.String(64), nullable=False, index=True),
        sa.Column("form_version", sa.Integer, nullable=False),
        sa.Column("form_filler_id", sa.String(64), nullable=False, unique=True),
        sa.Column("email", sa.String(320), index=True),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("values", JSON, nullable=False),
        sa.Column("decision", JSON),
        sa.Column("created_at", TS, nullable=False, index=True),
        sa.Column("decided_at", TS),
        sa.Column("booking_uid", sa.String(64), unique=True),
        sa.Column("booked_at", TS),
    )
    op.create_table(
        "routing_host_assignments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("event_type_id", sa.Integer, nullable=False, index=True),
        sa.Column("booking_uid", sa.String(64), nullable=False, unique=True),
        sa.Column("response_id", sa.Integer),
        sa.Column("assigned_at", TS, nullable=False, index=True),
    )


def downgrade() -> None:
    for table in (
        "routing_host_assignments",
        "routing_responses",
        "routing_attribute_assignments",
        "routing_attributes",
        "routing_form_versions",
        "routing_forms",
    ):
        op.drop_table(table)

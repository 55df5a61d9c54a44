"""Routing forms an admin can trust: version authors, booking tokens, pending host assignments and the
per (form, route, host) counters that serialize weighted host choice; response ids widened to 64 bits
(they are random, so unguessable).

Revision ID: 0009_routing_admin
Revises: 0004_routing, 0005_crm
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_routing_admin"
down_revision = ("0004_routing", "0005_crm")  # a merge: crm_request_geo.response_id is widened too
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
# (table, column) holding a routing response id; SQLite integers are 64-bit already.
RESPONSE_ID_COLUMNS = (
    ("routing_responses", "id"),
    ("routing_host_assignments", "response_id"),
    ("crm_request_geo", "response_id"),
)


def upgrade() -> None:
    op.add_column("routing_form_versions", sa.Column("author", sa.String(255)))
    op.add_column("routing_responses", sa.Column("booking_token_hash", sa.String(64)))
    op.add_column("routing_responses", sa.Column("host_user_id", sa.Integer))
    op.add_column("routing_responses", sa.Column("host_event_type_id", sa.Integer))
    op.create_index("ix_routing_responses_pending_host", "routing_responses", ["host_event_type_id", "decided_at"])
    op.create_table(
        "routing_host_counters",
        sa.Column("form_id", sa.String(64), primary_key=True),
        sa.Column("route_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("assigned", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", TS),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table, column in RESPONSE_ID_COLUMNS:
            op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column in RESPONSE_ID_COLUMNS:
            op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger())
    op.drop_table("routing_host_counters")
    op.drop_index("ix_routing_responses_pending_host", "routing_responses")
    for column in ("host_event_type_id", "host_user_id", "booking_token_hash"):
        op.drop_column("routing_responses", column)
    op.drop_column("routing_form_versions", "author")

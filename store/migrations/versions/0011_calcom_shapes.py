"""Cal.com's shapes: numeric webhook ids (existing subscriptions numbered in creation order).

Revision ID: 0011_calcom_shapes
Revises: 0002_webhooks
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_calcom_shapes"
down_revision = "0002_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_numbers",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("webhook_id", sa.String(64), nullable=False, unique=True),
        sqlite_autoincrement=True,
    )
    op.add_column("webhooks", sa.Column("number", sa.Integer))
    # Existing subscriptions keep their string id (deliveries and workflows refer to it) and get a number.
    op.execute("INSERT INTO webhook_numbers (webhook_id) SELECT id FROM webhooks ORDER BY created_at, id")
    op.execute("UPDATE webhooks SET number = (SELECT n.number FROM webhook_numbers n WHERE n.webhook_id = webhooks.id)")
    op.create_index("ix_webhooks_number", "webhooks", ["number"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_webhooks_number", table_name="webhooks")
    with op.batch_alter_table("webhooks") as batch:
        batch.drop_column("number")
    op.drop_table("webhook_numbers")

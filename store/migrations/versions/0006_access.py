"""Access: API keys, stored only as keyed hashes.

Revision ID: 0006_access
Revises: 0001_foundation

Webhook secrets written before this revision are plaintext; a process started with BOOKFLOW_SECRET_KEY
seals them (store.sealed.reseal_all, run by Database.migrate), since the key never reaches a migration.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_access"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_used_at", TS),
        sa.Column("expires_at", TS),
        sa.Column("revoked_at", TS),
    )


def downgrade() -> None:
    op.drop_table("api_keys")

"""Availability: schedules, out-of-office entries, and holds (bookings and reservations) of hosts' time.

Every hold of a host's time lives in ``holds``: on PostgreSQL an exclusion constraint over the buffered
range per host makes a double booking impossible across any number of processes (btree_gist);
SQLite keeps its write lock. Existing holding bookings are copied in (without buffers).

Revision ID: 0008_availability
Revises: 0001_foundation
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008_availability"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner_id", sa.Integer, nullable=False, index=True),
        sa.Column("data", JSON, nullable=False),
    )
    op.create_table(
        "out_of_office",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("start", TS, nullable=False),
        sa.Column("end", TS, nullable=False),
        sa.Column("data", JSON, nullable=False),
    )
    op.create_table(
        "holds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("host_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("uid", sa.String(64), nullable=False, index=True),
        sa.Column("event_type_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start", TS, nullable=False),
        sa.Column("end", TS, nullable=False),
        sa.Column("start_s", sa.BigInteger, nullable=False),
        sa.Column("end_s", sa.BigInteger, nullable=False),
        sa.Column("slot_start", TS, nullable=False),
        sa.Column("slot_end", TS, nullable=False),
        sa.Column("release_at", TS, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("data", JSON, nullable=False),
    )
    op.create_index("ix_holds_host_time", "holds", ["host_id", "start", "end"])
    _copy_holding_bookings()
    if op.get_bind().dialect.name == "postgresql":
        # Serialised: two databases migrating at once would race on the cluster-wide extension catalog.
        op.execute("SELECT pg_advisory_xact_lock(hashtext('bookflow:btree_gist'))")
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
        op.execute(
            "ALTER TABLE holds ADD CONSTRAINT holds_no_overlap EXCLUDE USING gist "
            '(host_id WITH =, tstzrange(start, "end") WITH &&) WHERE (active)'
        )


def _copy_holding_bookings() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT organizer_id, uid, event_type_id, status, start, \"end\" FROM bookings "
                "WHERE status IN ('ACCEPTED', 'PENDING')")
    ).all()
    holds = sa.table(
        "holds", *(sa.column(c) for c in ("host_id", "kind", "uid", "event_type_id", "status", "start", "end",
                                          "start_s", "end_s", "slot_start", "slot_end", "release_at", "active", "data"))
    )
    for host, uid, event_type_id, status, start, end in rows:
        start, end = _aware(start), _aware(end)
        bind.execute(holds.insert().values(
            host_id=host, kind="booking", uid=uid, event_type_id=event_type_id, status=status, start=start, end=end,
            start_s=int(start.timestamp()), end_s=int(end.timestamp()), slot_start=start, slot_end=end,
            release_at=None, active=True, data={},
        ))


def _aware(moment):
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def downgrade() -> None:
    op.drop_table("holds")
    op.drop_table("out_of_office")
    op.drop_table("schedules")

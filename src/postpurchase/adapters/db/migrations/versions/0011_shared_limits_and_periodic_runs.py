"""rate buckets and periodic-job runs shared across processes (issue 17: scale out)

``rate_buckets``: the tracking page's lookup limiter as token buckets every API process
spends from (used when no Redis is configured). ``periodic_runs``: the last tick each
periodic job ran for and who holds it, so that a job every worker process schedules runs
once per tick across the cluster.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from postpurchase.adapters.db.types import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("stamp", sa.Float(), nullable=False),
        sa.Column("full_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_buckets")),
    )
    op.create_index("ix_rate_buckets_full_at", "rate_buckets", ["full_at"])
    op.create_table(
        "periodic_runs",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("tick", UTCDateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("held_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_periodic_runs")),
    )


def downgrade() -> None:
    op.drop_table("periodic_runs")
    op.drop_index("ix_rate_buckets_full_at", table_name="rate_buckets")
    op.drop_table("rate_buckets")

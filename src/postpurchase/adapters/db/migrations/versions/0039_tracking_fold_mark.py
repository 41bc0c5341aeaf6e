"""deferred tracking: fold from a mark on tracking_events instead of a queue (ADR 0036)

Each deferred scan cost two more rows than the scan itself: its ``tracking_pending`` entry
and that entry's delete at the fold. Now a deferred scan carries ``fold_seq`` (0; null for
scans folded inline, which the folder never takes) and the folder reads the scans past
``tracking_fold_mark``'s (seq, event_id) in (fold_seq, id) order, moving the mark in the
transaction that folds them. The scans still queued at upgrade are marked, so the first
fold after the upgrade takes them.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fold_seq", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_tracking_events_fold",
        "tracking_events",
        ["fold_seq", "id"],
        unique=False,
        postgresql_where=sa.text("fold_seq IS NOT NULL"),
        sqlite_where=sa.text("fold_seq IS NOT NULL"),
    )
    op.create_table(
        "tracking_fold_mark",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_fold_mark")),
    )
    op.execute("INSERT INTO tracking_fold_mark (id, seq, event_id) VALUES (1, 0, 0)")
    op.execute(
        "UPDATE tracking_events SET fold_seq = 0 "
        "WHERE id IN (SELECT event_id FROM tracking_pending)"
    )
    op.drop_table("tracking_pending")


def downgrade() -> None:
    op.create_table(
        "tracking_pending",
        sa.Column("event_id", BIGINT, autoincrement=False, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("shipment_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_tracking_pending")),
    )
    op.execute(
        "INSERT INTO tracking_pending (event_id, merchant_id, shipment_id) "
        "SELECT e.id, e.merchant_id, e.shipment_id FROM tracking_events e, tracking_fold_mark m "
        "WHERE m.id = 1 AND e.fold_seq IS NOT NULL "
        "AND (e.fold_seq > m.seq OR (e.fold_seq = m.seq AND e.id > m.event_id))"
    )
    op.drop_table("tracking_fold_mark")
    op.drop_index("ix_tracking_events_fold", table_name="tracking_events")
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.drop_column("fold_seq")

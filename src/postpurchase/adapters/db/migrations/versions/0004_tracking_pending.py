"""deferred tracking ingestion: scans accepted but not yet folded (ADR 0005)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)


def upgrade() -> None:
    op.create_table(
        "tracking_pending",
        sa.Column(
            "event_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("shipment_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_tracking_pending")),
    )


def downgrade() -> None:
    op.drop_table("tracking_pending")

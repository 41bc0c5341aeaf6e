"""shipments: a return leg names its return (the return parcel tracked like any other)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shipments") as batch:
        batch.add_column(sa.Column("return_id", sa.String(length=32), nullable=True))
    op.create_index(
        "ix_shipments_merchant_return", "shipments", ["merchant_id", "return_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_shipments_merchant_return", table_name="shipments")
    with op.batch_alter_table("shipments") as batch:
        batch.drop_column("return_id")

"""tracking page: order-number lookup index and one-tap delivery ratings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postpurchase.adapters.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DT = postpurchase.adapters.db.types.UTCDateTime
ID = sa.String(length=32)


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_number_merchant", ["number", "merchant_id"], unique=False)

    op.create_table(
        "tracking_ratings",
        sa.Column("order_id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_DT(), nullable=False),
        sa.Column("updated_at", UTC_DT(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_tracking_ratings_merchant_id_merchants"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_tracking_ratings_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_tracking_ratings")),
    )
    with op.batch_alter_table("tracking_ratings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tracking_ratings_merchant_created", ["merchant_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tracking_ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_tracking_ratings_merchant_created")
    op.drop_table("tracking_ratings")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_number_merchant")

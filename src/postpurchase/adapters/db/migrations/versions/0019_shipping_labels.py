"""shipping labels: the label ledger (idempotent purchases, documents in the media store)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import postpurchase.adapters.db.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = postpurchase.adapters.db.types.UTCDateTime
DEC = postpurchase.adapters.db.types.ExactDecimal


def upgrade() -> None:
    op.create_table(
        "shipping_labels",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("carrier", sa.String(length=48), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("label_format", sa.String(length=8), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("carrier_label_id", sa.String(length=128), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("price", DEC(length=40), nullable=True),
        sa.Column("media_id", ID, nullable=True),
        sa.Column("qr_media_id", ID, nullable=True),
        sa.Column("shipment_id", ID, nullable=True),
        sa.Column("customs", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_shipping_labels_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_shipping_labels_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_labels")),
        sa.UniqueConstraint(
            "merchant_id", "idempotency_key", name="uq_shipping_labels_merchant_key"
        ),
    )
    op.create_index(
        "ix_shipping_labels_merchant_order", "shipping_labels", ["merchant_id", "order_id"]
    )
    op.create_index("ix_shipping_labels_status", "shipping_labels", ["status", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_shipping_labels_status", table_name="shipping_labels")
    op.drop_index("ix_shipping_labels_merchant_order", table_name="shipping_labels")
    op.drop_table("shipping_labels")

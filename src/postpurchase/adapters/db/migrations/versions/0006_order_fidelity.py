"""order money and details as the store reports them; refunds; durable webhook inbox

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import postpurchase.adapters.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = postpurchase.adapters.db.types.UTCDateTime
DEC = postpurchase.adapters.db.types.ExactDecimal
BIGPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    for column in ("subtotal", "discounts_total", "tax_total", "total", "total_paid"):
        op.add_column("orders", sa.Column(column, DEC(length=40), nullable=True))
    op.add_column("orders", sa.Column("taxes_included", sa.Boolean(), nullable=True))
    op.add_column("orders", sa.Column("details", JSON, nullable=True))
    op.add_column("orders", sa.Column("source_updated_at", UTC(), nullable=True))
    op.add_column("order_lines", sa.Column("facts", JSON, nullable=True))
    op.add_column("shipments", sa.Column("tracking_url", sa.String(length=2048), nullable=True))
    op.add_column("shipments", sa.Column("details", JSON, nullable=True))
    op.add_column("tracking_events", sa.Column("signed_by", sa.String(length=200), nullable=True))
    op.create_table(
        "refunds",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", DEC(length=40), nullable=False),
        sa.Column("shipping", DEC(length=40), nullable=False),
        sa.Column("lines", JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_refunds_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint(
            "merchant_id", "order_id", "external_id", name="uq_refunds_order_external"
        ),
    )
    op.create_index(op.f("ix_refunds_order_id"), "refunds", ["order_id"], unique=False)
    op.create_table(
        "webhook_inbox",
        sa.Column("id", BIGPK, autoincrement=True, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("delivery_id", sa.String(length=128), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", UTC(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(), nullable=True),
        sa.Column("processed_at", UTC(), nullable=True),
        sa.Column("outcome", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_inbox")),
        sa.UniqueConstraint(
            "merchant_id", "source", "delivery_id", name="uq_webhook_inbox_delivery"
        ),
    )
    op.create_index("ix_webhook_inbox_due", "webhook_inbox", ["next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_webhook_inbox_due", table_name="webhook_inbox")
    op.drop_table("webhook_inbox")
    op.drop_index(op.f("ix_refunds_order_id"), table_name="refunds")
    op.drop_table("refunds")
    for table, columns in {
        "tracking_events": ("signed_by",),
        "shipments": ("details", "tracking_url"),
        "order_lines": ("facts",),
        "orders": ("source_updated_at", "details", "taxes_included", "total_paid", "total",
                   "tax_total", "discounts_total", "subtotal"),
    }.items():  # fmt: skip
        for column in columns:
            op.drop_column(table, column)

"""returns: the store's inventory adjusted on restock, exactly once; store mappings

``store_stock_adjustments``: one row per (merchant, return, line, event) for the restock of a
returned line in the connected store's inventory, written ``pending`` before the store is
called and settled ``done``, ``failed`` or ``skipped`` with its reason after; ``owner`` says
which path restocks the line in the store (our adjustment, or the store's refund / return
processing), so it is never restocked twice (ADR 0031).

``store_mappings``: our stock location codes and reason codes in a connected store's words
(a Shopify location id, a return reason definition id), and the store's reason definitions
as last read.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postpurchase.adapters.db.types

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = postpurchase.adapters.db.types.UTCDateTime
    op.create_table(
        "store_stock_adjustments",
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("return_id", sa.String(length=32), nullable=False),
        sa.Column("line_id", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=True),
        sa.Column("platform", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("store_reference", sa.String(length=255), nullable=True),
        sa.Column("created_at", when(), nullable=False),
        sa.Column("updated_at", when(), nullable=False),
        sa.Column("settled_at", when(), nullable=True),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.ForeignKeyConstraint(["return_id"], ["returns.id"]),
        sa.PrimaryKeyConstraint("merchant_id", "return_id", "line_id", "event"),
    )
    op.create_index(
        "ix_store_stock_adjustments_status",
        "store_stock_adjustments",
        ["merchant_id", "status"],
    )
    op.create_table(
        "store_mappings",
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", when(), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("merchant_id", "platform", "kind", "code"),
    )


def downgrade() -> None:
    op.drop_table("store_mappings")
    op.drop_index("ix_store_stock_adjustments_status", table_name="store_stock_adjustments")
    op.drop_table("store_stock_adjustments")

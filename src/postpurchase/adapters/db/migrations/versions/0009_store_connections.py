"""connected stores, the storefront refund ledger and the catalogue (issue 12)

``store_connections``: one row per merchant and store platform (Shopify app installs,
WooCommerce REST keys) with sealed credentials and each backfill's resumable state;
``storefront_refunds``: refunds asked of a store, by idempotency key; ``products`` and
``product_variants``: the store's catalogue.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _utc() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    from postpurchase.adapters.db.types import UTCDateTime

    return UTCDateTime()


def _decimal() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    from postpurchase.adapters.db.types import ExactDecimal

    return ExactDecimal()


def upgrade() -> None:
    op.create_table(
        "store_connections",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("credentials", sa.Text(), nullable=True),
        sa.Column("backfill", JSON, nullable=False),
        sa.Column("installed_at", _utc(), nullable=False),
        sa.Column("uninstalled_at", _utc(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_store_connections_merchant_id_merchants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_connections")),
        sa.UniqueConstraint("platform", "shop", name="uq_store_connections_platform_shop"),
        sa.UniqueConstraint("merchant_id", "platform",
                            name="uq_store_connections_merchant_platform"),
    )  # fmt: skip
    op.create_table(
        "storefront_refunds",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_storefront_refunds_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"],
                                name=op.f("fk_storefront_refunds_order_id_orders")),
        sa.PrimaryKeyConstraint("merchant_id", "idempotency_key",
                                name=op.f("pk_storefront_refunds")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_storefront_refunds_order_id"), "storefront_refunds", ["order_id"], unique=False
    )
    op.create_table(
        "products",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("gid", sa.String(length=128), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("vendor", sa.String(length=255), nullable=True),
        sa.Column("product_type", sa.String(length=255), nullable=True),
        sa.Column("image_url", sa.String(length=2048), nullable=True),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("collections", JSON, nullable=False),
        sa.Column("source_updated_at", _utc(), nullable=True),
        sa.Column("deleted_at", _utc(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_products_merchant_id_merchants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("merchant_id", "platform", "external_id",
                            name="uq_products_external"),
    )  # fmt: skip
    op.create_index("ix_products_merchant_title", "products", ["merchant_id", "title"])
    op.create_table(
        "product_variants",
        sa.Column("id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("gid", sa.String(length=128), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("price", _decimal(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("image_url", sa.String(length=2048), nullable=True),
        sa.Column("inventory_policy", sa.String(length=16), nullable=True),
        sa.Column("inventory_quantity", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE",
                                name=op.f("fk_product_variants_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_variants")),
        sa.UniqueConstraint("product_id", "external_id", name="uq_product_variants_external"),
    )  # fmt: skip
    op.create_index(
        op.f("ix_product_variants_product_id"), "product_variants", ["product_id"], unique=False
    )
    op.create_index("ix_product_variants_merchant_sku", "product_variants", ["merchant_id", "sku"])


def downgrade() -> None:
    op.drop_table("product_variants")
    op.drop_table("products")
    op.drop_table("storefront_refunds")
    op.drop_table("store_connections")

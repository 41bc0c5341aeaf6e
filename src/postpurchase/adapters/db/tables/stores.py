"""Connected stores (issue 12): connections, refunds asked of a store, the synced catalogue."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from postpurchase.adapters.db.tables._base import Id, Json, metadata
from postpurchase.adapters.db.types import ExactDecimal, UTCDateTime

# One row per merchant per store platform; a shop belongs to one merchant. ``credentials`` is
# one sealed JSON document (Shopify: access_token; WooCommerce: consumer_key and
# consumer_secret); ``backfill`` holds each import's state ({"orders": {...}}) so a stopped
# run resumes from its cursor. An uninstalled connection is kept (history), credentials gone.
store_connections = Table(
    "store_connections",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("shop", String(255), nullable=False),
    Column("scopes", Json, nullable=False),
    Column("status", String(16), nullable=False),
    Column("settings", Json, nullable=False),
    Column("credentials", Text),  # Keyring.seal(json): never a clear token
    Column("backfill", Json, nullable=False),
    Column("installed_at", UTCDateTime, nullable=False),
    Column("uninstalled_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "shop", name="uq_store_connections_platform_shop"),
    UniqueConstraint("merchant_id", "platform", name="uq_store_connections_merchant_platform"),
)

# Refunds we asked a store to make, by idempotency key: written 'pending' before the call,
# settled after it, so a retried refund is answered from here instead of paying twice.
storefront_refunds = Table(
    "storefront_refunds",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("idempotency_key", String(128), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False, index=True),
    Column("fingerprint", String(32), nullable=False),  # the request; a reused key must match
    Column("status", String(16), nullable=False),  # pending | succeeded | failed
    Column("attempts", Integer, nullable=False),
    Column("result", Json),  # the store's refund: id, amounts, lines
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# The store's catalogue as last synced (backfill and products/* webhooks): the console's
# recommendations and the returns flow's exchanges read it. Deleted products are flagged.
products = Table(
    "products",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),  # the store's numeric id
    Column("gid", String(128)),  # Shopify's GraphQL id
    Column("title", String(500), nullable=False),
    Column("handle", String(255)),
    Column("status", String(32)),
    Column("vendor", String(255)),
    Column("product_type", String(255)),
    Column("image_url", String(2048)),
    Column("tags", Json, nullable=False),
    Column("collections", Json, nullable=False),  # collection handles
    Column("source_updated_at", UTCDateTime),
    Column("deleted_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "platform", "external_id", name="uq_products_external"),
    Index("ix_products_merchant_title", "merchant_id", "title"),
)

product_variants = Table(
    "product_variants",
    metadata,
    Column("id", Id, primary_key=True),
    Column(
        "product_id", Id, ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("merchant_id", Id, nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("gid", String(128)),
    Column("position", Integer, nullable=False),
    Column("title", String(500), nullable=False),
    Column("sku", String(255)),
    Column("price", ExactDecimal),
    Column("currency", String(3)),
    Column("image_url", String(2048)),
    Column("inventory_policy", String(16)),  # deny | continue
    Column("inventory_quantity", Integer),  # when the store granted inventory access
    UniqueConstraint("product_id", "external_id", name="uq_product_variants_external"),
    Index("ix_product_variants_merchant_sku", "merchant_id", "sku"),
)

"""Customers, orders with their lines, and the refunds recorded against them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
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

customers = Table(
    "customers",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("email", String(320)),
    Column("phone", String(40)),
    Column("name", String(200)),
    Column("locale", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_customers_merchant_email", "merchant_id", "email"),
    Index("ix_customers_merchant_phone", "merchant_id", "phone"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("number", String(64), nullable=False),
    Column("customer_id", Id, ForeignKey("customers.id")),
    Column("email", String(320)),
    Column("phone", String(40)),
    Column("locale", String(16), nullable=False),
    Column("timezone", String(64)),
    Column("currency", String(3), nullable=False),
    Column("shipping_address", Json, nullable=False),
    Column("shipping_fee", ExactDecimal, nullable=False),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("promise_earliest", Date),
    Column("promise_latest", Date),
    Column("source", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("tracking_token", String(64), nullable=False, unique=True),
    Column("cancelled_at", UTCDateTime),
    Column("cancel_reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The money as the store computed it (NULL on rows from before 0006: derived on read).
    Column("subtotal", ExactDecimal),
    Column("discounts_total", ExactDecimal),
    Column("tax_total", ExactDecimal),
    Column("total", ExactDecimal),
    Column("total_paid", ExactDecimal),
    Column("taxes_included", Boolean),
    Column("details", Json),  # OrderDetails: customer, billing, method, notes, discounts...
    Column("source_updated_at", UTCDateTime),  # the store's updated_at of what we hold
    # Our own promise at purchase (issue 16): set once at intake, never changed afterwards.
    Column("our_promise", Date),
    Column("our_estimate", Json),  # p50, window, layer, model and registry version behind it
    UniqueConstraint("merchant_id", "external_id", name="uq_orders_merchant_external"),
    Index("ix_orders_merchant_placed", "merchant_id", "placed_at", "id"),
    Index("ix_orders_merchant_status", "merchant_id", "status"),
    Index("ix_orders_merchant_customer", "merchant_id", "customer_id"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Id, primary_key=True),
    Column("order_id", Id, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("sku", String(128), nullable=False),
    Column("name", String(300), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", ExactDecimal, nullable=False),
    Column("weight_grams", Integer),
    Column("facts", Json),  # LineFacts: store ids, variant, discount, tax, shipping flags
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False, index=True),
    Column("external_id", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", ExactDecimal, nullable=False),  # money returned to the shopper
    Column("shipping", ExactDecimal, nullable=False),  # of which for shipping
    Column("lines", Json, nullable=False),  # [{line_id, sku, quantity, amount, restock}]
    Column("note", Text),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "order_id", "external_id", name="uq_refunds_order_external"),
)

# The /track lookup finds orders by the number printed on the receipt, across tenants when
# the request names no shop (number first, then merchant: serves both query shapes).
Index("ix_orders_number_merchant", orders.c.number, orders.c.merchant_id)

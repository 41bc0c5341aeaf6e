"""The labels context's table (migration 0019). On the shared metadata so the migrations
test compares it too; every row carries ``merchant_id`` and every query filters on it."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint

from postpurchase.adapters.db.tables import Id, Json, metadata
from postpurchase.adapters.db.types import ExactDecimal, UTCDateTime

# One row per label purchase, written ``pending`` before the carrier is called (the key is
# the caller's idempotency key) and settled after; the document lives in the media store.
shipping_labels = Table(
    "shipping_labels",
    metadata,
    Column("id", Id, primary_key=True),  # also the carrier's idempotency key
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("carrier", String(48), nullable=False),
    Column("service", String(64), nullable=False),
    Column("label_format", String(8), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("tracking_number", String(64)),
    Column("carrier_label_id", String(128)),
    Column("currency", String(3)),
    Column("price", ExactDecimal),
    Column("media_id", Id),
    Column("qr_media_id", Id),
    Column("shipment_id", Id),
    Column("customs", Json),
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "idempotency_key", name="uq_shipping_labels_merchant_key"),
    Index("ix_shipping_labels_merchant_order", "merchant_id", "order_id"),
    Index("ix_shipping_labels_status", "status", "updated_at"),
)

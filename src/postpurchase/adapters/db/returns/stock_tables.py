"""The store-side inventory ledger and the store mappings of returns (migration 0034).

``store_stock_adjustments``: one row per (merchant, return, line, event), written before the
store is called and settled after (ADR 0031). ``store_mappings``: what our codes are called
in a connected store: stock locations (``kind='location'``), reason codes
(``kind='reason'``), and the store's return reason definitions as last read
(``kind='reason_definition'``, code = the definition's id).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from postpurchase.adapters.db.tables import Id, metadata
from postpurchase.adapters.db.types import UTCDateTime

store_stock_adjustments = Table(
    "store_stock_adjustments",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("return_id", Id, ForeignKey("returns.id"), primary_key=True),
    Column("line_id", Id, primary_key=True),
    Column("event", String(32), primary_key=True),
    Column("sku", String(128), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("location", String(64)),
    Column("platform", String(32)),
    Column("status", String(16), nullable=False),  # pending | done | failed | skipped
    Column("owner", String(16), nullable=False),  # adjustment | store_refund
    Column("reason", Text),
    Column("attempts", Integer, nullable=False),
    Column("store_reference", String(255)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("settled_at", UTCDateTime),
    Index("ix_store_stock_adjustments_status", "merchant_id", "status"),
)

store_mappings = Table(
    "store_mappings",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("platform", String(32), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("code", String(255), primary_key=True),
    Column("value", String(255), nullable=False),
    Column("label", String(255)),
    Column("deleted", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

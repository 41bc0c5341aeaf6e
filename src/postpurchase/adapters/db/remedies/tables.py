"""The remedies context's table (migration 0023): the ledger of remedies given, one per order
at most (``uq_remedy_ledger_order``). The merchant's rule is the ``automatic_remedy`` section
of ``merchants.settings`` (migration 0029, ADR 0025)."""

from __future__ import annotations

from sqlalchemy import (
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

from postpurchase.adapters.db.tables import Id, metadata
from postpurchase.adapters.db.types import ExactDecimal, UTCDateTime

remedy_ledger = Table(
    "remedy_ledger",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("shipment_id", Id),  # the delivery that was late
    Column("kind", String(24), nullable=False),  # refund_shipping | store_credit
    Column("currency", String(3), nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("days_late", Integer, nullable=False),
    Column("promised", Date, nullable=False),
    # pending (written before the store is called) | issued (the store refunded) |
    # recorded (no store connected: our ledger is the record) | failed (the store refused)
    Column("status", String(16), nullable=False),
    Column("reference", String(128)),  # the store's refund id, or "ledger:<id>"
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "order_id", name="uq_remedy_ledger_order"),
    Index("ix_remedy_ledger_merchant_created", "merchant_id", "created_at"),
)

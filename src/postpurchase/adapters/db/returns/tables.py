"""The returns context's tables (migration 0015). On the shared metadata so the migrations
test compares them too; every row carries ``merchant_id`` and every query filters on it."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from postpurchase.adapters.db.tables import Id, Json, metadata
from postpurchase.adapters.db.types import BigIntPK, ExactDecimal, UTCDateTime

return_policies = Table(
    "return_policies",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", Json, nullable=False),  # domain.returns.policy_to_dict
    Column("created_at", UTCDateTime, nullable=False),
)

returns = Table(
    "returns",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("number", String(80), nullable=False),
    Column("status", String(32), nullable=False),
    Column("resolution", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("refund", ExactDecimal, nullable=False),  # after fees
    Column("bonus", ExactDecimal, nullable=False),  # extra store credit
    Column("fees", ExactDecimal, nullable=False),  # restocking + return fee
    Column("gift", Boolean, nullable=False),
    Column("customer_email", String(320)),
    Column("gift_email", String(320)),  # a gift return's recipient (migration 0030)
    Column("idempotency_key", String(128)),
    Column("review_reason", String(64)),
    Column("rejection_reason", Text),
    Column("carrier", String(48)),
    Column("tracking_number", String(64)),
    Column("resolution_reference", String(128)),
    Column("policy_version", Integer, nullable=False),
    Column("history", Json, nullable=False),  # [[status, iso time], ...]
    Column("method", String(16)),  # mail | drop_off | in_store | pickup (migration 0020)
    Column("co2e_kg", ExactDecimal),  # the chosen method's estimate
    Column("exchange", Json),  # {lines: [...], charge, order_id} for an exchange
    Column("label_media_id", Id),  # the bought label (media_files)
    Column("qr_media_id", Id),  # its QR code
    Column("label_cost", ExactDecimal),  # what the label cost (migration 0038)
    Column("label_currency", String(3)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "idempotency_key", name="uq_returns_merchant_key"),
    Index("ix_returns_merchant_created", "merchant_id", "created_at", "id"),
    Index("ix_returns_merchant_status", "merchant_id", "status"),
    Index("ix_returns_merchant_order", "merchant_id", "order_id"),
    Index("ix_returns_merchant_email", "merchant_id", "customer_email", "created_at"),
    Index("ix_returns_merchant_tracking", "merchant_id", "tracking_number"),  # migration 0030
)

return_lines = Table(
    "return_lines",
    metadata,
    Column("return_id", Id, ForeignKey("returns.id", ondelete="CASCADE"), primary_key=True),
    Column("order_line_id", Id, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("sku", String(128), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("reason_code", String(64), nullable=False),
    Column("refund", ExactDecimal, nullable=False),
    Column("rule", String(64), nullable=False),
    Column("grade", String(32)),
    Column("disposition", String(32)),
    Column("note", Text),
    Column("photos", Json),  # media ids of the shopper's photos (migration 0020)
    Column("location", String(64)),  # where restocked units went (migration 0030)
)

return_decisions = Table(
    "return_decisions",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("merchant_id", Id, nullable=False),
    Column("return_id", Id, ForeignKey("returns.id", ondelete="CASCADE"), nullable=False),
    Column("line_id", Id),
    Column("actor", String(16), nullable=False),  # "policy" | "merchant"
    Column("rule", String(64), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("status", String(32), nullable=False),  # the return's status after it
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_return_decisions_return", "return_id", "id"),
)

return_ledger = Table(
    "return_ledger",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("return_id", Id, ForeignKey("returns.id"), nullable=False),
    Column("order_id", Id, nullable=False),
    Column("kind", String(16), nullable=False),  # refund | store_credit | fee
    Column("currency", String(3), nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("reference", String(128)),  # a store's refund id, once one is connected
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("return_id", "kind", name="uq_return_ledger_return_kind"),
    Index("ix_return_ledger_merchant_created", "merchant_id", "created_at"),
)

"""The transactional outbox (ADR 0003) and the store-webhook inbox with its receipts
(ADR 0007): rows written in the transaction that caused them, worked off by claims."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from postpurchase.adapters.db.tables._base import Id, Json, metadata
from postpurchase.adapters.db.types import BigIntPK, UTCDateTime

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("merchant_id", Id, nullable=False),
    Column("topic", String(64), nullable=False),
    Column("payload", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("processed_at", UTCDateTime),
    Column("last_error", Text),
    Index("ix_outbox_pending", "processed_at", "next_attempt_at"),
)

webhook_inbox = Table(
    "webhook_inbox",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("merchant_id", Id, nullable=False),
    Column("source", String(32), nullable=False),
    Column("delivery_id", String(128), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),  # the raw bytes, as signed
    Column("received_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime),  # NULL once settled (processed or given up)
    Column("processed_at", UTCDateTime),
    Column("outcome", Json),  # what processing produced, or the last error
    UniqueConstraint("merchant_id", "source", "delivery_id", name="uq_webhook_inbox_delivery"),
    Index("ix_webhook_inbox_due", "next_attempt_at"),
)

webhook_receipts = Table(
    "webhook_receipts",
    metadata,
    Column("merchant_id", Id, primary_key=True),
    Column("source", String(32), primary_key=True),
    Column("delivery_id", String(128), primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
)

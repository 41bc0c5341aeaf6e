"""The audit log of admin actions and the media store (issue 14, ADR 0015)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
)

from postpurchase.adapters.db.tables._base import Id, Json, metadata
from postpurchase.adapters.db.types import BigIntPK, UTCDateTime

# The audit log of admin actions (issue 14): who, when, what, old -> new. Append-only.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("changes", Json, nullable=False),
    Index("ix_audit_log_merchant_id_id", "merchant_id", "id"),
)

# Files (logos, labels, return photos): bytes here, or in POSTPURCHASE_MEDIA_DIR with
# ``data`` left NULL; either way every process on every host reads the same file.
media_files = Table(
    "media_files",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("filename", String(200)),
    Column("data", LargeBinary),
    Column("created_at", UTCDateTime, nullable=False),
)

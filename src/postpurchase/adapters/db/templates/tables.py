"""The message templates context's tables (migration 0016), on the shared metadata.

Versions are never updated or deleted: a change is a new row, a reset a row without
locales. The split of a flow and channel is one row, replaced as a whole.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from postpurchase.adapters.db.tables import Id, Json, metadata
from postpurchase.adapters.db.types import UTCDateTime

message_template_versions = Table(
    "message_template_versions",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("flow", String(48), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("locales", Json, nullable=False),  # {locale: {subject, text, html}}; {} = built-in
    Column("note", String(200)),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

message_template_splits = Table(
    "message_template_splits",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("flow", String(48), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("holdout_percent", Integer, nullable=False),
    Column("variants", Json, nullable=False),  # {"version": weight}
    Column("updated_at", UTCDateTime, nullable=False),
)

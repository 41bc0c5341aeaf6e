"""The console's tables (migration 0017). On the shared metadata so the migrations test
compares them too; every row carries ``merchant_id`` and every query filters on it."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint

from postpurchase.adapters.db.tables import Id, metadata
from postpurchase.adapters.db.types import UTCDateTime

console_users = Table(
    "console_users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("role", String(16), nullable=False),
    Column("name", String(200)),
    Column("password_hash", Text),  # argon2id, with its parameters; NULL until set
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_login_at", UTCDateTime),
    Column("disabled_at", UTCDateTime),  # removed from the team: kept for the audit trail
    UniqueConstraint("merchant_id", "email", name="uq_console_users_merchant_email"),
    Index("ix_console_users_email", "email"),
)

# One-time links (set a password, accept an invitation, reset one): only the SHA-256.
console_tokens = Table(
    "console_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("user_id", Id, ForeignKey("console_users.id"), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Index("ix_console_tokens_user", "merchant_id", "user_id"),
)

# Log-in sessions, server-side so a log-out, a password change or a removal ends them in every
# API process at once. The cookie holds the token; the row its SHA-256.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("user_id", Id, ForeignKey("console_users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_console_sessions_user", "merchant_id", "user_id"),
    Index("ix_console_sessions_expires", "expires_at"),
)

# A person resolved a kind of attention on a shipment (an action, or "mark resolved"). The
# exceptions queue hides it until the shipment has news later than ``resolved_at``.
console_resolutions = Table(
    "console_resolutions",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("shipment_id", Id, ForeignKey("shipments.id"), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("resolved_at", UTCDateTime, nullable=False),
    Column("resolved_by", String(300), nullable=False),  # the audit log's actor string
    Column("action", String(32), nullable=False),  # resolved, messaged, reshipped, refunded
    Column("note", Text),
)

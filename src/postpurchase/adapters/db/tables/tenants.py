"""Merchants and what authenticates them: sealed secrets, API keys, publishable keys."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    String,
    Table,
    Text,
)

from postpurchase.adapters.db.tables._base import Id, Json, metadata
from postpurchase.adapters.db.types import UTCDateTime

merchants = Table(
    "merchants",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("slug", String(64), nullable=False, unique=True),
    Column("timezone", String(64), nullable=False),
    Column("locale", String(16), nullable=False),
    Column("settings", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

merchant_secrets = Table(
    "merchant_secrets",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("sealed", Text, nullable=False),  # Keyring.seal(secret): never the secret itself
    Column("last4", String(4), nullable=False),
    Column("sealed_previous", Text),  # honoured until rotated_at + the grace period
    Column("rotated_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False, index=True),
    Column("label", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

# Publishable keys (issue 16): public, revocable, read checkout estimates only. Hashed.
publishable_keys = Table(
    "publishable_keys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False, index=True),
    Column("hint", String(16), nullable=False),
    Column("label", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

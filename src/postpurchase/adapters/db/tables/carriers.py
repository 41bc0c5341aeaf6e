"""Carrier accounts and tracking by polling (issue 13)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from postpurchase.adapters.db.tables._base import Id, Json, metadata
from postpurchase.adapters.db.types import UTCDateTime

# A merchant's account at a carrier: the connector that reaches it, its mode, plain options
# and credentials sealed by the keyring (one JSON object, sealed whole; ``hints`` keeps the
# last four characters of each for display). ``paused_until`` and ``failures`` make a 429 or
# a 5xx back every worker off the account, not just the one that saw it.
carrier_accounts = Table(
    "carrier_accounts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("carrier", String(48), nullable=False),
    Column("connector", String(16), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("options", Json, nullable=False),
    Column("sealed_credentials", Text, nullable=False),
    Column("hints", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("paused_until", UTCDateTime),
    Column("failures", Integer, nullable=False),
    Column("last_error", Text),
    Column("last_ok_at", UTCDateTime),
    UniqueConstraint("merchant_id", "carrier", name="uq_carrier_accounts_merchant_carrier"),
)

# One row per shipment being polled. ``next_attempt_at`` is when it is due; a poller claims a
# row by moving it a lease ahead (and renews the lease while it works, ``leases.heartbeat``),
# so no two workers poll one shipment at once. ``processed_at`` is set when polling stops
# (delivered, expired, idle), with the reason.
shipment_polls = Table(
    "shipment_polls",
    metadata,
    Column("id", Id, ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("account_id", Id, ForeignKey("carrier_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("next_attempt_at", UTCDateTime),
    Column("processed_at", UTCDateTime),
    Column("stop_reason", String(32)),
    Column("polls", Integer, nullable=False),
    Column("last_polled_at", UTCDateTime),
    Column("last_error", Text),
    Index("ix_shipment_polls_due", "next_attempt_at"),
    Index("ix_shipment_polls_account", "account_id"),
)

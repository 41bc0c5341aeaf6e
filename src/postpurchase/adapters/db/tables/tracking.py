"""Shipments, their scans, the deferred-fold queue (ADR 0005), carrier codes we could not
map, and the shopper's rating given on the tracking page."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from postpurchase.adapters.db.tables._base import Id, Json, metadata
from postpurchase.adapters.db.types import BigIntPK, UTCDateTime

shipments = Table(
    "shipments",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False, index=True),
    Column("tracking_number", String(64), nullable=False),
    Column("carrier", String(48)),
    Column("service", String(48)),
    Column("tracking_valid", Boolean, nullable=False),
    Column("external_id", String(128)),
    Column("origin", Json),
    Column("destination", Json),
    Column("lines", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("substatus", String(48)),
    Column("status_at", UTCDateTime),
    Column("last_event_at", UTCDateTime),
    Column("last_scan_at", UTCDateTime),
    Column("last_rank", Integer),
    Column("last_fingerprint", String(32)),
    Column("handed_over_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Column("carrier_estimate", Date),
    Column("last_location", Json),
    Column("event_count", Integer, nullable=False),
    Column("tracking_url", String(2048)),  # the carrier's or the store's public page
    Column("details", Json),  # store fulfilment facts: name, location, urls, unmatched lines
    Column("return_id", Id),  # a return leg: the parcel of this return (migration 0025)
    Index("ix_shipments_merchant_number", "merchant_id", "tracking_number"),
    Index("ix_shipments_merchant_return", "merchant_id", "return_id"),
    Index("ix_shipments_status_last_scan", "status", "last_scan_at"),
    # The console (migration 0024): the open parcels of a store (the exceptions queue reads
    # nothing else), and counts by status and delivery date (the overview, order filters).
    Index(
        "ix_shipments_open_merchant",
        "merchant_id",
        "created_at",
        postgresql_where=text("status <> 'delivered'"),
        sqlite_where=text("status <> 'delivered'"),
    ),
    Index("ix_shipments_merchant_status", "merchant_id", "status", "delivered_at"),
)

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("merchant_id", Id, nullable=False),
    Column("shipment_id", Id, ForeignKey("shipments.id"), nullable=False),
    Column("fingerprint", String(32), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("substatus", String(48)),
    Column("carrier_code", String(64)),
    Column("description", Text),
    Column("city", String(120)),
    Column("region", String(120)),
    Column("postal_code", String(20)),
    Column("country", String(2)),
    Column("source", String(32), nullable=False),
    Column("source_event_id", String(128)),
    Column("recognised", Boolean, nullable=False),
    Column("correction", Boolean, nullable=False),
    Column("estimated_delivery", Date),
    Column("received_at", UTCDateTime, nullable=False),
    Column("signed_by", String(200)),  # who signed for the parcel, when the carrier says
    # Deferred scans (ADR 0005) only: the folder takes them in (fold_seq, id) order past
    # tracking_fold_mark (ADR 0036). 0 for now; null for scans folded inline.
    Column("fold_seq", BigInteger),
    UniqueConstraint("shipment_id", "fingerprint", name="uq_tracking_events_shipment_fp"),
    Index(
        "ix_tracking_events_fold",
        "fold_seq",
        "id",
        postgresql_where=text("fold_seq IS NOT NULL"),
        sqlite_where=text("fold_seq IS NOT NULL"),
    ),
)

# How far the folder has come (ADR 0036): every deferred scan at or before (seq, event_id),
# in (fold_seq, id) order, is folded. One row; moved in the transaction that folds.
tracking_fold_mark = Table(
    "tracking_fold_mark",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("event_id", BigInteger, nullable=False),
)

unrecognised_codes = Table(
    "unrecognised_codes",
    metadata,
    Column("merchant_id", Id, primary_key=True),
    Column("source", String(32), primary_key=True),
    Column("carrier", String(48), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
)

# The shopper's one-tap delivery rating on the tracking page: one per order, re-tapping
# replaces it. The survey work can widen this; KPIs read it by merchant and time.
tracking_ratings = Table(
    "tracking_ratings",
    metadata,
    Column("order_id", Id, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("score", Integer, nullable=False),
    Column("locale", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("comment", Text),  # the survey's free text (issue 14), optional
    Column("source", String(16)),  # page | email: where the answer was given
    Index("ix_tracking_ratings_merchant_created", "merchant_id", "created_at"),
)

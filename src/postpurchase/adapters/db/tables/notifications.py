"""Notification messages, opt-outs, outbound webhook endpoints and their deliveries, ops
alerts."""

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
from sqlalchemy.sql import false

from postpurchase.adapters.db.tables._base import Id, Json, metadata
from postpurchase.adapters.db.types import BigIntPK, UTCDateTime

# A message is a row before it is anything else: queued, sent, failed or suppressed, always
# with the reason, so a merchant can see why a shopper did or did not hear from them.

notification_messages = Table(
    "notification_messages",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("dedupe_key", String(200), nullable=False),
    Column("flow", String(48), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("locale", String(16), nullable=False),
    Column("subject_id", Id, nullable=False),
    Column("order_id", Id),
    Column("shipment_id", Id),
    Column("customer_id", Id),
    Column("recipient", String(320)),
    Column("event_topic", String(64), nullable=False),
    Column("event_id", BigIntPK),  # the outbox row id (BIGINT; INTEGER on SQLite)
    Column("event_at", UTCDateTime),
    Column("urgent", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("send_after", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime),
    Column("attempts", Integer, nullable=False),
    # attempts whose outcome is unknown: claimed for sending, never recorded (the sender
    # died or lost its claim); each was followed by a re-send with the same Message-ID
    Column("unknown_outcomes", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("sent_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("provider_id", String(128)),
    Column("unsubscribe_token", String(64)),
    Column("subject", Text),
    Column("body_text", Text),
    Column("body_html", Text),
    # the template version it was rendered from (0: built-in), and whether the order was in
    # the flow's holdout (no message sent): what the KPIs compare versions by (migration 0016)
    Column("template_version", Integer),
    Column("held_out", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("merchant_id", "dedupe_key", name="uq_notification_messages_dedupe"),
    UniqueConstraint("unsubscribe_token", name="uq_notification_messages_unsubscribe_token"),
    Index("ix_notification_messages_subject", "merchant_id", "subject_id", "channel"),
    Index("ix_notification_messages_order", "merchant_id", "order_id", "created_at"),
    Index("ix_notification_messages_customer", "merchant_id", "customer_id", "created_at"),
    Index("ix_notification_messages_status", "status", "sent_at"),
)

notification_optouts = Table(
    "notification_optouts",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("address", String(320), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    Column("secret", Text, nullable=False),  # sealed by the keyring: "fernet:<token>"
    Column("topics", Json, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("description", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime),  # soft delete: its deliveries stay listable
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("endpoint_id", Id, ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("dedupe_key", String(200), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("unknown_outcomes", Integer, nullable=False, server_default="0"),  # as above
    Column("next_attempt_at", UTCDateTime),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("replay_of", Id),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    UniqueConstraint("merchant_id", "dedupe_key", name="uq_webhook_deliveries_dedupe"),
    Index("ix_webhook_deliveries_endpoint", "merchant_id", "endpoint_id", "created_at"),
)

ops_alerts = Table(
    "ops_alerts",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("dedupe_key", String(200), nullable=False),
    Column("kind", String(48), nullable=False),
    Column("order_id", Id),
    Column("shipment_id", Id),
    Column("summary", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("digest_sent_at", UTCDateTime),
    UniqueConstraint("merchant_id", "dedupe_key", name="uq_ops_alerts_dedupe"),
    Index("ix_ops_alerts_pending", "merchant_id", "digest_sent_at"),
)

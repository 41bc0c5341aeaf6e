"""The schema. Every tenant-owned row carries ``merchant_id``; every query filters on it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import false

from postpurchase.adapters.db.types import BigIntPK, ExactDecimal, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = JSON().with_variant(JSONB(), "postgresql")
Id = String(32)

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

customers = Table(
    "customers",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("email", String(320)),
    Column("phone", String(40)),
    Column("name", String(200)),
    Column("locale", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_customers_merchant_email", "merchant_id", "email"),
    Index("ix_customers_merchant_phone", "merchant_id", "phone"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("number", String(64), nullable=False),
    Column("customer_id", Id, ForeignKey("customers.id")),
    Column("email", String(320)),
    Column("phone", String(40)),
    Column("locale", String(16), nullable=False),
    Column("timezone", String(64)),
    Column("currency", String(3), nullable=False),
    Column("shipping_address", Json, nullable=False),
    Column("shipping_fee", ExactDecimal, nullable=False),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("promise_earliest", Date),
    Column("promise_latest", Date),
    Column("source", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("tracking_token", String(64), nullable=False, unique=True),
    Column("cancelled_at", UTCDateTime),
    Column("cancel_reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The money as the store computed it (NULL on rows from before 0006: derived on read).
    Column("subtotal", ExactDecimal),
    Column("discounts_total", ExactDecimal),
    Column("tax_total", ExactDecimal),
    Column("total", ExactDecimal),
    Column("total_paid", ExactDecimal),
    Column("taxes_included", Boolean),
    Column("details", Json),  # OrderDetails: customer, billing, method, notes, discounts...
    Column("source_updated_at", UTCDateTime),  # the store's updated_at of what we hold
    # Our own promise at purchase (issue 16): set once at intake, never changed afterwards.
    Column("our_promise", Date),
    Column("our_estimate", Json),  # p50, window, layer, model and registry version behind it
    UniqueConstraint("merchant_id", "external_id", name="uq_orders_merchant_external"),
    Index("ix_orders_merchant_placed", "merchant_id", "placed_at", "id"),
    Index("ix_orders_merchant_status", "merchant_id", "status"),
    Index("ix_orders_merchant_customer", "merchant_id", "customer_id"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Id, primary_key=True),
    Column("order_id", Id, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("sku", String(128), nullable=False),
    Column("name", String(300), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", ExactDecimal, nullable=False),
    Column("weight_grams", Integer),
    Column("facts", Json),  # LineFacts: store ids, variant, discount, tax, shipping flags
)

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
    Index("ix_shipments_merchant_number", "merchant_id", "tracking_number"),
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
    UniqueConstraint("shipment_id", "fingerprint", name="uq_tracking_events_shipment_fp"),
)

# Scans accepted in deferred mode (ADR 0005), not yet folded into their shipments. A queue:
# the folder deletes what it folds. No foreign keys, so an insert costs one index entry.
tracking_pending = Table(
    "tracking_pending",
    metadata,
    Column("event_id", BigIntPK, primary_key=True, autoincrement=False),
    Column("merchant_id", Id, nullable=False),
    Column("shipment_id", Id, nullable=False),
)

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

refunds = Table(
    "refunds",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False, index=True),
    Column("external_id", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", ExactDecimal, nullable=False),  # money returned to the shopper
    Column("shipping", ExactDecimal, nullable=False),  # of which for shipping
    Column("lines", Json, nullable=False),  # [{line_id, sku, quantity, amount, restock}]
    Column("note", Text),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "order_id", "external_id", name="uq_refunds_order_external"),
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

# --------------------------------------------------------------------------- notifications
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

# ---- tracking page (issue 4) -----------------------------------------------------------------

# The /track lookup finds orders by the number printed on the receipt, across tenants when
# the request names no shop (number first, then merchant: serves both query shapes).
Index("ix_orders_number_merchant", orders.c.number, orders.c.merchant_id)

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

# ---- connected stores (issue 12) -------------------------------------------------------------

# One row per merchant per store platform; a shop belongs to one merchant. ``credentials`` is
# one sealed JSON document (Shopify: access_token; WooCommerce: consumer_key and
# consumer_secret); ``backfill`` holds each import's state ({"orders": {...}}) so a stopped
# run resumes from its cursor. An uninstalled connection is kept (history), credentials gone.
store_connections = Table(
    "store_connections",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("shop", String(255), nullable=False),
    Column("scopes", Json, nullable=False),
    Column("status", String(16), nullable=False),
    Column("settings", Json, nullable=False),
    Column("credentials", Text),  # Keyring.seal(json): never a clear token
    Column("backfill", Json, nullable=False),
    Column("installed_at", UTCDateTime, nullable=False),
    Column("uninstalled_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "shop", name="uq_store_connections_platform_shop"),
    UniqueConstraint("merchant_id", "platform", name="uq_store_connections_merchant_platform"),
)

# Refunds we asked a store to make, by idempotency key: written 'pending' before the call,
# settled after it, so a retried refund is answered from here instead of paying twice.
storefront_refunds = Table(
    "storefront_refunds",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("idempotency_key", String(128), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False, index=True),
    Column("fingerprint", String(32), nullable=False),  # the request; a reused key must match
    Column("status", String(16), nullable=False),  # pending | succeeded | failed
    Column("attempts", Integer, nullable=False),
    Column("result", Json),  # the store's refund: id, amounts, lines
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# The store's catalogue as last synced (backfill and products/* webhooks): the console's
# recommendations and the returns flow's exchanges read it. Deleted products are flagged.
products = Table(
    "products",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),  # the store's numeric id
    Column("gid", String(128)),  # Shopify's GraphQL id
    Column("title", String(500), nullable=False),
    Column("handle", String(255)),
    Column("status", String(32)),
    Column("vendor", String(255)),
    Column("product_type", String(255)),
    Column("image_url", String(2048)),
    Column("tags", Json, nullable=False),
    Column("collections", Json, nullable=False),  # collection handles
    Column("source_updated_at", UTCDateTime),
    Column("deleted_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "platform", "external_id", name="uq_products_external"),
    Index("ix_products_merchant_title", "merchant_id", "title"),
)

product_variants = Table(
    "product_variants",
    metadata,
    Column("id", Id, primary_key=True),
    Column(
        "product_id", Id, ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("merchant_id", Id, nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("gid", String(128)),
    Column("position", Integer, nullable=False),
    Column("title", String(500), nullable=False),
    Column("sku", String(255)),
    Column("price", ExactDecimal),
    Column("currency", String(3)),
    Column("image_url", String(2048)),
    Column("inventory_policy", String(16)),  # deny | continue
    Column("inventory_quantity", Integer),  # when the store granted inventory access
    UniqueConstraint("product_id", "external_id", name="uq_product_variants_external"),
    Index("ix_product_variants_merchant_sku", "merchant_id", "sku"),
)

# ---- shared across processes (issue 17: scale out) --------------------------------------------

# Token buckets every API process spends from (when no Redis is configured): one row per
# hashed key; ``full_at`` is when the bucket is full again, after which the row means nothing
# and is pruned.
rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("stamp", Float, nullable=False),  # seconds since the epoch of the last spend
    Column("full_at", Float, nullable=False),
    Index("ix_rate_buckets_full_at", "full_at"),
)

# One row per periodic job: the last scheduled tick claimed and who holds it until when, so
# a job scheduled by every worker process runs once per tick across the cluster.
periodic_runs = Table(
    "periodic_runs",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("tick", UTCDateTime, nullable=False),
    Column("holder", String(64), nullable=False),
    Column("held_until", UTCDateTime),
    Column("finished_at", UTCDateTime),
)

# ---- carrier accounts and tracking by polling (issue 13) -----------------------------------

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

# ---- delivery-date models (issue 16) ---------------------------------------------------------

# Every trained model of a merchant, artefact bytes included: a model must be visible to every
# API and worker process on every host, and the database is the one thing they all share.
edd_models = Table(
    "edd_models",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("version", Integer, primary_key=True),  # 1, 2, 3... per merchant
    Column("model_version", String(120), nullable=False),  # the artefact's own id
    Column("engine_version", String(32), nullable=False),
    Column("format_version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("trained_from", UTCDateTime),
    Column("trained_until", UTCDateTime),
    Column("shipments", Integer, nullable=False),  # delivered shipments it learned from
    Column("source", String(32), nullable=False),  # database, file, schedule
    Column("features", Json, nullable=False),
    Column("metrics", Json, nullable=False),  # its own back-test
    Column("artefact", LargeBinary, nullable=False),  # the gzip JSON file, byte for byte
    Column("artefact_sha256", String(64), nullable=False),
)

# Which model each merchant's estimates come from (no row: the rules layer). A row of its own
# so activation is one upsert and the tracking page reads it by primary key.
edd_active = Table(
    "edd_active",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("activated_at", UTCDateTime, nullable=False),
)

# Scheduled model work (re-train, re-calibrate, drift check) per merchant: ``due_at`` says
# when it runs next, ``lease_until`` which worker holds it, so it runs once cluster-wide.
edd_jobs = Table(
    "edd_jobs",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("job", String(32), primary_key=True),
    Column("due_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("holder", String(64)),
    Column("last_run_at", UTCDateTime),
    Column("last_result", Json),
)


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


from postpurchase.adapters.db.console import tables as console_tables  # noqa: E402, F401
from postpurchase.adapters.db.kpis import tables as kpi_tables  # noqa: E402, F401
from postpurchase.adapters.db.labels import tables as labels_tables  # noqa: E402, F401
from postpurchase.adapters.db.recommendations import tables as recommendations_tables  # noqa: E402, F401
from postpurchase.adapters.db.remedies import tables as remedies_tables  # noqa: E402, F401
from postpurchase.adapters.db.returns import tables as returns_tables  # noqa: E402, F401
from postpurchase.adapters.db.templates import tables as templates_tables  # noqa: E402, F401

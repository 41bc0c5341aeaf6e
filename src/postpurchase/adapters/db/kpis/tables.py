"""Tables of the KPI and support-contact context (migration 0018). On the shared metadata so
the migrations test compares them too; every row carries ``merchant_id``."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.sql import false

from postpurchase.adapters.db.tables import Id, Json, metadata
from postpurchase.adapters.db.types import BigIntPK, UTCDateTime

# One row per shipment: the per-shipment facts every dashboard aggregates, computed by the
# pure definitions (domain.kpis.delivery) and kept by the worker's ``kpi_facts`` job. A
# narrow table with its own index, so a dashboard reads it, not shipments x orders x events.
kpi_facts = Table(
    "kpi_facts",
    metadata,
    Column("shipment_id", Id, ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("order_id", Id, nullable=False),
    Column("customer_id", Id),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("placed_on", Date, nullable=False),  # in the merchant's zone: the dashboards' axis
    Column("repeat_until", UTCDateTime, nullable=False),  # placed_at + 90 days
    Column("carrier", String(48), nullable=False),  # "unknown" when not known
    Column("service", String(48), nullable=False),
    Column("lane", String(80), nullable=False),  # "US-CA>US-NY"
    Column("status", String(32), nullable=False),
    Column("final", Boolean, nullable=False),  # delivered/expired: not refreshed again
    Column("valid_tracking", Boolean, nullable=False),
    Column("delivered", Boolean, nullable=False),
    Column("exception", Boolean, nullable=False),
    Column("failed_attempt", Boolean, nullable=False),
    Column("promise_judged", Boolean, nullable=False),
    Column("on_time_promise", Boolean, nullable=False),
    Column("carrier_judged", Boolean, nullable=False),
    Column("on_time_carrier", Boolean, nullable=False),
    Column("ours_judged", Boolean, nullable=False),
    Column("on_time_ours", Boolean, nullable=False),
    Column("cohort", String(16)),  # on_time | late | exception (delivered only)
    Column("click_to_door_hours", Float),
    Column("processing_hours", Float),
    Column("pickup_wait_hours", Float),
    Column("transit_hours", Float),
    Column("first_scan_hours", Float),
    Column("days_late", Integer),
    Column("delivered_on", Date),  # in the order's zone
    Column("final_promise", Date),  # the latest date of the last promise shown (drift)
    # against the carrier's first estimate (migration 0028; false on facts made before it)
    Column("carrier_first_judged", Boolean, nullable=False, server_default=false()),
    Column("on_time_carrier_first", Boolean, nullable=False, server_default=false()),
    Column("refreshed_at", UTCDateTime, nullable=False),
    Index("ix_kpi_facts_merchant_placed", "merchant_id", "placed_on"),
    Index("ix_kpi_facts_merchant_customer", "merchant_id", "customer_id", "placed_at"),
    # The worker's "moving parcels due again" (migration 0028): only the few not final.
    Index(
        "ix_kpi_facts_open_refreshed", "refreshed_at",
        postgresql_where=text("NOT final"), sqlite_where=text("NOT final"),
    ),
)  # fmt: skip

# Shipments whose facts are still to be computed: a row written with the shipment, in its
# transaction (SqlShipmentRepository.add), deleted by the worker once the facts are in. What
# makes an idle tick cheap: the worker reads this queue instead of an anti-join of every
# shipment against kpi_facts (migration 0028, ADR 0027).
kpi_pending = Table(
    "kpi_pending",
    metadata,
    Column("shipment_id", Id, primary_key=True),
    Column("merchant_id", Id, nullable=False),
)

# Every promise a shopper was shown, as shown: never updated, never deleted (except with the
# order's erasure). ``surface``: checkout (the store's promise at purchase), order (ours at
# purchase), message, page (the tracking page and its JSON twin).
promise_records = Table(
    "promise_records",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("shipment_id", Id),
    Column("surface", String(16), nullable=False),
    Column("earliest", Date),
    Column("latest", Date, nullable=False),
    Column("source", String(64), nullable=False),
    Column("shown_at", UTCDateTime, nullable=False),
    # One row per order, surface and dates, but the tracking page's: it records each change
    # of what it shows, a return to an earlier date included (migration 0028).
    Index(
        "uq_promise_records_shown", "merchant_id", "order_id", "surface", "earliest", "latest",
        unique=True, postgresql_where=text("surface <> 'page'"),
        sqlite_where=text("surface <> 'page'"),
    ),
    Index("ix_promise_records_merchant_shown", "merchant_id", "shown_at"),
    Index("ix_promise_records_order_shown", "order_id", "shown_at"),
)  # fmt: skip

# Support contacts from the API or a helpdesk webhook; the shipment's state when the shopper
# asked is kept with it (the preventable-contact KPI is about that moment, not today).
support_contacts = Table(
    "support_contacts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("source", String(32), nullable=False),  # api | zendesk | gorgias | helpdesk
    Column("ticket_id", String(128), nullable=False),
    Column("customer_email", String(320)),
    Column("subject", Text),
    Column("tags", Json, nullable=False),
    Column("intent", String(64)),
    Column("channel", String(32)),
    Column("order_status_contact", Boolean, nullable=False),
    Column("recognised_by", String(16)),  # intent | tag | subject | body | None
    Column("order_id", Id),
    Column("shipment_id", Id),
    Column("carrier", String(48)),
    Column("state_when_made", String(32)),  # pending | on_time | late | exception | delivered
    Column("preventable", String(16)),  # messaging_gap | after_exception | None
    Column("last_flow", String(48)),  # the last message flow sent before the contact
    Column("contacted_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "source", "ticket_id", name="uq_support_contacts_ticket"),
    Index("ix_support_contacts_merchant_at", "merchant_id", "contacted_at"),
    Index("ix_support_contacts_order", "order_id"),  # the message sums' join (0033)
)

# Rollups the job keeps beside the facts, rebuilt for every day a refresh touched, so a
# dashboard over a year of a big merchant adds up thousands of rows, not a million.
# Per day of purchase, carrier, service and lane: the sums of ``DeliveryCounts``.
kpi_daily = Table(
    "kpi_daily",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("placed_on", Date, primary_key=True),
    Column("carrier", String(48), primary_key=True),
    Column("service", String(48), primary_key=True),
    Column("lane", String(80), primary_key=True),
    *(
        Column(name, Integer, nullable=False)
        for name in (
            "shipments",
            "valid_tracking",
            "delivered",
            "exceptions",
            "failed_attempts",
            "promise_judged",
            "on_time_promise",
            "carrier_judged",
            "on_time_carrier",
            "ours_judged",
            "on_time_ours",
            "first_scanned",
        )
    ),
    Column("first_scan_hours", Float, nullable=False),
    Column("processing_n", Integer, nullable=False),
    Column("processing_hours", Float, nullable=False),
    Column("pickup_n", Integer, nullable=False),
    Column("pickup_hours", Float, nullable=False),
    Column("transit_n", Integer, nullable=False),
    Column("transit_hours", Float, nullable=False),
    # migration 0028: parcels tracked (not pending or expired), and the original estimate
    *(
        Column(name, Integer, nullable=False, server_default="0")
        for name in ("tracked", "carrier_first_judged", "on_time_carrier_first")
    ),
)

# Per day of purchase and carrier: how many parcels took how long (6-hour buckets) for
# click-to-door, transit and time to first scan; percentiles come from these.
kpi_daily_hist = Table(
    "kpi_daily_hist",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("placed_on", Date, primary_key=True),
    Column("carrier", String(48), primary_key=True),
    Column("metric", String(16), primary_key=True),
    Column("bucket", Integer, primary_key=True, autoincrement=False),
    Column("n", Integer, nullable=False),
)

# Per customer: their first delivered parcel's cohort, and (once its 90 days are over)
# whether they bought again; the repeat-purchase page counts these rows.
kpi_customers = Table(
    "kpi_customers",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("customer_id", Id, primary_key=True),
    Column("order_id", Id, nullable=False),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("placed_on", Date, nullable=False),
    Column("repeat_until", UTCDateTime, nullable=False),
    Column("cohort", String(16)),
    Column("repeated", Boolean),  # None until the window is over
    Index("ix_kpi_customers_merchant_placed", "merchant_id", "placed_on"),
    Index("ix_kpi_customers_order", "order_id"),  # the message sums' join (0033)
    # The windows still open, by their end: what settling them reads each tick (0028).
    Index(
        "ix_kpi_customers_unsettled", "repeat_until",
        postgresql_where=text("repeated IS NULL"), sqlite_where=text("repeated IS NULL"),
    ),
)  # fmt: skip

# Per day of purchase, surface, carrier and lane: the promises shown and how they fared.
kpi_promise_daily = Table(
    "kpi_promise_daily",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("placed_on", Date, primary_key=True),
    Column("surface", String(16), primary_key=True),
    Column("carrier", String(48), primary_key=True),
    Column("lane", String(80), primary_key=True),
    *(
        Column(name, Integer, nullable=False)
        for name in (
            "shown",
            "delivered",
            "within",
            "early",
            "late",
            "bias_sum",
            "drift_n",
            "drift_sum",
            "moved",
        )
    ),
)

# Per day of purchase and message version: the sums of ``domain.kpis.VersionSums`` for the
# orders placed that day, kept by the worker (adapters.db.kpis.message_rollup, ADR 0030).
# ``template_version`` -1: none (the hold-out); a key column cannot be null.
kpi_message_daily = Table(
    "kpi_message_daily",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("placed_on", Date, primary_key=True),
    Column("flow", String(48), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("template_version", Integer, primary_key=True, autoincrement=False),
    Column("held_out", Boolean, primary_key=True),
    *(
        Column(name, Integer, nullable=False)
        for name in (
            "orders",
            "status_contacts",
            "contacted_orders",
            "rated_orders",
            "happy_orders",
            "score_sum",
            "repeat_eligible",
            "repeaters",
            "clicked_orders",
        )
    ),
)

# The days whose sums are in ``kpi_message_daily`` and when they were made; a day not here
# is summed from the messages when a report asks.
kpi_message_days = Table(
    "kpi_message_days",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("placed_on", Date, primary_key=True),
    Column("refreshed_at", UTCDateTime, nullable=False),
)

"""The recommendations context's table (migration 0023): the clicks on recommended products.
Every row carries ``merchant_id``; every query filters on it. The merchant's rules are the
``recommendations`` section of ``merchants.settings`` (migration 0029, ADR 0025)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table

from postpurchase.adapters.db.tables import Id, metadata
from postpurchase.adapters.db.types import UTCDateTime

# One row per followed link; the orders they led to are worked out when counted
# (domain.recommendations.attribute), so a changed attribution window applies to the past.
recommendation_clicks = Table(
    "recommendation_clicks",
    metadata,
    Column("id", Id, primary_key=True),
    Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False),
    Column("order_id", Id, nullable=False),  # the order whose page or message showed it
    Column("product_id", String(64), nullable=False),  # the store's product id
    Column("placement", String(8), nullable=False),  # page | email
    Column("email", String(320)),  # the order's customer, lower case (for attribution)
    Column("clicked_at", UTCDateTime, nullable=False),
    Index("ix_recommendation_clicks_merchant_at", "merchant_id", "clicked_at"),
    Index("ix_recommendation_clicks_merchant_email", "merchant_id", "email"),
    Index("ix_recommendation_clicks_order", "order_id"),  # the message sums' join (0033)
)

"""message-versions rollup: the report's sums per day of purchase, kept by the worker

The message-versions report (``/api/v1/kpis/messages``) summed every message of the range's
orders with their contacts, survey answers, repeat windows and clicks on every view: 13 s
for a year of a store with 1,000,000 orders. ``kpi_message_daily`` keeps those sums per
merchant, day of purchase, flow, channel, template version (-1: none, the hold-out) and
hold-out; ``kpi_message_days`` the days summed and when. A day not summed yet is summed from
the messages when a report asks, so an upgraded database shows the same figures before the
worker has filled the table (ADR 0030).

Revision ID: 0033
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postpurchase.adapters.db.types

revision: str = "0033"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = ("orders", "status_contacts", "contacted_orders", "rated_orders", "happy_orders",
        "score_sum", "repeat_eligible", "repeaters", "clicked_orders")  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "kpi_message_daily",
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("flow", sa.String(length=48), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("template_version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("held_out", sa.Boolean(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in SUMS),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint(
            "merchant_id", "placed_on", "flow", "channel", "template_version", "held_out"
        ),
    )
    op.create_table(
        "kpi_message_days",
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("refreshed_at", postpurchase.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("merchant_id", "placed_on"),
    )

    # A day's sums join the day's orders to their contacts, repeat windows and clicks: by
    # order, not by hashing each table whole (what made a day cost ~0.56 s at 250,000).
    op.create_index("ix_support_contacts_order", "support_contacts", ["order_id"])
    op.create_index("ix_kpi_customers_order", "kpi_customers", ["order_id"])
    op.create_index("ix_recommendation_clicks_order", "recommendation_clicks", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_recommendation_clicks_order", table_name="recommendation_clicks")
    op.drop_index("ix_kpi_customers_order", table_name="kpi_customers")
    op.drop_index("ix_support_contacts_order", table_name="support_contacts")
    op.drop_table("kpi_message_days")
    op.drop_table("kpi_message_daily")

"""kpis: per-shipment KPI facts, shown promises, support contacts, survey comments

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import postpurchase.adapters.db.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = postpurchase.adapters.db.types.UTCDateTime
BIGPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


SUMS = (
    "shipments", "valid_tracking", "delivered", "exceptions", "failed_attempts",
    "promise_judged", "on_time_promise", "carrier_judged", "on_time_carrier", "ours_judged",
    "on_time_ours", "first_scanned",
)  # fmt: skip


def _rollups() -> None:
    op.create_table(
        "kpi_daily",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("carrier", sa.String(length=48), nullable=False),
        sa.Column("service", sa.String(length=48), nullable=False),
        sa.Column("lane", sa.String(length=80), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in SUMS),
        sa.Column("first_scan_hours", sa.Float(), nullable=False),
        sa.Column("processing_n", sa.Integer(), nullable=False),
        sa.Column("processing_hours", sa.Float(), nullable=False),
        sa.Column("pickup_n", sa.Integer(), nullable=False),
        sa.Column("pickup_hours", sa.Float(), nullable=False),
        sa.Column("transit_n", sa.Integer(), nullable=False),
        sa.Column("transit_hours", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_kpi_daily_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id", "placed_on", "carrier", "service", "lane", name=op.f("pk_kpi_daily")
        ),
    )
    op.create_table(
        "kpi_daily_hist",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("carrier", sa.String(length=48), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_kpi_daily_hist_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id",
            "placed_on",
            "carrier",
            "metric",
            "bucket",
            name=op.f("pk_kpi_daily_hist"),
        ),
    )
    op.create_table(
        "kpi_customers",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("placed_at", UTC(), nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("repeat_until", UTC(), nullable=False),
        sa.Column("cohort", sa.String(length=16), nullable=True),
        sa.Column("repeated", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_kpi_customers_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("merchant_id", "customer_id", name=op.f("pk_kpi_customers")),
    )
    op.create_table(
        "kpi_promise_daily",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=48), nullable=False),
        sa.Column("lane", sa.String(length=80), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
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
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_kpi_promise_daily_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id",
            "placed_on",
            "surface",
            "carrier",
            "lane",
            name=op.f("pk_kpi_promise_daily"),
        ),
    )
    with op.batch_alter_table("kpi_customers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kpi_customers_merchant_placed", ["merchant_id", "placed_on"], unique=False
        )


def upgrade() -> None:
    _rollups()
    op.create_table(
        "kpi_facts",
        sa.Column("shipment_id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("placed_at", UTC(), nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("repeat_until", UTC(), nullable=False),
        sa.Column("carrier", sa.String(length=48), nullable=False),
        sa.Column("service", sa.String(length=48), nullable=False),
        sa.Column("lane", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("valid_tracking", sa.Boolean(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("exception", sa.Boolean(), nullable=False),
        sa.Column("failed_attempt", sa.Boolean(), nullable=False),
        sa.Column("promise_judged", sa.Boolean(), nullable=False),
        sa.Column("on_time_promise", sa.Boolean(), nullable=False),
        sa.Column("carrier_judged", sa.Boolean(), nullable=False),
        sa.Column("on_time_carrier", sa.Boolean(), nullable=False),
        sa.Column("ours_judged", sa.Boolean(), nullable=False),
        sa.Column("on_time_ours", sa.Boolean(), nullable=False),
        sa.Column("cohort", sa.String(length=16), nullable=True),
        sa.Column("click_to_door_hours", sa.Float(), nullable=True),
        sa.Column("processing_hours", sa.Float(), nullable=True),
        sa.Column("pickup_wait_hours", sa.Float(), nullable=True),
        sa.Column("transit_hours", sa.Float(), nullable=True),
        sa.Column("first_scan_hours", sa.Float(), nullable=True),
        sa.Column("days_late", sa.Integer(), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("final_promise", sa.Date(), nullable=True),
        sa.Column("refreshed_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_kpi_facts_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_kpi_facts_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shipment_id", name=op.f("pk_kpi_facts")),
    )
    with op.batch_alter_table("kpi_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kpi_facts_merchant_placed", ["merchant_id", "placed_on"], unique=False
        )
        batch_op.create_index(
            "ix_kpi_facts_merchant_customer",
            ["merchant_id", "customer_id", "placed_at"],
            unique=False,
        )
    op.create_table(
        "promise_records",
        sa.Column("id", BIGPK, autoincrement=True, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("shipment_id", ID, nullable=True),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("earliest", sa.Date(), nullable=True),
        sa.Column("latest", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("shown_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_promise_records_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_promise_records_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promise_records")),
        sa.UniqueConstraint(
            "merchant_id",
            "order_id",
            "surface",
            "earliest",
            "latest",
            name="uq_promise_records_shown",
        ),
    )
    with op.batch_alter_table("promise_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_promise_records_merchant_shown", ["merchant_id", "shown_at"], unique=False
        )
    op.create_table(
        "support_contacts",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=128), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("order_status_contact", sa.Boolean(), nullable=False),
        sa.Column("recognised_by", sa.String(length=16), nullable=True),
        sa.Column("order_id", ID, nullable=True),
        sa.Column("shipment_id", ID, nullable=True),
        sa.Column("carrier", sa.String(length=48), nullable=True),
        sa.Column("state_when_made", sa.String(length=32), nullable=True),
        sa.Column("preventable", sa.String(length=16), nullable=True),
        sa.Column("last_flow", sa.String(length=48), nullable=True),
        sa.Column("contacted_at", UTC(), nullable=False),
        sa.Column("recorded_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_support_contacts_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_contacts")),
        sa.UniqueConstraint(
            "merchant_id", "source", "ticket_id", name="uq_support_contacts_ticket"
        ),
    )
    with op.batch_alter_table("support_contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_contacts_merchant_at", ["merchant_id", "contacted_at"], unique=False
        )
    with op.batch_alter_table("tracking_ratings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kpi_customers", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_customers_merchant_placed")
    op.drop_table("kpi_customers")
    op.drop_table("kpi_promise_daily")
    op.drop_table("kpi_daily_hist")
    op.drop_table("kpi_daily")
    with op.batch_alter_table("tracking_ratings", schema=None) as batch_op:
        batch_op.drop_column("source")
        batch_op.drop_column("comment")
    with op.batch_alter_table("support_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_support_contacts_merchant_at")
    op.drop_table("support_contacts")
    with op.batch_alter_table("promise_records", schema=None) as batch_op:
        batch_op.drop_index("ix_promise_records_merchant_shown")
    op.drop_table("promise_records")
    with op.batch_alter_table("kpi_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_facts_merchant_customer")
        batch_op.drop_index("ix_kpi_facts_merchant_placed")
    op.drop_table("kpi_facts")

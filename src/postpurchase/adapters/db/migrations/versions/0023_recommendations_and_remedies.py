"""recommendations (rules, clicks) and remedies (rule, ledger: one remedy per order)

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import postpurchase.adapters.db.types

revision: str = "0023"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = postpurchase.adapters.db.types.UTCDateTime
DEC = postpurchase.adapters.db.types.ExactDecimal


def _settings(name: str) -> None:
    op.create_table(
        name,
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f(f"fk_{name}_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("merchant_id", name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    _settings("recommendation_settings")
    op.create_table(
        "recommendation_clicks",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("placement", sa.String(length=8), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("clicked_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_recommendation_clicks_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_clicks")),
    )
    op.create_index(
        "ix_recommendation_clicks_merchant_at",
        "recommendation_clicks",
        ["merchant_id", "clicked_at"],
    )
    op.create_index(
        "ix_recommendation_clicks_merchant_email", "recommendation_clicks", ["merchant_id", "email"]
    )
    _settings("remedy_settings")
    op.create_table(
        "remedy_ledger",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("shipment_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", DEC(length=40), nullable=False),
        sa.Column("days_late", sa.Integer(), nullable=False),
        sa.Column("promised", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_remedy_ledger_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_remedy_ledger_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remedy_ledger")),
        sa.UniqueConstraint("merchant_id", "order_id", name="uq_remedy_ledger_order"),
    )
    op.create_index(
        "ix_remedy_ledger_merchant_created", "remedy_ledger", ["merchant_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_remedy_ledger_merchant_created", table_name="remedy_ledger")
    op.drop_table("remedy_ledger")
    op.drop_table("remedy_settings")
    op.drop_index("ix_recommendation_clicks_merchant_email", table_name="recommendation_clicks")
    op.drop_index("ix_recommendation_clicks_merchant_at", table_name="recommendation_clicks")
    op.drop_table("recommendation_clicks")
    op.drop_table("recommendation_settings")

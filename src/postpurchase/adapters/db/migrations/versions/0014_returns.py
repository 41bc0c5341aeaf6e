"""returns: policies (versioned), returns, their lines and decisions, the money ledger

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import postpurchase.adapters.db.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = postpurchase.adapters.db.types.UTCDateTime
DEC = postpurchase.adapters.db.types.ExactDecimal
BIGPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "return_policies",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_return_policies_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("merchant_id", "version", name=op.f("pk_return_policies")),
    )
    op.create_table(
        "returns",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("resolution", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("refund", DEC(length=40), nullable=False),
        sa.Column("bonus", DEC(length=40), nullable=False),
        sa.Column("fees", DEC(length=40), nullable=False),
        sa.Column("gift", sa.Boolean(), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("review_reason", sa.String(length=64), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("carrier", sa.String(length=48), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("resolution_reference", sa.String(length=128), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("history", JSON, nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_returns_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("merchant_id", "idempotency_key", name="uq_returns_merchant_key"),
    )
    op.create_index("ix_returns_merchant_created", "returns", ["merchant_id", "created_at", "id"])
    op.create_index("ix_returns_merchant_status", "returns", ["merchant_id", "status"])
    op.create_index("ix_returns_merchant_order", "returns", ["merchant_id", "order_id"])
    op.create_index(
        "ix_returns_merchant_email", "returns", ["merchant_id", "customer_email", "created_at"]
    )
    op.create_table(
        "return_lines",
        sa.Column("return_id", ID, nullable=False),
        sa.Column("order_line_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("refund", DEC(length=40), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("grade", sa.String(length=32), nullable=True),
        sa.Column("disposition", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["returns.id"],
            name=op.f("fk_return_lines_return_id_returns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("return_id", "order_line_id", name=op.f("pk_return_lines")),
    )
    op.create_table(
        "return_decisions",
        sa.Column("id", BIGPK, autoincrement=True, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("return_id", ID, nullable=False),
        sa.Column("line_id", ID, nullable=True),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["returns.id"],
            name=op.f("fk_return_decisions_return_id_returns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_decisions")),
    )
    op.create_index("ix_return_decisions_return", "return_decisions", ["return_id", "id"])
    op.create_table(
        "return_ledger",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("return_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", DEC(length=40), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_return_ledger_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_ledger_return_id_returns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_ledger")),
        sa.UniqueConstraint("return_id", "kind", name="uq_return_ledger_return_kind"),
    )
    op.create_index(
        "ix_return_ledger_merchant_created", "return_ledger", ["merchant_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_return_ledger_merchant_created", table_name="return_ledger")
    op.drop_table("return_ledger")
    op.drop_index("ix_return_decisions_return", table_name="return_decisions")
    op.drop_table("return_decisions")
    op.drop_table("return_lines")
    for name in (
        "ix_returns_merchant_email", "ix_returns_merchant_order", "ix_returns_merchant_status",
        "ix_returns_merchant_created",
    ):  # fmt: skip
        op.drop_index(name, table_name="returns")
    op.drop_table("returns")
    op.drop_table("return_policies")

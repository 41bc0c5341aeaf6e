"""console indexes: the exceptions queue and the overview on a store with many shipments

``ix_shipments_open_merchant``: the shipments not yet delivered, per merchant (partial: the
queue never reads a delivered parcel, most of a store's rows). ``ix_shipments_merchant_status``:
the overview's counts by status and delivery date, and the orders page's shipment filters.
PostgreSQL only (expression indexes the search needs; SQLite serves small stores):
``ix_customers_name_trgm`` (pg_trgm, GIN on ``lower(name)``: a part of a name, any case) and
``ix_orders_email_lower`` (``merchant_id, lower(email) text_pattern_ops``: an address's
beginning). Creating the pg_trgm extension needs a role that may (a superuser, or the
database owner on PostgreSQL 13+ where it is a trusted extension).
Figures in docs/benchmarks.md (benchmarks/console.py).

Revision ID: 0024
Revises: 0023, 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
# Also joins the settings branch's 0016 and the KPI branch's 0018 (after the console's 0017):
# the lead renumbers at merge.
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status <> 'delivered'")  # domain.console.attention.FINISHED


def upgrade() -> None:
    op.create_index(
        "ix_shipments_open_merchant", "shipments", ["merchant_id", "created_at"],
        postgresql_where=OPEN, sqlite_where=OPEN,
    )  # fmt: skip
    op.create_index(
        "ix_shipments_merchant_status", "shipments", ["merchant_id", "status", "delivered_at"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_customers_name_trgm ON customers USING gin (lower(name) gin_trgm_ops)"
        )
        op.execute(
            "CREATE INDEX ix_orders_email_lower ON orders (merchant_id, lower(email) text_pattern_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_orders_email_lower")
        op.execute("DROP INDEX IF EXISTS ix_customers_name_trgm")
    op.drop_index("ix_shipments_merchant_status", table_name="shipments")
    op.drop_index("ix_shipments_open_merchant", table_name="shipments")

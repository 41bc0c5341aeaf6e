"""kpi gaps: page promises, delivery KPIs as other tools define them, a cheap idle KPI tick

``promise_records`` kept one row per order, surface and dates (``uq_promise_records_shown``),
so a page that showed A, then B, then A again could not record the return to A, and the
drift after a promise (the last one shown minus it) would read B. The page's rows
(``surface = 'page'``) are now recorded whenever the shown promise differs from the last one
recorded for that parcel (``adapters.db.kpis.promises.record_page_promises``); the other
surfaces keep the unique rule, now a partial unique index. ``ix_promise_records_order_shown``
serves "the promises of these orders, in the order shown" (the writers' dedupe, the facts'
final promise), which had no index leading with the order.

Delivery KPIs as other tools define them (docs/kpis.md): ``kpi_facts.carrier_first_judged``
and ``on_time_carrier_first`` (on time against the carrier's first estimate; false on facts
made before), ``kpi_daily.tracked`` (parcels neither pending nor expired; counted here for
the existing rollups), ``carrier_first_judged`` and ``on_time_carrier_first``.

The KPI worker's tick (ADR 0027): ``kpi_pending`` is the queue of shipments whose facts are
due, written with each new shipment (filled here with the shipments that have no facts yet);
``ix_kpi_facts_open_refreshed`` finds the moving parcels due again among the few not final;
``ix_kpi_customers_unsettled`` the repeat-purchase windows that have ended but are not
settled. Before, an idle tick anti-joined every shipment with ``kpi_facts`` and scanned
every unsettled customer (2.9 s at 1,000,000 shipments).

Revision ID: 0028
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_PAGE = sa.text("surface <> 'page'")
UNIQUE_COLUMNS = ["merchant_id", "order_id", "surface", "earliest", "latest"]


TRACKED = (
    "UPDATE kpi_daily SET tracked = (SELECT count(*) FROM kpi_facts f "
    "WHERE f.merchant_id = kpi_daily.merchant_id AND f.placed_on = kpi_daily.placed_on "
    "AND f.carrier = kpi_daily.carrier AND f.service = kpi_daily.service "
    "AND f.lane = kpi_daily.lane AND f.status NOT IN ('pending', 'expired'))"
)


def upgrade() -> None:
    # The delivered rate as other tools define it (of the parcels tracked) and on time
    # against the carrier's first estimate (kpis.md); existing rollups get their tracked
    # count, facts made before are not judged against a first estimate.
    with op.batch_alter_table("kpi_facts", schema=None) as batch_op:
        for name in ("carrier_first_judged", "on_time_carrier_first"):
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)
            )
    with op.batch_alter_table("kpi_daily", schema=None) as batch_op:
        for name in ("tracked", "carrier_first_judged", "on_time_carrier_first"):
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
    op.execute(TRACKED)
    op.create_table(
        "kpi_pending",
        sa.Column("shipment_id", sa.String(length=32), nullable=False),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("shipment_id", name=op.f("pk_kpi_pending")),
    )
    op.execute(
        "INSERT INTO kpi_pending (shipment_id, merchant_id) SELECT s.id, s.merchant_id "
        "FROM shipments s WHERE NOT EXISTS "
        "(SELECT 1 FROM kpi_facts f WHERE f.shipment_id = s.id)"
    )
    op.create_index(
        "ix_kpi_facts_open_refreshed", "kpi_facts", ["refreshed_at"],
        postgresql_where=sa.text("NOT final"), sqlite_where=sa.text("NOT final"),
    )  # fmt: skip
    op.create_index(
        "ix_kpi_customers_unsettled", "kpi_customers", ["repeat_until"],
        postgresql_where=sa.text("repeated IS NULL"), sqlite_where=sa.text("repeated IS NULL"),
    )  # fmt: skip
    with op.batch_alter_table("promise_records", schema=None) as batch_op:
        batch_op.drop_constraint("uq_promise_records_shown", type_="unique")
    op.create_index(
        "uq_promise_records_shown", "promise_records", UNIQUE_COLUMNS, unique=True,
        postgresql_where=NOT_PAGE, sqlite_where=NOT_PAGE,
    )  # fmt: skip
    op.create_index("ix_promise_records_order_shown", "promise_records", ["order_id", "shown_at"])


def downgrade() -> None:
    with op.batch_alter_table("kpi_daily", schema=None) as batch_op:
        for name in ("on_time_carrier_first", "carrier_first_judged", "tracked"):
            batch_op.drop_column(name)
    with op.batch_alter_table("kpi_facts", schema=None) as batch_op:
        for name in ("on_time_carrier_first", "carrier_first_judged"):
            batch_op.drop_column(name)
    op.drop_index("ix_kpi_customers_unsettled", table_name="kpi_customers")
    op.drop_index("ix_kpi_facts_open_refreshed", table_name="kpi_facts")
    op.drop_table("kpi_pending")
    op.drop_index("ix_promise_records_order_shown", table_name="promise_records")
    op.drop_index("uq_promise_records_shown", table_name="promise_records")
    op.execute("DELETE FROM promise_records WHERE surface = 'page'")
    with op.batch_alter_table("promise_records", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_promise_records_shown", UNIQUE_COLUMNS)

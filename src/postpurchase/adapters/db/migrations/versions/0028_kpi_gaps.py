"""kpi gaps: promises shown on the tracking page

``promise_records`` kept one row per order, surface and dates (``uq_promise_records_shown``),
so a page that showed A, then B, then A again could not record the return to A, and the
drift after a promise (the last one shown minus it) would read B. The page's rows
(``surface = 'page'``) are now recorded whenever the shown promise differs from the last one
recorded for that parcel (``adapters.db.kpis.promises.record_page_promises``); the other
surfaces keep the unique rule, now a partial unique index. ``ix_promise_records_order_shown``
serves "the promises of these orders, in the order shown" (the writers' dedupe, the facts'
final promise), which had no index leading with the order.

Revision ID: 0028
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_PAGE = sa.text("surface <> 'page'")
UNIQUE_COLUMNS = ["merchant_id", "order_id", "surface", "earliest", "latest"]


def upgrade() -> None:
    with op.batch_alter_table("promise_records", schema=None) as batch_op:
        batch_op.drop_constraint("uq_promise_records_shown", type_="unique")
    op.create_index(
        "uq_promise_records_shown", "promise_records", UNIQUE_COLUMNS, unique=True,
        postgresql_where=NOT_PAGE, sqlite_where=NOT_PAGE,
    )  # fmt: skip
    op.create_index("ix_promise_records_order_shown", "promise_records", ["order_id", "shown_at"])


def downgrade() -> None:
    op.drop_index("ix_promise_records_order_shown", table_name="promise_records")
    op.drop_index("uq_promise_records_shown", table_name="promise_records")
    op.execute("DELETE FROM promise_records WHERE surface = 'page'")
    with op.batch_alter_table("promise_records", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_promise_records_shown", UNIQUE_COLUMNS)

"""returns: the stock location restocked units went to, kept on the return line

Before, ``POST /api/v1/returns/{id}/inspect``'s ``location`` rode only on each
``ReturnItemRestocked`` event and on the audit entry; the return itself could not say where
its units went. ``return_lines.location`` keeps it (null for disposed lines, for lines
restocked without a named location, and for returns put away before this revision).

``returns.gift_email``: a gift return's recipient, the address their store credit is for (a
gift's credit no longer goes through the store, which would credit the giver's account).

``ix_returns_merchant_tracking``: the returns travelling in one parcel (consolidated returns
share a tracking number; the parcel's scans move them all).

Revision ID: 0030
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("return_lines") as batch:
        batch.add_column(sa.Column("location", sa.String(length=64), nullable=True))
    with op.batch_alter_table("returns") as batch:
        batch.add_column(sa.Column("gift_email", sa.String(length=320), nullable=True))
    op.create_index("ix_returns_merchant_tracking", "returns", ["merchant_id", "tracking_number"])


def downgrade() -> None:
    op.drop_index("ix_returns_merchant_tracking", table_name="returns")
    with op.batch_alter_table("returns") as batch:
        batch.drop_column("gift_email")
    with op.batch_alter_table("return_lines") as batch:
        batch.drop_column("location")

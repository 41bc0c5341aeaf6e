"""returns: what a return's label cost, kept so keep-it advice can measure it

``ReturnLabelDesk`` bought labels from the carrier and dropped the price the carrier quoted.
The keep-it rule weighs label + handling against what a returned unit recovers; with the
label's cost unknown, the advice could only repeat the merchant's own figure.
``returns.label_cost`` and ``returns.label_currency`` keep the carrier's price (null for
labels bought before this revision, labels the carrier gave no price for, and returns whose
tracking number came from elsewhere).

Revision ID: 0038
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postpurchase.adapters.db.types

revision: str = "0038"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEC = postpurchase.adapters.db.types.ExactDecimal


def upgrade() -> None:
    with op.batch_alter_table("returns") as batch:
        batch.add_column(sa.Column("label_cost", DEC(length=40), nullable=True))
        batch.add_column(sa.Column("label_currency", sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("returns") as batch:
        batch.drop_column("label_currency")
        batch.drop_column("label_cost")

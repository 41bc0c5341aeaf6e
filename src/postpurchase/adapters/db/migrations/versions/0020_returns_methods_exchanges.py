"""returns: the return method and its CO2e, exchanges, bought labels, photos per line

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import postpurchase.adapters.db.types

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
DEC = postpurchase.adapters.db.types.ExactDecimal


def upgrade() -> None:
    with op.batch_alter_table("returns") as batch:
        batch.add_column(sa.Column("method", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("co2e_kg", DEC(), nullable=True))
        batch.add_column(sa.Column("exchange", JSON, nullable=True))
        batch.add_column(sa.Column("label_media_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("qr_media_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("return_lines") as batch:
        batch.add_column(sa.Column("photos", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("return_lines") as batch:
        batch.drop_column("photos")
    with op.batch_alter_table("returns") as batch:
        batch.drop_column("qr_media_id")
        batch.drop_column("label_media_id")
        batch.drop_column("exchange")
        batch.drop_column("co2e_kg")
        batch.drop_column("method")

"""publishable keys for the checkout estimate API (issue 16)

``publishable_keys``: per-merchant keys a storefront page carries to read delivery-date
estimates, and nothing else. Public but revocable, so stored as SHA-256 hashes like API
keys, with the first characters (``hint``) to tell them apart in lists. Cut-off, handling
days, ship-from and storefront origins live in ``merchants.settings["checkout"]`` (no
column needed).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from postpurchase.adapters.db.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "publishable_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("merchant_id", sa.String(32), nullable=False),
        sa.Column("hint", sa.String(16), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name="fk_publishable_keys_merchant_id_merchants",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_publishable_keys"),
        sa.UniqueConstraint("key_hash", name="uq_publishable_keys_key_hash"),
    )
    op.create_index(
        "ix_publishable_keys_merchant_id", "publishable_keys", ["merchant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_publishable_keys_merchant_id", table_name="publishable_keys")
    op.drop_table("publishable_keys")

"""returns: a gift return's credit issued to its recipient (issue 15), exactly once

``return_gift_credits`` is the ledger of what the recipient was given: one row per return,
written ``pending`` before the store is asked (a Shopify gift card through
``giftCardCreate``) and settled ``issued`` (or ``failed``) after, outside any transaction
(ADR 0032). ``code_sealed`` holds the gift card or store-credit code sealed by the keyring
(``adapters/secrets.py``), never in plain text; ``code_last4`` is what pages and the API show.

Revision ID: 0035
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from postpurchase.adapters.db.types import ExactDecimal, UTCDateTime

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "return_gift_credits",
        sa.Column("return_id", sa.String(length=32), sa.ForeignKey("returns.id"), primary_key=True),
        sa.Column(
            "merchant_id", sa.String(length=32), sa.ForeignKey("merchants.id"), nullable=False
        ),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("code_sealed", sa.Text(), nullable=False),
        sa.Column("code_last4", sa.String(length=4), nullable=False),
        sa.Column("store_reference", sa.String(length=128), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("merchant_id", "idempotency_key", name="uq_return_gift_credits_key"),
    )


def downgrade() -> None:
    op.drop_table("return_gift_credits")

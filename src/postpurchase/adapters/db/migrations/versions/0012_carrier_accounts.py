"""carrier accounts per merchant and the tracking-poll schedule (issue 13)

``carrier_accounts``: a merchant's account at a carrier (connector, test/production mode,
options, credentials sealed by the keyring, a shared back-off). ``shipment_polls``: which
shipments the worker polls and when next, claimed with a lease.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from postpurchase.adapters.db.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "carrier_accounts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("merchant_id", sa.String(32), nullable=False),
        sa.Column("carrier", sa.String(48), nullable=False),
        sa.Column("connector", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("options", Json, nullable=False),
        sa.Column("sealed_credentials", sa.Text(), nullable=False),
        sa.Column("hints", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("paused_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_ok_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_carrier_accounts_merchant_id_merchants"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_carrier_accounts"),
        sa.UniqueConstraint("merchant_id", "carrier", name="uq_carrier_accounts_merchant_carrier"),
    )
    op.create_table(
        "shipment_polls",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("merchant_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("processed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("stop_reason", sa.String(32), nullable=True),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("last_polled_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["id"], ["shipments.id"], name="fk_shipment_polls_id_shipments", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_shipment_polls_merchant_id_merchants"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["carrier_accounts.id"],
            name="fk_shipment_polls_account_id_carrier_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_shipment_polls"),
    )
    op.create_index("ix_shipment_polls_due", "shipment_polls", ["next_attempt_at"])
    op.create_index("ix_shipment_polls_account", "shipment_polls", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_shipment_polls_account", table_name="shipment_polls")
    op.drop_index("ix_shipment_polls_due", table_name="shipment_polls")
    op.drop_table("shipment_polls")
    op.drop_table("carrier_accounts")

"""merchant secrets sealed at rest, with rotation (issue 11)

The four plaintext secret columns of ``merchants`` move into ``merchant_secrets`` as
``plain:<secret>`` rows (the migration has no key to seal with); ``postpurchase db upgrade``
and ``postpurchase secrets reencrypt`` seal them with the configured key right after.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
MOVED = {
    "shopify_secret": "shopify_webhook",
    "tracking_secret": "tracking_webhook",
    "aftership_secret": "aftership_webhook",
    "easypost_secret": "easypost_webhook",
}


def _utc() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    from postpurchase.adapters.db.types import UTCDateTime

    return UTCDateTime()


def upgrade() -> None:
    secrets = op.create_table(
        "merchant_secrets",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("sealed_previous", sa.Text(), nullable=True),
        sa.Column("rotated_at", _utc(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_merchant_secrets_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "kind", name=op.f("pk_merchant_secrets")),
    )
    conn = op.get_bind()
    merchants = sa.table("merchants", sa.column("id"), *(sa.column(c) for c in MOVED))
    now = datetime.now(UTC)
    rows = []
    for m in conn.execute(sa.select(merchants)).mappings():
        for column, kind in MOVED.items():
            value = m[column]
            if value:
                rows.append(
                    {"merchant_id": m["id"], "kind": kind, "sealed": f"plain:{value}",
                     "last4": value[-4:], "updated_at": now}
                )  # fmt: skip
    if rows:
        op.bulk_insert(secrets, rows)
    # Plain ALTER TABLE on both (SQLite >= 3.35): a batch "move and copy" of merchants would
    # drop a table other tables' foreign keys point at, which SQLite refuses.
    for column in MOVED:
        op.execute(f"ALTER TABLE merchants DROP COLUMN {column}")


def downgrade() -> None:
    for column in MOVED:
        op.add_column("merchants", sa.Column(column, sa.String(length=128), nullable=True))
    op.drop_table("merchant_secrets")

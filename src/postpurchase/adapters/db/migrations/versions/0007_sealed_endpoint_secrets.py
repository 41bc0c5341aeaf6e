"""outbound webhook endpoint secrets sealed at rest (issue 17)

``webhook_endpoints.secret`` becomes TEXT (a sealed ``fernet:<token>`` is longer than the
old 128 characters) and the secrets already stored become ``plain:<secret>``: the migration
has no key to seal with, the keyring opens them as they are, and ``postpurchase db upgrade``
and ``postpurchase secrets reencrypt`` seal them with the configured key right after.

On SQLite the column is replaced (add, copy, drop, rename) rather than copied with its
table: other tables' foreign keys point at ``webhook_endpoints``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MARK_PLAIN = (
    "UPDATE webhook_endpoints SET secret = 'plain:' || secret "
    "WHERE secret NOT LIKE 'plain:%' AND secret NOT LIKE 'fernet:%'"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE webhook_endpoints ADD COLUMN secret_sealed TEXT NOT NULL DEFAULT ''"
        )
        op.execute("UPDATE webhook_endpoints SET secret_sealed = secret")
        op.execute("ALTER TABLE webhook_endpoints DROP COLUMN secret")
        op.execute("ALTER TABLE webhook_endpoints RENAME COLUMN secret_sealed TO secret")
    else:
        op.alter_column(
            "webhook_endpoints",
            "secret",
            existing_type=sa.String(length=128),
            type_=sa.Text(),
            existing_nullable=False,
        )
    op.execute(MARK_PLAIN)


def downgrade() -> None:
    conn = op.get_bind()
    sealed = conn.execute(
        sa.text("SELECT count(*) FROM webhook_endpoints WHERE secret LIKE 'fernet:%'")
    ).scalar()
    if sealed:
        raise RuntimeError(
            f"{sealed} webhook endpoint secrets are sealed; a downgrade cannot open them "
            "(rotate those endpoints' secrets after downgrading, or stay on this revision)"
        )
    op.execute(
        "UPDATE webhook_endpoints SET secret = substr(secret, 7) WHERE secret LIKE 'plain:%'"
    )
    if conn.dialect.name != "sqlite":  # SQLite never enforced the length
        op.alter_column(
            "webhook_endpoints",
            "secret",
            existing_type=sa.Text(),
            type_=sa.String(length=128),
            existing_nullable=False,
        )

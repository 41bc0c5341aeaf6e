"""audit log of admin actions and stored files (issues 13, 14, 15)

``audit_log``: who changed what, when, old -> new, written in the transaction of the change.
``media_files``: logos, label PDFs/ZPL and return photos, the bytes in ``data`` or, when
``POSTPURCHASE_MEDIA_DIR`` is set, in that directory with only the metadata here.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from postpurchase.adapters.db.types import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", BIGINT, autoincrement=True, nullable=False),
        sa.Column("merchant_id", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_audit_log_merchant_id_merchants"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_merchant_id_id", "audit_log", ["merchant_id", "id"])
    op.create_table(
        "media_files",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("merchant_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_media_files_merchant_id_merchants"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_media_files"),
    )
    op.create_index("ix_media_files_merchant_id", "media_files", ["merchant_id"])


def downgrade() -> None:
    op.drop_index("ix_media_files_merchant_id", table_name="media_files")
    op.drop_table("media_files")
    op.drop_index("ix_audit_log_merchant_id_id", table_name="audit_log")
    op.drop_table("audit_log")

"""merchant settings in one layout; message template versions and splits (issue 14)

``merchants.settings`` written before issue 14 is moved to today's layout (support contacts
and the returns link under ``tracking_page``, fonts by their allow-listed name), with the
same pure function every read applies (``domain.settings.upgrade_layout``).
``message_template_versions``: every change to a flow's template on a channel, immutable.
``message_template_splits``: a flow's holdout and the split between versions.
``notification_messages.template_version`` / ``held_out``: what each message was made from.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import postpurchase.adapters.db.types
from postpurchase.domain.settings import upgrade_layout

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = postpurchase.adapters.db.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "message_template_versions",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("flow", sa.String(length=48), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("locales", JSON, nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_message_template_versions_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id", "flow", "channel", "version", name=op.f("pk_message_template_versions")
        ),
    )
    op.create_table(
        "message_template_splits",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("flow", sa.String(length=48), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("holdout_percent", sa.Integer(), nullable=False),
        sa.Column("variants", JSON, nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_message_template_splits_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id", "flow", "channel", name=op.f("pk_message_template_splits")
        ),
    )
    with op.batch_alter_table("notification_messages") as batch:
        batch.add_column(sa.Column("template_version", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("held_out", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    _upgrade_settings()


def _upgrade_settings() -> None:
    merchants = sa.table("merchants", sa.column("id", ID), sa.column("settings", JSON))
    conn = op.get_bind()
    for merchant_id, settings in conn.execute(sa.select(merchants.c.id, merchants.c.settings)):
        upgraded = upgrade_layout(settings or {})
        if upgraded != settings:
            conn.execute(
                merchants.update().where(merchants.c.id == merchant_id).values(settings=upgraded)
            )


def downgrade() -> None:
    with op.batch_alter_table("notification_messages") as batch:
        batch.drop_column("held_out")
        batch.drop_column("template_version")
    op.drop_table("message_template_splits")
    op.drop_table("message_template_versions")

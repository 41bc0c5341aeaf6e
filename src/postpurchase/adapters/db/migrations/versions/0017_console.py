"""console: users, one-time links, log-in sessions and resolved exceptions of the console

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postpurchase.adapters.db.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
UTC = postpurchase.adapters.db.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("last_login_at", UTC(), nullable=True),
        sa.Column("disabled_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_console_users_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_users")),
        sa.UniqueConstraint("merchant_id", "email", name="uq_console_users_merchant_email"),
    )
    op.create_index("ix_console_users_email", "console_users", ["email"])
    op.create_table(
        "console_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.Column("used_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_console_tokens_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["console_users.id"], name=op.f("fk_console_tokens_user_id_console_users")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_tokens")),
    )
    op.create_index("ix_console_tokens_user", "console_tokens", ["merchant_id", "user_id"])
    op.create_table(
        "console_sessions",
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_console_sessions_merchant_id_merchants"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["console_users.id"],
            name=op.f("fk_console_sessions_user_id_console_users"),
        ),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_console_sessions")),
    )
    op.create_index("ix_console_sessions_user", "console_sessions", ["merchant_id", "user_id"])
    op.create_index("ix_console_sessions_expires", "console_sessions", ["expires_at"])
    op.create_table(
        "console_resolutions",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("shipment_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("resolved_at", UTC(), nullable=False),
        sa.Column("resolved_by", sa.String(length=300), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_console_resolutions_merchant_id_merchants"),
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_console_resolutions_shipment_id_shipments"),
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id", "shipment_id", "kind", name=op.f("pk_console_resolutions")
        ),
    )


def downgrade() -> None:
    op.drop_table("console_resolutions")
    op.drop_index("ix_console_sessions_expires", table_name="console_sessions")
    op.drop_index("ix_console_sessions_user", table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_index("ix_console_tokens_user", table_name="console_tokens")
    op.drop_table("console_tokens")
    op.drop_index("ix_console_users_email", table_name="console_users")
    op.drop_table("console_users")

"""recommendation and remedy rules move into the one settings document (ADR 0025)

Each ``recommendation_settings.document`` becomes the ``recommendations`` section of its
merchant's ``merchants.settings``, each ``remedy_settings.document`` the
``automatic_remedy`` section (a section already there, written by a newer version, is
kept); then both tables are dropped. Downgrade writes the sections back into new tables.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import postpurchase.adapters.db.types

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_TIME = postpurchase.adapters.db.types.UTCDateTime
MOVES = (("recommendation_settings", "recommendations"), ("remedy_settings", "automatic_remedy"))

merchants = sa.table("merchants", sa.column("id", ID), sa.column("settings", JSON))


def _rules(name: str) -> sa.TableClause:
    return sa.table(
        name, sa.column("merchant_id", ID), sa.column("document", JSON),
        sa.column("updated_at", UTC_TIME()),
    )  # fmt: skip


def upgrade() -> None:
    for table, section in MOVES:
        _into_settings(table, section)
        op.drop_table(table)


def _into_settings(table: str, section: str) -> None:
    conn = op.get_bind()
    rules = _rules(table)
    for merchant_id, document in conn.execute(sa.select(rules.c.merchant_id, rules.c.document)):
        settings = conn.execute(
            sa.select(merchants.c.settings).where(merchants.c.id == merchant_id)
        ).scalar_one_or_none()
        doc = dict(settings) if isinstance(settings, dict) else {}
        if section in doc or not isinstance(document, dict):
            continue
        doc[section] = document
        conn.execute(sa.update(merchants).where(merchants.c.id == merchant_id).values(settings=doc))


def downgrade() -> None:
    for table, section in MOVES:
        _out_of_settings(table, section)


def _out_of_settings(table: str, section: str) -> None:
    op.create_table(
        table,
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("updated_at", UTC_TIME(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f(f"fk_{table}_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("merchant_id", name=op.f(f"pk_{table}")),
    )
    rules = _rules(table)
    conn = op.get_bind()
    now = datetime.now(UTC)
    for merchant_id, settings in conn.execute(sa.select(merchants.c.id, merchants.c.settings)):
        if not isinstance(settings, dict) or not isinstance(settings.get(section), dict):
            continue
        doc = {k: v for k, v in settings.items() if k != section}
        conn.execute(
            sa.insert(rules).values(
                merchant_id=merchant_id, document=settings[section], updated_at=now
            )
        )
        conn.execute(sa.update(merchants).where(merchants.c.id == merchant_id).values(settings=doc))

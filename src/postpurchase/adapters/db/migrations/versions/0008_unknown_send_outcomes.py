"""count sends whose outcome is unknown (issue 17: nothing sent twice, nothing lost)

``notification_messages.unknown_outcomes`` and ``webhook_deliveries.unknown_outcomes``: how
many attempts were claimed for sending but never recorded (the sender died, or lost its
claim, between the provider call and the commit of its outcome). Each is followed by a
re-send with the same Message-ID (delivery id for webhooks), so this is the number of
possible duplicates; the ops view and ``/metrics`` read it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("notification_messages", "webhook_deliveries")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("unknown_outcomes", sa.Integer(), server_default="0", nullable=False),
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "unknown_outcomes")

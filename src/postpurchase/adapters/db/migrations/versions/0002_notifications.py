"""notifications: messages, opt-outs, outbound webhooks, ops alerts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import postpurchase.adapters.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DT = postpurchase.adapters.db.types.UTCDateTime
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
ID = sa.String(length=32)


def upgrade() -> None:
    op.create_table(
        "notification_messages",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("flow", sa.String(length=48), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=True),
        sa.Column("shipment_id", ID, nullable=True),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=True),
        sa.Column("event_topic", sa.String(length=64), nullable=False),
        sa.Column("event_id", BIGINT, nullable=True),
        sa.Column("event_at", UTC_DT(timezone=True), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DT(timezone=True), nullable=False),
        sa.Column("send_after", UTC_DT(timezone=True), nullable=False),
        sa.Column("next_attempt_at", UTC_DT(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UTC_DT(timezone=True), nullable=True),
        sa.Column("updated_at", UTC_DT(timezone=True), nullable=False),
        sa.Column("provider_id", sa.String(length=128), nullable=True),
        sa.Column("unsubscribe_token", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_notification_messages_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_messages")),
        sa.UniqueConstraint("merchant_id", "dedupe_key", name="uq_notification_messages_dedupe"),
        sa.UniqueConstraint("unsubscribe_token", name="uq_notification_messages_unsubscribe_token"),
    )
    with op.batch_alter_table("notification_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_messages_customer",
            ["merchant_id", "customer_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_notification_messages_order",
            ["merchant_id", "order_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_notification_messages_status", ["status", "sent_at"], unique=False
        )
        batch_op.create_index(
            "ix_notification_messages_subject",
            ["merchant_id", "subject_id", "channel"],
            unique=False,
        )

    op.create_table(
        "notification_optouts",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC_DT(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_notification_optouts_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id", "channel", "address", name=op.f("pk_notification_optouts")
        ),
    )

    op.create_table(
        "ops_alerts",
        sa.Column("id", BIGINT, autoincrement=True, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("order_id", ID, nullable=True),
        sa.Column("shipment_id", ID, nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DT(timezone=True), nullable=False),
        sa.Column("digest_sent_at", UTC_DT(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_ops_alerts_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_alerts")),
        sa.UniqueConstraint("merchant_id", "dedupe_key", name="uq_ops_alerts_dedupe"),
    )
    with op.batch_alter_table("ops_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ops_alerts_pending", ["merchant_id", "digest_sent_at"], unique=False
        )

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("topics", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTC_DT(timezone=True), nullable=False),
        sa.Column("updated_at", UTC_DT(timezone=True), nullable=False),
        sa.Column("deleted_at", UTC_DT(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_webhook_endpoints_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_endpoints_merchant_id"), ["merchant_id"], unique=False
        )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", ID, nullable=False),
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("endpoint_id", ID, nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_DT(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("replay_of", ID, nullable=True),
        sa.Column("created_at", UTC_DT(timezone=True), nullable=False),
        sa.Column("updated_at", UTC_DT(timezone=True), nullable=False),
        sa.Column("delivered_at", UTC_DT(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_webhook_deliveries_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("merchant_id", "dedupe_key", name="uq_webhook_deliveries_dedupe"),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_endpoint",
            ["merchant_id", "endpoint_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_endpoint")
    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_endpoints_merchant_id"))
    op.drop_table("webhook_endpoints")
    with op.batch_alter_table("ops_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_ops_alerts_pending")
    op.drop_table("ops_alerts")
    op.drop_table("notification_optouts")
    with op.batch_alter_table("notification_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_messages_subject")
        batch_op.drop_index("ix_notification_messages_status")
        batch_op.drop_index("ix_notification_messages_order")
        batch_op.drop_index("ix_notification_messages_customer")
    op.drop_table("notification_messages")

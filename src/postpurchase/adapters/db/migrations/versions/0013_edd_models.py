"""delivery-date model registry and our promise at purchase (issue 16)

``edd_models`` keeps every trained model of a merchant with its training window, features,
back-test metrics and the artefact bytes (every process on every host loads it from here);
``edd_active`` says which one serves each merchant (no row: the rules layer); ``edd_jobs``
schedules re-training, re-calibration and the drift check once cluster-wide (a lease per
merchant and job). ``orders.our_promise`` / ``our_estimate``: the date we promised at
purchase, set once at intake and never changed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from postpurchase.adapters.db.types import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "edd_models",
        sa.Column("merchant_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(120), nullable=False),
        sa.Column("engine_version", sa.String(32), nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("trained_from", UTCDateTime(), nullable=True),
        sa.Column("trained_until", UTCDateTime(), nullable=True),
        sa.Column("shipments", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("features", JSON, nullable=False),
        sa.Column("metrics", JSON, nullable=False),
        sa.Column("artefact", sa.LargeBinary(), nullable=False),
        sa.Column("artefact_sha256", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_edd_models_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("merchant_id", "version", name=op.f("pk_edd_models")),
    )
    op.create_table(
        "edd_active",
        sa.Column("merchant_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("activated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_edd_active_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("merchant_id", name=op.f("pk_edd_active")),
    )
    op.create_table(
        "edd_jobs",
        sa.Column("merchant_id", sa.String(32), nullable=False),
        sa.Column("job", sa.String(32), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("holder", sa.String(64), nullable=True),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_result", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_edd_jobs_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("merchant_id", "job", name=op.f("pk_edd_jobs")),
    )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("our_promise", sa.Date(), nullable=True))
        batch.add_column(sa.Column("our_estimate", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("our_estimate")
        batch.drop_column("our_promise")
    op.drop_table("edd_jobs")
    op.drop_table("edd_active")
    op.drop_table("edd_models")

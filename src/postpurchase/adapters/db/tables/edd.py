"""Delivery-date models (issue 16): artefacts, the active model, scheduled model work."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
)

from postpurchase.adapters.db.tables._base import Id, Json, metadata
from postpurchase.adapters.db.types import UTCDateTime

# Every trained model of a merchant, artefact bytes included: a model must be visible to every
# API and worker process on every host, and the database is the one thing they all share.
edd_models = Table(
    "edd_models",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("version", Integer, primary_key=True),  # 1, 2, 3... per merchant
    Column("model_version", String(120), nullable=False),  # the artefact's own id
    Column("engine_version", String(32), nullable=False),
    Column("format_version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("trained_from", UTCDateTime),
    Column("trained_until", UTCDateTime),
    Column("shipments", Integer, nullable=False),  # delivered shipments it learned from
    Column("source", String(32), nullable=False),  # database, file, schedule
    Column("features", Json, nullable=False),
    Column("metrics", Json, nullable=False),  # its own back-test
    Column("artefact", LargeBinary, nullable=False),  # the gzip JSON file, byte for byte
    Column("artefact_sha256", String(64), nullable=False),
)

# Which model each merchant's estimates come from (no row: the rules layer). A row of its own
# so activation is one upsert and the tracking page reads it by primary key.
edd_active = Table(
    "edd_active",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("activated_at", UTCDateTime, nullable=False),
)

# Scheduled model work (re-train, re-calibrate, drift check) per merchant: ``due_at`` says
# when it runs next, ``lease_until`` which worker holds it, so it runs once cluster-wide.
edd_jobs = Table(
    "edd_jobs",
    metadata,
    Column("merchant_id", Id, ForeignKey("merchants.id"), primary_key=True),
    Column("job", String(32), primary_key=True),
    Column("due_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("holder", String(64)),
    Column("last_run_at", UTCDateTime),
    Column("last_result", Json),
)

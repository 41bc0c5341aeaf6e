"""What every process shares (issue 17, ADR 0011): token buckets and periodic-job ticks."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    Index,
    String,
    Table,
)

from postpurchase.adapters.db.tables._base import metadata
from postpurchase.adapters.db.types import UTCDateTime

# Token buckets every API process spends from (when no Redis is configured): one row per
# hashed key; ``full_at`` is when the bucket is full again, after which the row means nothing
# and is pruned.
rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("stamp", Float, nullable=False),  # seconds since the epoch of the last spend
    Column("full_at", Float, nullable=False),
    Index("ix_rate_buckets_full_at", "full_at"),
)

# One row per periodic job: the last scheduled tick claimed and who holds it until when, so
# a job scheduled by every worker process runs once per tick across the cluster.
periodic_runs = Table(
    "periodic_runs",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("tick", UTCDateTime, nullable=False),
    Column("holder", String(64), nullable=False),
    Column("held_until", UTCDateTime),
    Column("finished_at", UTCDateTime),
)

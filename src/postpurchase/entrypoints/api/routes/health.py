"""Liveness and readiness for load balancers and the demo's start-up wait, and the backlog
of background work for monitoring."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from sqlalchemy import func, select, text

from postpurchase.adapters.db import tables as t
from postpurchase.entrypoints.api.deps import PlatformDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(platform: PlatformDep) -> dict[str, str]:
    with platform.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/healthz/backlog")
def backlog(platform: PlatformDep) -> dict[str, int | float | None]:
    """What the workers still have to do, for an alert when they fall behind: scans
    accepted but not yet folded (deferred ingestion) and the age of the oldest, and outbox
    events waiting for delivery. Counts only; nothing about any merchant."""
    pending, events, outbox = t.tracking_pending.c, t.tracking_events.c, t.outbox.c
    with platform.engine.connect() as conn:
        scans, oldest_id = conn.execute(select(func.count(), func.min(pending.event_id))).one()
        oldest: datetime | None = None
        if oldest_id is not None:
            oldest = conn.execute(
                select(events.received_at).where(events.id == oldest_id)
            ).scalar_one_or_none()
        undelivered = conn.execute(
            select(func.count()).select_from(t.outbox).where(outbox.processed_at.is_(None))
        ).scalar_one()
    age = (platform.clock.now() - oldest).total_seconds() if oldest is not None else None
    return {
        "tracking_scans_to_fold": int(scans),
        "oldest_scan_to_fold_seconds": round(age, 1) if age is not None else None,
        "outbox_events_to_deliver": int(undelivered),
    }

"""Liveness and readiness for load balancers and the demo's start-up wait, and the backlog
of background work for monitoring."""

from __future__ import annotations

import os

import redis
from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from postpurchase.adapters.db import ops_views
from postpurchase.bootstrap import Platform
from postpurchase.entrypoints import metrics
from postpurchase.entrypoints.api.deps import PlatformDep

router = APIRouter(tags=["health"])


@router.get("/healthz/live")
def live() -> dict[str, str]:
    """The process answers (for a restart policy: no dependency is checked)."""
    return {"status": "ok"}


@router.get("/healthz/ready", responses={503: {"description": "a dependency is down"}})
def ready(platform: PlatformDep) -> JSONResponse:
    """Whether this process can do its work: the database answers, and the task queue's
    storage (Redis, or the SQLite queue file's directory) is reachable. A load balancer
    sends traffic only to ready processes."""
    checks: dict[str, str] = {}
    try:
        with platform.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"down: {type(exc).__name__}"
    checks["queue"] = _queue_check(platform)
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/healthz")
def healthz(platform: PlatformDep) -> JSONResponse:
    """Same as ``/healthz/ready`` (kept for existing load-balancer configurations)."""
    return ready(platform)


def _queue_check(platform: Platform) -> str:
    url = platform.settings.redis_url
    if url:
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
            client.ping()
            client.close()
        except Exception as exc:
            return f"down: {type(exc).__name__}"
        return "ok"
    directory = platform.settings.data_dir
    return "ok" if os.access(directory, os.W_OK) or not directory.exists() else "down: data_dir"


@router.get("/healthz/backlog")
def backlog(platform: PlatformDep) -> dict[str, int | float | None]:
    """What the workers still have to do, for an alert when they fall behind: scans
    accepted but not yet folded (deferred ingestion) and the age of the oldest, and outbox
    events waiting for delivery. Counts only; nothing about any merchant. ``/metrics`` has
    every queue."""
    with platform.engine.connect() as conn:
        queues = {q.name: q for q in ops_views.backlog(conn, platform.clock.now()).queues}
    return {
        "tracking_scans_to_fold": queues["tracking_fold"].depth,
        "oldest_scan_to_fold_seconds": queues["tracking_fold"].oldest_seconds,
        "outbox_events_to_deliver": queues["outbox"].depth,
    }


@router.get("/metrics", response_class=PlainTextResponse, include_in_schema=False)
def prometheus(platform: PlatformDep) -> PlainTextResponse:
    """Prometheus exposition: this deployment's counters (all processes, with
    ``serve --workers N``) and the shared backlog."""
    return PlainTextResponse(metrics.render(platform), media_type=CONTENT_TYPE_LATEST)

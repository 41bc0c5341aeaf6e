"""Liveness and readiness for load balancers and the demo's start-up wait."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from postpurchase.entrypoints.api.deps import PlatformDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(platform: PlatformDep) -> dict[str, str]:
    with platform.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}

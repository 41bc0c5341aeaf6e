"""``GET /api/v1/audit``: the merchant's audit log of admin actions, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.service_layer import audit

router = APIRouter(prefix="/api/v1", tags=["audit"])


class AuditOut(BaseModel):
    id: int = Field(description="Grows with time: page with `before=<the last id you saw>`.")
    at: datetime
    actor: str = Field(
        description="Who acted: `api:<key fingerprint>`, `user:<email>`, `cli` or `system:<job>`.",
        examples=["user:owner@example.com"],
    )
    action: str = Field(examples=["settings.update"])
    subject: str = Field(description="What was acted on.", examples=["settings"])
    changes: dict[str, list[Any]] = Field(
        description="Each changed setting as a dotted key and `[old, new]`; secrets are "
        "never shown, only whether they were set.",
        examples=[{"brand.colors.primary": ["#111111", "#0b5394"]}],
    )


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_before: int | None = Field(description="Pass as `before` for the next page.")


@router.get("/audit", response_model=AuditPage)
async def list_audit(
    merchant: MerchantDep,
    platform: PlatformDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Entries per page.")] = 50,
    before: Annotated[
        int | None, Query(ge=1, description="Only entries older than this id.")
    ] = None,
    subject: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Only this subject.")
    ] = None,
) -> AuditPage:
    """Who changed what and when, from which value to which: every admin action through the
    API, the console and the CLI, written in the same transaction as the change."""
    rows = await run_in_threadpool(
        audit.history,
        platform.uow(),
        merchant.id,
        limit=limit,
        before_id=before,
        subject=subject,
    )
    items = [
        AuditOut(
            id=r.id,
            at=r.entry.at,
            actor=r.entry.actor,
            action=r.entry.action,
            subject=r.entry.subject,
            changes=r.entry.changes,
        )
        for r in rows
    ]
    return AuditPage(items=items, next_before=items[-1].id if len(items) == limit else None)

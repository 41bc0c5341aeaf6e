"""A shopper's data: /api/v1/customers/export and /erase (access and erasure requests)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from postpurchase.adapters.db.privacy_store import export_customer
from postpurchase.domain import commands
from postpurchase.domain.privacy import normalise_email
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

# One "@" between two runs of anything but whitespace, "@" and control characters.
EMAIL_PATTERN = r"^[^\s@\x00-\x1f\x7f-\x9f]+@[^\s@\x00-\x1f\x7f-\x9f]+$"
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN)]


class EraseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email = Field(description="The shopper's e-mail address.")


class ErasureOut(BaseModel):
    """Rows pseudonymised, per kind. Orders stay (money, statuses, dates, a coarse
    destination) so KPIs still add up; who, where and what they wrote is gone."""

    customers: int
    orders: int
    shipments: int
    messages: int
    store_payloads: int


@router.get("/export")
async def export(
    merchant: MerchantDep,
    platform: PlatformDep,
    email: Annotated[str, Query(min_length=3, max_length=254, pattern=EMAIL_PATTERN)],
) -> dict[str, Any]:
    """Everything stored about one shopper of yours: customer records, orders as the API
    shows them, messages sent (with their text), ratings."""
    address = normalise_email(email)

    def read() -> dict[str, Any]:
        with platform.engine.connect() as conn:
            return export_customer(conn, merchant.id, address)

    return await run_in_threadpool(read)


@router.post("/erase", response_model=ErasureOut)
async def erase(body: EraseIn, merchant: MerchantDep, platform: PlatformDep) -> ErasureOut:
    """Pseudonymise one shopper of yours (cannot be undone; erasing twice is harmless)."""
    report = await run_in_threadpool(
        platform.bus().handle, commands.EraseCustomer(merchant.id, body.email, (), "api")
    )
    return ErasureOut(**asdict(report))

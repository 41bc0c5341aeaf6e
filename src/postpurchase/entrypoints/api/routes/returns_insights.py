"""The merchant's view of returns as a whole: the policy simulator and returns analytics,
under the tag ``returns`` with the other returns operations."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.returns import policy_from_dict
from postpurchase.entrypoints.api import returns_schemas as s
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.entrypoints.api.edge_types import Strict
from postpurchase.entrypoints.api.routes.returns import CreatedBound, returns_service

router = APIRouter(prefix="/api/v1", tags=["returns"])


class SimulateIn(Strict):
    policy: s.PolicyIn = Field(description="The draft, as PUT /api/v1/returns/policy takes it.")
    days: int = Field(default=365, ge=1, le=3650, description="How far back to replay.")


class SimulationOut(BaseModel):
    days: int
    requests: int = Field(description="Past return requests replayed.")
    approved: int
    review: int
    refused: int
    refunds: int
    credits: int
    keep_its: int
    exchanges: int
    refunded: dict[str, str] = Field(description="Per currency.")
    credited: dict[str, str] = Field(description="Per currency, bonus included.")
    fees: dict[str, str]
    refused_by: dict[str, int] = Field(description="Requests refused, by the rule that did.")
    review_by: dict[str, int]


def _text(d: dict[str, Decimal]) -> dict[str, str]:
    """Per currency, in its minor units (PostgreSQL's NUMERIC keeps six places)."""
    return {k: str(Money(v, k).rounded().amount) for k, v in sorted(d.items())}


@router.post("/returns/policy/simulate", response_model=SimulationOut)
def simulate(body: SimulateIn, merchant: MerchantDep, platform: PlatformDep) -> SimulationOut:
    """Replay the last `days` of return requests under a draft policy, without saving it:
    each request as it was asked (same lines, reasons, resolution, at the same instant),
    decided by the same rules as live returns. See how many would be approved, reviewed or
    refused (and by which rule), refunded, credited, kept or exchanged, and for how much."""
    draft = policy_from_dict(body.policy.model_dump(mode="json", exclude_none=True))
    t = returns_service(platform).simulate(merchant.id, draft, body.days)
    return SimulationOut(
        days=body.days, requests=t.requests, approved=t.approved, review=t.review,
        refused=t.refused, refunds=t.refunds, credits=t.credits, keep_its=t.keep_its,
        exchanges=t.exchanges, refunded=_text(t.refunded), credited=_text(t.credited),
        fees=_text(t.fees), refused_by=dict(t.refused_by.most_common()),
        review_by=dict(t.review_by.most_common()),
    )  # fmt: skip


class SkuRateOut(BaseModel):
    sku: str
    sold: int
    returned: int
    rate: str | None = Field(description="returned / sold; null when none was sold.")


class AnalyticsOut(BaseModel):
    returns: int = Field(description="Not rejected.")
    rejected: int
    by_reason: dict[str, int] = Field(description="Units returned per reason code.")
    by_sku: list[SkuRateOut] = Field(description="Highest return rate first.")
    refund_hours_median: str | None
    refund_hours_p90: str | None
    keep_its: int
    keep_it_savings: dict[str, str] = Field(description="Label + handling not spent.")
    exchanges: int
    exchange_share: str | None
    revenue_kept: dict[str, str] = Field(description="Exchanged or taken as store credit.")
    co2e_kg: str = Field(description="Estimated, for the methods shoppers chose.")
    by_method: dict[str, int]


class KeepItAdviceOut(BaseModel):
    sku: str
    currency: str
    graded_units: int = Field(description="Units of the SKU graded by inspections.")
    unit_price: str = Field(description="Average paid per unit returned, tax included.")
    measured: bool = Field(
        description="The resale rate is measured from the grades (false: too few graded, "
        "the policy's own rate)."
    )
    label_measured: bool = Field(
        description="The label cost is measured from what the carrier charged for the labels "
        "bought for the SKU's returns, shared per unit (false: too few units on priced labels, "
        "the policy's own figure)."
    )
    label_units: int = Field(description="Units of the SKU that came back on priced labels.")
    costs: dict[str, str] = Field(
        description="The suggested `keep_it.per_sku` entry: label, handling, resale_rate."
    )
    cost_to_serve: str = Field(description="label + handling − price × resale_rate, per unit.")
    keep_it: bool = Field(description="Keep-it would be offered (cost to serve above zero).")


@router.get("/returns/keep-it/advice", response_model=list[KeepItAdviceOut])
def keep_it_advice(
    merchant: MerchantDep,
    platform: PlatformDep,
    days: Annotated[int, Query(ge=1, le=3650, description="Returns asked in the last days.")] = 365,
    min_graded: Annotated[
        int, Query(ge=1, le=10000, description="Graded units needed to measure a rate.")
    ] = 3,
) -> list[KeepItAdviceOut]:
    """Keep-it suggested per SKU: the resale rate measured from how inspections graded its
    returned units (resellable: the full price, refurbish: half, damaged or wrong item:
    nothing), the label cost measured from the return labels bought for it (else the
    policy's), the policy's handling cost, and whether returning one unit then costs more
    than it recovers. Paste `costs` into the policy's `keep_it.per_sku`."""
    until = platform.clock.now() + timedelta(seconds=1)
    found = returns_service(platform).keep_it_advice(
        merchant.id, until - timedelta(days=days), until, min_graded=min_graded
    )
    return [
        KeepItAdviceOut(
            sku=a.sku, currency=a.currency, graded_units=a.graded_units,
            unit_price=str(a.unit_price.amount), measured=a.measured,
            label_measured=a.label_measured, label_units=a.label_units,
            costs={"label": str(a.costs.label), "handling": str(a.costs.handling),
                   "resale_rate": str(a.costs.resale_rate)},
            cost_to_serve=str(a.cost_to_serve.amount), keep_it=a.keep_it,
        )
        for a in found[:1000]
    ]  # fmt: skip


@router.get("/returns/analytics", response_model=AnalyticsOut)
def analytics(
    merchant: MerchantDep,
    platform: PlatformDep,
    created_from: Annotated[
        CreatedBound | None, Query(description="inclusive; default 30 days before created_to")
    ] = None,
    created_to: Annotated[CreatedBound | None, Query(description="exclusive; default now")] = None,
) -> AnalyticsOut:
    """Return rate by SKU and by reason, refund cycle time, keep-it savings, the exchange
    share and revenue kept, and the CO2e of the methods chosen, for returns asked in the
    period (rates against the units sold in orders placed in it)."""
    until = created_to or platform.clock.now() + timedelta(seconds=1)  # now included
    since = created_from or until - timedelta(days=30)
    if since >= until:
        raise InvalidInput("must be before created_to", field="created_from")
    a = returns_service(platform).analytics(merchant.id, since, until)
    return AnalyticsOut(
        returns=a.returns, rejected=a.rejected, by_reason=dict(a.by_reason.most_common()),
        by_sku=[
            SkuRateOut(sku=x.sku, sold=x.sold, returned=x.returned,
                       rate=str(x.rate) if x.rate is not None else None)
            for x in a.by_sku[:500]
        ],
        refund_hours_median=str(a.refund_hours_median) if a.refund_hours_median is not None
        else None,
        refund_hours_p90=str(a.refund_hours_p90) if a.refund_hours_p90 is not None else None,
        keep_its=a.keep_its, keep_it_savings=_text(a.keep_it_savings), exchanges=a.exchanges,
        exchange_share=str(a.exchange_share) if a.exchange_share is not None else None,
        revenue_kept=_text(a.revenue_kept), co2e_kg=f"{a.co2e_kg:.2f}",
        by_method=dict(a.by_method.most_common()),
    )  # fmt: skip

"""The automatic remedy over the API: the merchant's rule, the ledger (also per customer,
for the timeline) and the KPI (``/api/v1/kpis/remedies``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from postpurchase.adapters.db.remedies import (
    SqlRemedyStore,
    ledger_page,
    remedies_for_customer,
    remedy_counts,
)
from postpurchase.domain.remedies import MAX_GRACE_DAYS, RemedyKind, rule_to_dict
from postpurchase.entrypoints.api.deps import ApiActorDep, MerchantDep, PlatformDep, ReadConn
from postpurchase.entrypoints.api.edge_types import JSON_INTEGER
from postpurchase.entrypoints.api.routes.kpi_export import (
    CSV_RESPONSE,
    Format,
    Since,
    Until,
    csv_response,
    period,
)
from postpurchase.service_layer import remedies
from postpurchase.service_layer.remedies import LedgerEntry

router = APIRouter(tags=["remedies"])


class RuleIn(BaseModel):
    """Any subset of the rule; keys left out keep their value. Unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool = Field(
        default=False, description="Give the remedy when a delivery is later than promised."
    )
    kind: RemedyKind = Field(
        default=RemedyKind.REFUND_SHIPPING,
        description="`refund_shipping` (the fee back to the card) or `store_credit`.",
    )
    grace_days: Annotated[int, Field(ge=0, le=MAX_GRACE_DAYS), JSON_INTEGER] = Field(
        default=0, description="Days late that are forgiven."
    )
    apologise: StrictBool = Field(
        default=True, description="The delivered message apologises and names the remedy."
    )


class RuleOut(BaseModel):
    enabled: bool
    kind: RemedyKind
    grace_days: int
    apologise: bool


class RemedyOut(BaseModel):
    id: str
    order_id: str
    order_number: str | None
    shipment_id: str | None
    kind: str
    amount: str
    currency: str
    days_late: int
    promised: str
    status: str = Field(description="pending | issued (by the store) | recorded | failed")
    reference: str | None
    error: str | None
    created_at: str


def remedy_out(e: LedgerEntry) -> RemedyOut:
    return RemedyOut(
        id=e.id, order_id=e.order_id, order_number=e.order_number, shipment_id=e.shipment_id,
        kind=e.kind, amount=str(e.amount), currency=e.currency, days_late=e.days_late,
        promised=e.promised.isoformat(), status=e.status, reference=e.reference, error=e.error,
        created_at=e.created_at.isoformat(),
    )  # fmt: skip


@router.get("/api/v1/remedies/settings", response_model=RuleOut)
def get_rule(merchant: MerchantDep, conn: ReadConn) -> Any:
    """The merchant's late-delivery remedy rule (off until enabled)."""
    return rule_to_dict(SqlRemedyStore(conn).rule(merchant.id))


@router.put("/api/v1/remedies/settings", response_model=RuleOut)
def put_rule(body: RuleIn, actor: ApiActorDep, merchant: MerchantDep, platform: PlatformDep) -> Any:
    """Change the rule (any subset of keys); audited with the old and new values."""
    patch = body.model_dump(mode="json", exclude_unset=True)
    rule = remedies.update_rule(platform.uow(), platform.clock, merchant.id, patch, actor)
    return rule_to_dict(rule)


@router.get("/api/v1/remedies", response_model=list[RemedyOut])
def list_remedies(
    merchant: MerchantDep,
    conn: ReadConn,
    order_id: Annotated[str | None, Query(max_length=64)] = None,
    email: Annotated[
        str | None, Query(max_length=320, description="A customer's remedies (timeline).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    """Remedies given, newest first: all, one order's, or one customer's."""
    if email is not None:
        return [remedy_out(e) for e in remedies_for_customer(conn, merchant.id, email)[:limit]]
    return [remedy_out(e) for e in ledger_page(conn, merchant.id, limit=limit, order_id=order_id)]


class RemedyDayOut(BaseModel):
    day: str
    kind: str
    given: int
    pending: int
    failed: int
    amount: dict[str, str]


class RemedyKpiOut(BaseModel):
    since: str
    until: str
    given: int
    pending: int
    failed: int
    amount: dict[str, str] = Field(description="Per currency: the money given back.")
    days: list[RemedyDayOut]


@router.get(
    "/api/v1/kpis/remedies", response_model=RemedyKpiOut, responses=CSV_RESPONSE, tags=["kpis"]
)
def remedy_kpi(
    merchant: MerchantDep, platform: PlatformDep, conn: ReadConn,
    since: Since = None, until: Until = None, format: Format = "json",
) -> Any:  # fmt: skip
    """Late-delivery remedies per day and kind: given (issued by the store or recorded in our
    ledger), still pending, failed; and the money given back per currency."""
    start, end = period(since, until, platform.clock.now().date())
    days = remedy_counts(conn, merchant.id, start, end)
    if format == "csv":
        return csv_response(
            ["day", "kind", "given", "pending", "failed", "currency", "amount"],
            (
                [d["day"], d["kind"], d["given"], d["pending"], d["failed"], cur, amount]
                for d in days
                for cur, amount in (sorted(d["amount"].items()) or [("", "0")])
            ),
            "remedies",
        )
    total: dict[str, Any] = {}
    for d in days:
        for cur, amount in d["amount"].items():
            from decimal import Decimal

            total[cur] = total.get(cur, Decimal(0)) + Decimal(amount)
    return RemedyKpiOut(
        since=start.date().isoformat(),
        until=(end.date().fromordinal(end.date().toordinal() - 1)).isoformat(),
        given=sum(d["given"] for d in days),
        pending=sum(d["pending"] for d in days),
        failed=sum(d["failed"] for d in days),
        amount={c: str(v) for c, v in sorted(total.items())},
        days=[RemedyDayOut(**d) for d in days],
    )

"""Recommendations over the API: the merchant's rules, a preview for one order, the signed
click redirect (``/r/{link}``) and the KPI (``/api/v1/kpis/recommendations``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from postpurchase.adapters.db.recommendations import SqlRecommendationStore
from postpurchase.domain.errors import DomainError, NotFound
from postpurchase.domain.recommendations import (
    MAX_ITEMS,
    Placement,
    Strategy,
    rules_to_dict,
)
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
from postpurchase.service_layer import recommendations as recs

router = APIRouter(tags=["recommendations"])

STORE_URL = r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s?#]*)?$"
ProductId = Annotated[str, Field(pattern=r"^\S{1,64}$")]


class RulesIn(BaseModel):
    """Any subset of the rules; keys left out keep their value. Unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool = Field(default=False, description="Show recommendations at all.")
    strategies: list[Strategy] = Field(
        default_factory=list, max_length=3, json_schema_extra={"uniqueItems": True},
        description="Tried in order, each filling the slots left: `same_collection`, "
        "`bought_together` (in your own order history), `manual` (your picks).",
    )  # fmt: skip
    manual_picks: list[ProductId] = Field(
        default_factory=list, max_length=50, description="Your store's product ids, in order."
    )
    max_items: Annotated[int, Field(ge=1, le=MAX_ITEMS), JSON_INTEGER] = 3
    min_bought_together: Annotated[int, Field(ge=1, le=1000), JSON_INTEGER] = Field(
        default=2,
        description="Orders that must hold both products before they count as bought together.",
    )
    placements: list[Placement] = Field(
        default_factory=list, max_length=2, json_schema_extra={"uniqueItems": True},
        description="`page` (tracking page), `email` (shipped and delivered e-mails).",
    )  # fmt: skip
    attribution_days: Annotated[int, Field(ge=1, le=90), JSON_INTEGER] = Field(
        default=14,
        description="An order by the same customer holding the clicked product within this "
        "many days of the click is attributed to it.",
    )
    store_url: str | None = Field(
        default=None, max_length=300, pattern=STORE_URL,
        description="Your shop's https address (no query); product links are built on it "
        "(null: the connected store's domain).",
    )  # fmt: skip


class RulesOut(BaseModel):
    enabled: bool
    strategies: list[Strategy]
    manual_picks: list[str]
    max_items: int
    min_bought_together: int
    placements: list[Placement]
    attribution_days: int
    store_url: str | None


class RecommendationOut(BaseModel):
    product_id: str
    title: str
    image_url: str | None
    price: str | None
    currency: str | None
    strategy: Strategy
    reason: str


@router.get("/api/v1/recommendations/settings", response_model=RulesOut)
def get_rules(merchant: MerchantDep, conn: ReadConn) -> Any:
    """The merchant's recommendation rules (defaults until changed: off)."""
    return rules_to_dict(SqlRecommendationStore(conn).rules(merchant.id))


@router.put("/api/v1/recommendations/settings", response_model=RulesOut)
def put_rules(
    body: RulesIn, actor: ApiActorDep, merchant: MerchantDep, platform: PlatformDep
) -> Any:
    """Change the rules (any subset of keys); audited with the old and new values."""
    patch = body.model_dump(mode="json", exclude_unset=True)
    rules = recs.update_rules(platform.uow(), platform.clock, merchant.id, patch, actor)
    return rules_to_dict(rules)


@router.get("/api/v1/orders/{order_id}/recommendations", response_model=list[RecommendationOut])
def preview(
    order_id: Annotated[str, Path(max_length=64)],
    placement: Literal["page", "email"],
    merchant: MerchantDep,
    platform: PlatformDep,
    conn: ReadConn,
) -> Any:
    """What the tracking page (``placement=page``) or the messages (``email``) would
    recommend with this order now, and why each product."""
    with platform.uow() as uow:
        order = uow.orders.get(merchant.id, order_id)
    if order is None:
        raise NotFound("no such order", field="order_id")
    found = recs.for_order(
        SqlRecommendationStore(conn), merchant.id, [li.sku for li in order.lines],
        Placement(placement), platform.clock.now(),
    )  # fmt: skip
    return [
        RecommendationOut(
            product_id=r.product_id,
            title=r.title,
            image_url=r.image_url,
            price=None if r.price is None else str(r.price),
            currency=r.currency,
            strategy=r.strategy,
            reason=r.reason,
        )
        for r in found
    ]


@router.get(
    "/r/{link}",
    status_code=302,
    response_class=RedirectResponse,
    responses={
        302: {"description": "To the product in the merchant's store (or the tracking page)"},
        404: {"description": "Not a link of ours (or its order is gone)"},
    },
)
def follow_link(link: Annotated[str, Path(max_length=400)], platform: PlatformDep) -> Response:
    """A shopper's click on a recommended product (from the tracking page or a message).
    The link is signed; its destination is looked up, never read from the URL, so this is
    no open redirect. The click is counted before redirecting."""
    keys = platform.keyring.derive(recs.LINK_PURPOSE)
    try:
        followed = recs.follow(platform.uow(), platform.clock, keys, link)
    except DomainError:  # forged, altered, or its order deleted: all look the same
        raise NotFound("not a recommendation link", field="link") from None
    url = followed.url
    if url is None:
        with platform.uow() as uow:
            order = uow.orders.get(followed.click.merchant_id, followed.click.order_id)
        url = f"/t/{order.tracking_token}" if order is not None else "/track"
    return RedirectResponse(
        url,
        status_code=302,
        headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"},
    )


class DayOut(BaseModel):
    day: str
    clicks: int
    orders: int
    revenue: dict[str, str]


class RecommendationKpiOut(BaseModel):
    since: str
    until: str
    clicks: int
    orders: int
    revenue: dict[str, str] = Field(description="Per currency: what the clicked products sold.")
    conversion: float | None = Field(description="Attributed orders per click (0-1).")
    days: list[DayOut]


@router.get(
    "/api/v1/kpis/recommendations",
    response_model=RecommendationKpiOut,
    responses=CSV_RESPONSE,
    tags=["kpis"],
)
def recommendation_kpi(
    merchant: MerchantDep, platform: PlatformDep, conn: ReadConn,
    since: Since = None, until: Until = None, format: Format = "json",
    placement: Annotated[
        Placement | None,
        Query(description="Only clicks from `page` (the tracking page) or `email`."),
    ] = None,
) -> Any:  # fmt: skip
    """Clicks on recommended products, the orders they led to (same customer, the product
    bought within the merchant's attribution window) and that revenue, per day;
    ``placement=page`` gives the tracking page's own."""
    start, end = period(since, until, platform.clock.now().date())
    days, won, clicks = recs.report(
        SqlRecommendationStore(conn), merchant.id, start, end, placement
    )
    if format == "csv":
        return csv_response(
            ["day", "clicks", "orders", "currency", "revenue"],
            (
                [d.day, d.clicks, d.orders, cur, str(amount)]
                for d in days
                for cur, amount in (sorted(d.revenue.items()) or [("", Decimal(0))])
            ),
            "recommendations",
        )
    revenue: dict[str, Any] = {}
    for a in won:
        revenue[a.currency] = revenue.get(a.currency, 0) + a.revenue
    return RecommendationKpiOut(
        since=start.date().isoformat(),
        until=(end.date().fromordinal(end.date().toordinal() - 1)).isoformat(),
        clicks=clicks,
        orders=len(won),
        revenue={c: str(v) for c, v in sorted(revenue.items())},
        conversion=round(len(won) / clicks, 4) if clicks else None,
        days=[
            DayOut(
                day=d.day,
                clicks=d.clicks,
                orders=d.orders,
                revenue={c: str(v) for c, v in sorted(d.revenue.items())},
            )
            for d in days
        ],
    )

"""Connected stores over the API: the Shopify connection and its settings, backfills run by
the worker, the synced catalogue, and refunds paid through the store."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from postpurchase.adapters.db.catalogue_store import list_products
from postpurchase.adapters.storefronts.refund_ports import refund_port
from postpurchase.adapters.storefronts.shopify import jobs
from postpurchase.adapters.storefronts.shopify.admin_api import AdminApiError
from postpurchase.adapters.storefronts.woocommerce.client import WooError
from postpurchase.bootstrap import Platform
from postpurchase.domain.errors import Conflict, NotFound
from postpurchase.domain.money import Money
from postpurchase.domain.storefronts import (
    BackfillState,
    BackfillStatus,
    RefundRequest,
    RefundRequestLine,
    StoreConnection,
    StorePlatform,
)
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep, ReadConn
from postpurchase.entrypoints.api.edge_types import Amount
from postpurchase.entrypoints.api.problems import Problem
from postpurchase.service_layer.storefronts.install import set_write_back
from postpurchase.service_layer.storefronts.refunds import platform_of, refund_order

router = APIRouter(prefix="/api/v1", tags=["integrations"])

BACKFILL_STATUS = "/api/v1/integrations/shopify/backfill"
ID_PATTERN = r"^[A-Za-z0-9:_-]{1,128}$"


def _state(state: BackfillState | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {
        "status": state.status.value,
        "since": state.since.isoformat() if state.since else None,
        "cursor": state.cursor,
        "imported": state.imported,
        "skipped": state.skipped,
        "last_error": state.last_error,
        "started_at": state.started_at.isoformat() if state.started_at else None,
        "updated_at": state.updated_at.isoformat() if state.updated_at else None,
    }


def connection_out(c: StoreConnection) -> dict[str, Any]:
    return {
        "platform": c.platform.value,
        "shop": c.shop,
        "status": c.status.value,
        "scopes": list(c.scopes),
        "settings": {"write_back_tracking": c.settings.write_back_tracking},
        "currency": c.settings.currency,
        "installed_at": c.installed_at.isoformat(),
        "uninstalled_at": c.uninstalled_at.isoformat() if c.uninstalled_at else None,
        "backfill": {kind: _state(s) for kind, s in sorted(c.backfills.items())},
    }


def _connection(platform: Platform, merchant_id: str) -> StoreConnection:
    with platform.uow() as uow:
        connection = uow.connections.get(merchant_id, StorePlatform.SHOPIFY)
    if connection is None:
        raise NotFound(
            "no Shopify store is connected: install the app from /shopify/install?shop=...",
            field="platform",
        )
    return connection


@router.get("/integrations/shopify")
def get_shopify(merchant: MerchantDep, platform: PlatformDep) -> dict[str, Any]:
    """Your Shopify connection: shop, status (active / uninstalled), granted scopes,
    settings and each backfill's progress."""
    return connection_out(_connection(platform, merchant.id))


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    write_back_tracking: bool = Field(
        description="Add tracking numbers Shopify does not have (labels, 3PLs, carrier "
        "polling) to the order in Shopify as fulfilments with tracking info."
    )


@router.patch("/integrations/shopify/settings")
def patch_shopify_settings(
    body: SettingsIn, merchant: MerchantDep, platform: PlatformDep
) -> dict[str, Any]:
    """Change the connection's settings."""
    done = set_write_back(
        platform.uow(), merchant.id, StorePlatform.SHOPIFY, body.write_back_tracking
    )
    return connection_out(done)


class BackfillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: date | None = Field(
        default=None, description="Import orders created on or after this day (all if unset)."
    )
    kind: Literal["all", "orders", "products"] = Field(
        default="all", description="Orders (with fulfilments and refunds), products, or both."
    )
    restart: bool = Field(
        default=False, description="Start over instead of resuming a stopped run."
    )


@router.post("/integrations/shopify/backfill", status_code=202)
def post_backfill(
    body: BackfillIn, merchant: MerchantDep, platform: PlatformDep, response: Response
) -> dict[str, Any]:
    """Import the shop's history in the worker (orders with their fulfilments and refunds,
    and the catalogue), page by page, idempotent with the webhooks. Answers 202 at once;
    `GET` the status URL for progress. A stopped run (revoked token, API error) resumes
    from its last page when asked again with the same `since`."""
    connection = _connection(platform, merchant.id)
    if not connection.active:
        raise Conflict(f"{connection.shop} uninstalled the app; install it again", field="shop")
    kinds = ("orders", "products") if body.kind == "all" else (body.kind,)
    now = platform.clock.now()
    for kind in kinds:
        held = connection.backfill(kind)
        fresh = (
            held is not None
            and held.updated_at is not None
            and ((now - held.updated_at).total_seconds() < 300)
        )
        if fresh and held is not None and held.status is BackfillStatus.RUNNING:
            raise Conflict(f"a {kind} backfill is running; see {BACKFILL_STATUS}", field="kind")
    states = {
        kind: _state(jobs.request_backfill(platform, merchant.id, kind, body.since,
                                           restart=body.restart))
        for kind in kinds
    }  # fmt: skip
    response.headers["Location"] = BACKFILL_STATUS
    return {"status_url": BACKFILL_STATUS, "backfill": states}


@router.get("/integrations/shopify/backfill")
def get_backfill(merchant: MerchantDep, platform: PlatformDep) -> dict[str, Any]:
    """Each backfill's progress: status (running / stopped / done), pages imported up to
    `cursor`, orders or products imported and skipped, the error that stopped it."""
    connection = _connection(platform, merchant.id)
    return {"backfill": {k: _state(s) for k, s in sorted(connection.backfills.items())}}


@router.get("/catalogue/products", tags=["catalogue"])
def get_products(
    merchant: MerchantDep,
    conn: ReadConn,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[str | None, Query(max_length=32, pattern=r"^[0-9a-f]{32}$")] = None,
    sku: Annotated[str | None, Query(max_length=255)] = None,
    include_deleted: bool = False,
) -> dict[str, Any]:
    """Your store's products and variants as last synced (backfill and products/*
    webhooks): title, SKU, price and currency, image, inventory policy and quantity,
    collections. Page with `after` = the previous page's `next_after`."""
    return list_products(
        conn, merchant.id, limit=limit, after=after, sku=sku, include_deleted=include_deleted
    )


class RefundLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: str = Field(pattern=ID_PATTERN, description="The store's line item id.")
    quantity: int = Field(ge=1, le=100000)
    restock: bool = Field(default=True, description="Put the items back in stock.")


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[RefundLineIn] = Field(default_factory=list, max_length=250)
    shipping: Amount | None = Field(
        default=None, description="Shipping to refund, in the order's currency."
    )
    note: str | None = Field(default=None, max_length=1000)
    to_store_credit: bool = Field(
        default=False, description="Refund as store credit instead of to the payment method."
    )
    idempotency_key: str = Field(
        pattern=r"^[!-~]{1,128}$",
        description="Your id for this refund (a return's RMA, a ticket): retrying with the "
        "same key answers the first result and never refunds twice.",
    )


def _refund(platform: Platform, merchant_id: str, order_id: str, body: RefundIn, key: str) -> Any:
    with platform.uow() as uow:
        order = uow.orders.get(merchant_id, order_id)
    if order is None:
        raise NotFound("no such order", field="order_id")
    store = platform_of(order.source)
    port = refund_port(platform.settings, store)
    if port is None:
        raise Conflict(f"refunds through {store} are not available", field="order_id")
    request = RefundRequest(
        order.external_id,
        order.currency,
        tuple(RefundRequestLine(x.line_id, x.quantity, x.restock) for x in body.lines),
        shipping=Money(body.shipping, order.currency) if body.shipping is not None else None,
        note=body.note,
        to_store_credit=body.to_store_credit,
        idempotency_key=key,
    )
    with port as stores:
        return refund_order(platform.uow(), platform.clock, stores, merchant_id, order_id, request)


@router.post(
    "/orders/{order_id}/refunds",
    status_code=201,
    tags=["orders"],
    responses={
        200: {"description": "Refunded before under this idempotency_key: that result"},
        502: {
            "description": "Shopify did not answer while refunding: the outcome is unknown "
            "until it is looked up (retry with the same key)",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        },
    },
)
async def post_refund(
    order_id: str,
    body: RefundIn,
    merchant: MerchantDep,
    platform: PlatformDep,
    response: Response,
) -> dict[str, Any]:
    """Refund lines and/or shipping of an order through its store (Shopify's refundCreate,
    store credit with `to_store_credit`; WooCommerce's order refunds, paid back through its
    payment gateway). Refused before the store is asked when it is more
    than what is still refundable (422 naming the line or `shipping`); 409 when the store
    refuses. Idempotent: retrying with the same `idempotency_key` answers the first result
    (200) and never pays twice."""
    key = body.idempotency_key
    try:
        outcome = await run_in_threadpool(_refund, platform, merchant.id, order_id, body, key)
    except (AdminApiError, WooError) as unknown:
        raise Problem(
            502,
            "Bad gateway",
            f"{unknown}; the refund may have been made: retry with the same idempotency_key "
            "in 10 minutes, when its outcome is looked up in the store before anything is paid",
            field="idempotency_key",
        ) from None
    if outcome.replayed:
        response.status_code = 200
    r = outcome.result
    return {
        "store_refund_id": r.store_refund_id,
        "amount": str(r.amount.amount),
        "currency": r.amount.currency,
        "shipping": str(r.shipping.amount),
        "store_credit": r.store_credit,
        "estimate": str(outcome.estimate.amount) if outcome.estimate else None,
        "replayed": outcome.replayed,
        "created_at": r.created_at.isoformat(),
        "lines": [
            {"line_id": x.store_line_id, "quantity": x.quantity, "amount": str(x.amount.amount)}
            for x in r.lines
        ],
    }

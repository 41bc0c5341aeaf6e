"""Orders and their shipments: /api/v1/orders."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BeforeValidator
from sqlalchemy import Connection

from postpurchase.adapters.db import read_models
from postpurchase.bootstrap import Platform
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import NotFound
from postpurchase.domain.money import Money
from postpurchase.domain.order_details import (
    Discount,
    OrderDetails,
    OrderTotals,
    service_level_of,
    stated_totals,
)
from postpurchase.domain.orders import LineFacts, OrderLineInput, Promise
from postpurchase.domain.status import OrderStatus
from postpurchase.entrypoints.api import estimate_views, presenters, schemas
from postpurchase.entrypoints.api.deps import BusDep, MerchantDep, PlatformDep, ReadConn

router = APIRouter(prefix="/api/v1", tags=["orders"])
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"  # base64url, as read_models.encode_cursor writes it


def _no_epoch(value: object) -> object:
    """A date-time filter is ISO 8601; Pydantic would also read "0.5" as seconds since 1970."""
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?[0-9.eE+-]+\s*", value):
        raise ValueError("an ISO 8601 date and time with its offset, e.g. 2026-01-31T00:00:00Z")
    return value


def address(a: schemas.AddressIn) -> Address:
    return Address(**a.model_dump())


def place_order_command(
    merchant_id: str, body: schemas.OrderCreate, source: str
) -> commands.PlaceOrder:
    currency = body.currency.upper()

    def m(amount: Decimal | None) -> Money | None:
        return None if amount is None else Money(amount, currency)

    lines = tuple(
        OrderLineInput(
            li.sku, li.name, li.quantity, Money(li.unit_price, currency), li.weight_grams,
            LineFacts(
                external_id=li.external_id, product_id=li.product_id, variant_id=li.variant_id,
                variant_title=li.variant_title, discount=m(li.discount), tax=m(li.tax),
                requires_shipping=li.requires_shipping, gift_card=li.gift_card,
                properties=tuple(li.properties.items()),
            ),
        )
        for li in body.lines
    )  # fmt: skip
    discounts = tuple(
        Discount(kind=d.kind, code=d.code, amount=Money(d.amount, currency), target=d.target)
        for d in body.discounts
    )
    shipping = Money(body.shipping_fee, currency)
    method = body.shipping_method
    return commands.PlaceOrder(
        merchant_id=merchant_id,
        external_id=body.external_id,
        number=body.number or body.external_id,
        email=body.email.lower() if body.email else None,
        phone=body.phone,
        customer_name=body.customer_name,
        locale=body.locale,
        currency=currency,
        lines=lines,
        shipping_address=address(body.shipping_address),
        shipping_fee=shipping,
        placed_at=body.placed_at,
        promise=Promise(body.promise.latest, body.promise.earliest) if body.promise else None,
        source=source,
        timezone=body.timezone,
        totals=api_totals(body, lines, discounts, shipping),
        details=OrderDetails(
            customer_name=body.customer_name,
            accepts_marketing=body.accepts_marketing,
            billing_address=address(body.billing_address) if body.billing_address else None,
            shipping_method=method.title if method else None,
            service_level=service_level_of(method.title, method.code) if method else None,
            note=body.note,
            note_attributes=tuple(body.note_attributes.items()),
            tags=tuple(body.tags),
            financial_status=body.financial_status,
            discounts=discounts,
        ),
    )


def api_totals(
    body: schemas.OrderCreate,
    lines: tuple[OrderLineInput, ...],
    discounts: tuple[Discount, ...],
    shipping: Money,
) -> OrderTotals:
    """The order's money: as given where the caller gave it, derived where not."""
    currency = shipping.currency

    def m(amount: Decimal | None) -> Money | None:
        return None if amount is None else Money(amount, currency)

    return stated_totals(
        lines, shipping, discounts,
        tax=m(body.tax), taxes_included=body.taxes_included,
        grand_total=m(body.total), paid=m(body.paid),
    )  # fmt: skip


@router.post(
    "/orders",
    response_model=schemas.OrderOut,
    status_code=201,
    responses={200: {"model": schemas.OrderOut, "description": "Created before: the stored order"}},
)
def create_order(
    body: schemas.OrderCreate,
    merchant: MerchantDep,
    bus: BusDep,
    platform: PlatformDep,
    response: Response,
) -> schemas.OrderOut:
    """Create an order. Idempotent by `external_id`: a repeat returns the stored order (200)."""
    result = bus.handle(place_order_command(merchant.id, body, "api"))
    if not result.created:
        response.status_code = 200
    with read_after(platform) as conn:
        return _order_or_404(conn, merchant.id, result.id, platform)


@router.get("/orders", response_model=schemas.OrderList)
def list_orders(
    merchant: MerchantDep,
    conn: ReadConn,
    platform: PlatformDep,
    status: OrderStatus | None = None,
    placed_from: Annotated[
        datetime | None, BeforeValidator(_no_epoch), Query(description="inclusive, ISO 8601")
    ] = None,
    placed_to: Annotated[
        datetime | None, BeforeValidator(_no_epoch), Query(description="exclusive, ISO 8601")
    ] = None,
    customer_id: Annotated[str | None, Query(max_length=64, pattern=schemas.LINE_PATTERN)] = None,
    email: Annotated[str | None, Query(max_length=254, pattern=schemas.LINE_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None,
        Query(max_length=512, pattern=CURSOR_PATTERN, description="`next_cursor` of a page"),
    ] = None,
) -> schemas.OrderList:
    """Newest first. Pass `next_cursor` back as `cursor` for the next page."""
    from postpurchase.domain.tracking import require_aware

    flt = read_models.OrderFilter(
        status=status.value if status else None,
        placed_from=require_aware(placed_from, field="placed_from") if placed_from else None,
        placed_to=require_aware(placed_to, field="placed_to") if placed_to else None,
        customer_id=customer_id,
        email=email.lower() if email else None,
    )
    rows, next_cursor = read_models.list_orders(conn, merchant.id, flt, limit=limit, cursor=cursor)
    base = platform.settings.base_url
    return schemas.OrderList(
        data=[presenters.order(r, base) for r in rows], next_cursor=next_cursor
    )


@router.get("/orders/{order_id}", response_model=schemas.OrderOut)
def get_order(
    order_id: str, merchant: MerchantDep, conn: ReadConn, platform: PlatformDep
) -> schemas.OrderOut:
    """One order, with the date the tracking page shows (layer and model behind it)."""
    return _order_or_404(conn, merchant.id, order_id, platform)


@router.post("/orders/{order_id}/cancel", response_model=schemas.OrderOut)
def cancel_order(
    order_id: str,
    merchant: MerchantDep,
    bus: BusDep,
    platform: PlatformDep,
    body: schemas.CancelIn | None = None,
) -> schemas.OrderOut:
    """Cancel an order not yet delivered. Cancelling twice is the same as once."""
    bus.handle(commands.CancelOrder(merchant.id, order_id, body.reason if body else None))
    with read_after(platform) as conn:
        return _order_or_404(conn, merchant.id, order_id, platform)


@router.post(
    "/orders/{order_id}/shipments",
    response_model=schemas.ShipmentOut,
    status_code=201,
    responses={
        200: {"model": schemas.ShipmentOut, "description": "Created before: the stored shipment"}
    },
)
def create_shipment(
    order_id: str,
    body: schemas.ShipmentCreate,
    merchant: MerchantDep,
    bus: BusDep,
    platform: PlatformDep,
    response: Response,
) -> schemas.ShipmentOut:
    """Add a shipment. Idempotent by tracking number (and `external_id`) within the order."""
    result = bus.handle(
        commands.CreateShipment(
            merchant_id=merchant.id,
            order_id=order_id,
            tracking_number=body.tracking_number,
            carrier=body.carrier,
            service=body.service,
            lines=tuple(commands.ShipmentLineInput(li.sku, li.quantity) for li in body.lines),
            origin=address(body.origin) if body.origin else None,
            external_id=body.external_id,
        )
    )
    if not result.created:
        response.status_code = 200
    with read_after(platform) as conn:
        return _shipment_or_404(conn, merchant.id, result.id)


@router.get("/shipments/{shipment_id}", response_model=schemas.ShipmentOut, tags=["shipments"])
def get_shipment(
    shipment_id: str, merchant: MerchantDep, conn: ReadConn, platform: PlatformDep
) -> schemas.ShipmentOut:
    """A shipment with its scan timeline, newest first, and the date the tracking page shows."""
    out = _shipment_or_404(conn, merchant.id, shipment_id)
    order = read_models.get_order(conn, merchant.id, out.order_id)
    shipment = next((s for s in (order or {}).get("shipments", []) if s["id"] == out.id), None)
    if order is not None and shipment is not None:
        out.estimate = estimate_views.estimate_of(
            order, shipment, platform.clock.now(), estimate_views.served(platform)
        )
    return out


def read_after(platform: Platform) -> Connection:
    """A read connection taken only once the command has committed: a write route holding
    one through the command would need two pooled connections per request, and a burst of
    writes would exhaust the pool (the Shopify benchmark saw it at 20 concurrent creates)."""
    return platform.engine.connect()


def _order_or_404(
    conn: ReadConn, merchant_id: str, order_id: str, platform: Platform
) -> schemas.OrderOut:
    """One order as every single-order answer gives it: with its dates (``estimate``)."""
    row = read_models.get_order(conn, merchant_id, order_id)
    if row is None:
        raise NotFound("no such order", field="order_id")
    return estimate_views.with_estimates(
        presenters.order(row, platform.settings.base_url), row, platform
    )


def _shipment_or_404(conn: ReadConn, merchant_id: str, shipment_id: str) -> schemas.ShipmentOut:
    row = read_models.get_shipment(conn, merchant_id, shipment_id)
    if row is None:
        raise NotFound("no such shipment", field="shipment_id")
    return presenters.shipment(row)

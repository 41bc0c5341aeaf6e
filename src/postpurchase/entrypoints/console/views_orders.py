"""Orders and shipments: the search page, an order, a shipment with its scans and messages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from postpurchase.adapters.db.console import (
    carriers_in_use,
    order_detail,
    search_orders,
    shipment_detail,
)
from postpurchase.domain.console import Attention, Principal, kinds_of, parse_order_query
from postpurchase.domain.console.attention import ParcelFacts
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import OrderStatus, ShipmentStatus
from postpurchase.entrypoints.console.auth import ConsoleNotFound, Viewer, platform_of
from postpurchase.entrypoints.console.reading import read
from postpurchase.entrypoints.console.rendering import render

router = APIRouter(prefix="/console", include_in_schema=False, tags=["console"])


@router.get("/orders")
async def orders(request: Request, me: Viewer) -> Response:
    carriers = await read(request, carriers_in_use, me.merchant_id)
    common: dict[str, Any] = {
        "nav": "orders", "order_statuses": list(OrderStatus),
        "shipment_statuses": list(ShipmentStatus), "carriers": carriers,
        "params": dict(request.query_params),
    }  # fmt: skip
    try:
        query = parse_order_query(request.query_params)
    except InvalidInput as exc:
        return render(
            request, me, "console/orders.html", status_code=400, rows=[], page=None,
            error=f"{exc.field}: {exc.message}", error_field=exc.field, **common,
        )  # fmt: skip
    rows, page = await read(request, search_orders, me.merchant_id, query)
    return render(
        request, me, "console/orders.html", rows=rows, page=page, query_obj=query, **common
    )


@router.get("/orders/{order_id}")
async def order(request: Request, me: Viewer, order_id: str) -> Response:
    found = await read(request, order_detail, me.merchant_id, order_id[:32])
    if found is None:
        raise ConsoleNotFound(me, "order")
    return render(request, me, "console/order.html", nav="orders", detail=found)


@router.get("/shipments/{shipment_id}")
async def shipment(request: Request, me: Viewer, shipment_id: str) -> Response:
    return await shipment_page(request, me, shipment_id)


async def shipment_page(
    request: Request, me: Principal, shipment_id: str, status_code: int = 200, **extra: Any
) -> Response:
    """The shipment page; an action that failed shows it again with its error."""
    found = await read(request, shipment_detail, me.merchant_id, shipment_id[:32])
    if found is None:
        raise ConsoleNotFound(me, "shipment")
    platform = platform_of(request)
    facts = ParcelFacts(
        found.status, found.substatus, found.tracking_valid, found.created_at,
        found.last_scan_at, found.order.promise,
    )  # fmt: skip
    kinds = kinds_of(facts, platform.clock.now(), platform.settings.no_scan_days)
    return render(
        request, me, "console/shipment.html", status_code=status_code, nav="orders", s=found,
        kinds=[k for k in Attention if k in kinds], **extra,
    )  # fmt: skip

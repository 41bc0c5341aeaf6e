"""Read-model rows -> response models."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from postpurchase.domain.money import Money
from postpurchase.entrypoints.api import schemas


def money(amount: Decimal, currency: str) -> schemas.MoneyOut:
    m = Money(Decimal(amount), currency).rounded()
    return schemas.MoneyOut(amount=str(m.amount), currency=currency)


def tracking_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/t/{token}"


def event(row: dict[str, Any]) -> schemas.TrackingEventOut:
    loc = {k: row[k] for k in ("city", "region", "postal_code", "country") if row.get(k)}
    return schemas.TrackingEventOut(
        occurred_at=row["occurred_at"],
        status=row["status"],
        substatus=row["substatus"],
        carrier_code=row["carrier_code"],
        description=row["description"],
        location=loc or None,
        source=row["source"],
        recognised=row["recognised"],
        correction=row["correction"],
        signed_by=row.get("signed_by"),
    )


def shipment(row: dict[str, Any]) -> schemas.ShipmentOut:
    events = row.get("events")
    return schemas.ShipmentOut(
        id=row["id"],
        order_id=row["order_id"],
        tracking_number=row["tracking_number"],
        carrier=row["carrier"],
        service=row["service"],
        tracking_valid=row["tracking_valid"],
        status=row["status"],
        substatus=row["substatus"],
        status_at=row["status_at"],
        created_at=row["created_at"],
        handed_over_at=row["handed_over_at"],
        delivered_at=row["delivered_at"],
        carrier_estimate=row["carrier_estimate"],
        last_event_at=row["last_event_at"],
        lines=[{"sku": sku, "quantity": qty} for _, sku, qty in row["lines"]],
        events=[event(e) for e in events] if events is not None else None,
        tracking_url=row.get("tracking_url"),
    )


def order(row: dict[str, Any], base_url: str) -> schemas.OrderOut:
    cur = row["currency"]
    subtotal = sum((Decimal(li["unit_price"]) * li["quantity"] for li in row["lines"]), Decimal(0))
    fee = Decimal(row["shipping_fee"])
    promise = (
        schemas.PromiseIn(latest=row["promise_latest"], earliest=row["promise_earliest"])
        if row["promise_latest"]
        else None
    )
    return schemas.OrderOut(
        id=row["id"],
        external_id=row["external_id"],
        number=row["number"],
        status=row["status"],
        email=row["email"],
        phone=row["phone"],
        customer_id=row["customer_id"],
        locale=row["locale"],
        currency=cur,
        lines=[
            schemas.OrderLineOut(
                id=li["id"],
                sku=li["sku"],
                name=li["name"],
                quantity=li["quantity"],
                unit_price=money(li["unit_price"], cur),
                weight_grams=li["weight_grams"],
            )
            for li in row["lines"]
        ],
        subtotal=money(subtotal, cur),
        shipping_fee=money(fee, cur),
        total=money(subtotal + fee, cur),
        shipping_address=row["shipping_address"],
        placed_at=row["placed_at"],
        promise=promise,
        source=row["source"],
        cancelled_at=row["cancelled_at"],
        tracking_url=tracking_url(base_url, row["tracking_token"]),
        shipments=[shipment(s) for s in row["shipments"]],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )

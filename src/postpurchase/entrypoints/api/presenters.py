"""Read-model rows -> response models."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from postpurchase.adapters.db import order_codec as codec
from postpurchase.domain.money import Money
from postpurchase.domain.order_details import OrderDetails
from postpurchase.entrypoints.api import schemas
from postpurchase.entrypoints.api.edd_schemas import OurPromiseOut


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


def _m(value: Money) -> schemas.MoneyOut:
    return money(value.amount, value.currency)


def _line(li: dict[str, Any], cur: str) -> schemas.OrderLineOut:
    facts = codec.facts_from(li.get("facts"), cur)
    gross = Money(Decimal(li["unit_price"]), cur) * li["quantity"]
    discount = facts.discount or Money.zero(cur)
    return schemas.OrderLineOut(
        id=li["id"],
        sku=li["sku"],
        name=li["name"],
        quantity=li["quantity"],
        unit_price=money(li["unit_price"], cur),
        weight_grams=li["weight_grams"],
        discount=_m(discount),
        paid=_m(gross - discount),
        tax=_m(facts.tax) if facts.tax else None,
        external_id=facts.external_id,
        product_id=facts.product_id,
        variant_id=facts.variant_id,
        variant_title=facts.variant_title,
        requires_shipping=facts.requires_shipping,
        gift_card=facts.gift_card,
        fulfillable_quantity=facts.fulfillable_quantity,
        properties=list(facts.properties),
        removed=facts.removed,
    )


def _details(d: OrderDetails) -> schemas.OrderDetailsOut:
    return schemas.OrderDetailsOut(
        customer_name=d.customer_name,
        accepts_marketing=d.accepts_marketing,
        billing_address=d.billing_address.as_dict() if d.billing_address else None,
        shipping_method=d.shipping_method,
        service_level=d.service_level.value if d.service_level else None,
        note=d.note,
        note_attributes=list(d.note_attributes),
        tags=list(d.tags),
        financial_status=d.financial_status,
        fulfillment_status=d.fulfillment_status,
        discounts=[
            schemas.DiscountOut(
                kind=x.kind,
                code=x.code,
                amount=_m(x.amount),
                target=x.target,
                value=x.value,
                value_type=x.value_type,
            )
            for x in d.discounts
        ],
        shipping_lines=[
            schemas.ShippingLineOut(
                title=x.title, code=x.code, price=_m(x.price), paid=_m(x.paid), source=x.source
            )
            for x in d.shipping_lines
        ],
        tax_lines=[
            schemas.TaxLineOut(title=x.title, rate=str(x.rate), amount=_m(x.amount))
            for x in d.tax_lines
        ],
    )


def _refund(r: dict[str, Any]) -> schemas.RefundOut:
    cur = r["currency"]
    return schemas.RefundOut(
        id=r["id"],
        external_id=r["external_id"],
        created_at=r["created_at"],
        amount=money(r["amount"], cur),
        shipping=money(r["shipping"], cur),
        lines=[{**x, "amount": money(Decimal(x["amount"]), cur).model_dump()} for x in r["lines"]],
        note=r["note"],
    )


def our_promise(order: dict[str, Any]) -> OurPromiseOut | None:
    """Our promise at purchase as stored on the order (``None`` for an order made before
    promises were stored, or a value this version cannot read)."""
    stored = order.get("our_estimate")
    if not isinstance(stored, dict):
        return None
    try:
        return OurPromiseOut.model_validate(stored)
    except ValueError:
        return None


def order(row: dict[str, Any], base_url: str) -> schemas.OrderOut:
    cur = row["currency"]
    totals = codec.row_totals(row)
    details = codec.details_from(row.get("details"), cur)
    refunded = sum((Decimal(r["amount"]) for r in row.get("refunds", ())), Decimal(0))
    promise = (
        schemas.PromiseIn(latest=row["promise_latest"], earliest=row["promise_earliest"])
        if row["promise_latest"]
        else None
    )
    shown = details.presentment_total
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
        lines=[_line(li, cur) for li in row["lines"]],
        subtotal=_m(totals.subtotal),
        shipping_fee=_m(totals.shipping),
        total=_m(totals.total),
        totals=schemas.TotalsOut(
            subtotal=_m(totals.subtotal),
            discounts=_m(totals.discounts),
            shipping=_m(totals.shipping),
            tax=_m(totals.tax),
            taxes_included=totals.taxes_included,
            total=_m(totals.total),
            paid=_m(totals.paid),
            refunded=money(refunded, cur),
            presentment=_m(shown) if shown is not None and shown.currency != cur else None,
        ),
        details=_details(details),
        refunds=[_refund(r) for r in row.get("refunds", ())],
        shipping_address=row["shipping_address"],
        placed_at=row["placed_at"],
        promise=promise,
        source=row["source"],
        cancelled_at=row["cancelled_at"],
        tracking_url=tracking_url(base_url, row["tracking_token"]),
        shipments=[shipment(s) for s in row["shipments"]],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        our_promise=our_promise(row),
    )

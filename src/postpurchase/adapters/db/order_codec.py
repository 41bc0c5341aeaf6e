"""Order money, details, line facts and shipment facts <-> the JSON documents that hold them.

Kept apart from the repositories so the shapes of these documents are in one place: the
repository that writes them, and the read models that show them, decode the same way.
Amounts are Decimal strings in JSON (never floats); a document from before a field existed
decodes with that field's default.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from postpurchase.domain.addresses import Address
from postpurchase.domain.money import Money, total
from postpurchase.domain.order_details import (
    Discount,
    OrderDetails,
    OrderTotals,
    ServiceLevel,
    ShippingLine,
    TaxLine,
)
from postpurchase.domain.orders import LineFacts
from postpurchase.domain.shipments import ShipmentFacts, UnmatchedLine


def _amount(m: Money | None) -> str | None:
    return None if m is None else str(m.amount)


def _money(value: Any, currency: str) -> Money | None:
    return None if value is None else Money(Decimal(str(value)), currency)


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in (value or []))


def totals_columns(t: OrderTotals) -> dict[str, Any]:
    return {
        "subtotal": t.subtotal.amount,
        "discounts_total": t.discounts.amount,
        "tax_total": t.tax.amount,
        "total": t.total.amount,
        "total_paid": t.paid.amount,
        "taxes_included": t.taxes_included,
    }


def totals_from(row: Mapping[str, Any], currency: str) -> OrderTotals | None:
    """None for rows stored before totals were (the order derives them from its lines)."""
    if row["total"] is None:
        return None

    def m(key: str) -> Money:
        return Money(Decimal(str(row[key])), currency)

    return OrderTotals(
        subtotal=m("subtotal"),
        discounts=m("discounts_total"),
        shipping=Money(Decimal(str(row["shipping_fee"])), currency),
        tax=m("tax_total"),
        total=m("total"),
        paid=m("total_paid"),
        taxes_included=bool(row["taxes_included"]),
    )


def _totals_doc(t: OrderTotals | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {**{k: str(v) for k, v in totals_columns(t).items() if k != "taxes_included"},
            "shipping": str(t.shipping.amount), "taxes_included": t.taxes_included}  # fmt: skip


def _totals_from(doc: Mapping[str, Any] | None, currency: str) -> OrderTotals | None:
    if not doc:
        return None
    return totals_from({**doc, "shipping_fee": doc["shipping"]}, currency)


def row_lines_total(row: Mapping[str, Any]) -> Money:
    """A read-model order's lines at list price (lines an edit removed left out)."""
    cur = row["currency"]
    return total(
        [
            Money(Decimal(str(li["unit_price"])), cur) * int(li["quantity"])
            for li in row["lines"]
            if not (li.get("facts") or {}).get("removed")
        ],
        cur,
    )


def row_totals(row: Mapping[str, Any]) -> OrderTotals:
    """A read-model order's totals: as stored, or, for rows stored before totals were,
    derived from its lines and shipping fee (as ``Order`` does on load)."""
    cur = row["currency"]
    stored = totals_from(row, cur)
    if stored is not None:
        return stored
    shipping = Money(Decimal(str(row["shipping_fee"])), cur)
    return OrderTotals.derived(row_lines_total(row), Money.zero(cur), shipping)


def details_doc(d: OrderDetails) -> dict[str, Any]:
    return {
        "customer_name": d.customer_name,
        "accepts_marketing": d.accepts_marketing,
        "billing_address": d.billing_address.as_dict() if d.billing_address else None,
        "shipping_method": d.shipping_method,
        "service_level": d.service_level.value if d.service_level else None,
        "note": d.note,
        "note_attributes": [list(p) for p in d.note_attributes],
        "tags": list(d.tags),
        "financial_status": d.financial_status,
        "fulfillment_status": d.fulfillment_status,
        "presentment_currency": d.presentment_currency,
        "presentment_total": _amount(d.presentment_total),
        "presentment_totals": _totals_doc(d.presentment_totals),
        "presentment_items": _amount(d.presentment_items),
        "discounts": [
            {
                "kind": x.kind,
                "code": x.code,
                "amount": _amount(x.amount),
                "target": x.target,
                "value": x.value,
                "value_type": x.value_type,
            }
            for x in d.discounts
        ],
        "shipping_lines": [
            {
                "title": s.title,
                "code": s.code,
                "price": _amount(s.price),
                "paid": _amount(s.paid),
                "source": s.source,
                "carrier_identifier": s.carrier_identifier,
            }
            for s in d.shipping_lines
        ],
        "tax_lines": [
            {"title": x.title, "rate": str(x.rate), "amount": _amount(x.amount)}
            for x in d.tax_lines
        ],
        "extra": dict(d.extra),
    }


def details_from(doc: Mapping[str, Any] | None, currency: str) -> OrderDetails:
    if not doc:
        return OrderDetails()
    shown = doc.get("presentment_currency")
    billing = doc.get("billing_address")
    level = doc.get("service_level")
    return OrderDetails(
        customer_name=doc.get("customer_name"),
        accepts_marketing=doc.get("accepts_marketing"),
        billing_address=Address.from_dict(billing) if billing else None,
        shipping_method=doc.get("shipping_method"),
        service_level=ServiceLevel(level) if level else None,
        note=doc.get("note"),
        note_attributes=_pairs(doc.get("note_attributes")),
        tags=tuple(doc.get("tags") or ()),
        financial_status=doc.get("financial_status"),
        fulfillment_status=doc.get("fulfillment_status"),
        presentment_currency=shown,
        presentment_total=_money(doc.get("presentment_total"), shown) if shown else None,
        presentment_totals=_totals_from(doc.get("presentment_totals"), shown) if shown else None,
        presentment_items=_money(doc.get("presentment_items"), shown) if shown else None,
        discounts=tuple(
            Discount(
                kind=x["kind"],
                code=x.get("code"),
                amount=Money(Decimal(x["amount"]), currency),
                target=x.get("target", "lines"),
                value=x.get("value"),
                value_type=x.get("value_type"),
            )
            for x in doc.get("discounts") or ()
        ),
        shipping_lines=tuple(
            ShippingLine(
                title=s["title"],
                price=Money(Decimal(s["price"]), currency),
                paid=Money(Decimal(s["paid"]), currency),
                code=s.get("code"),
                source=s.get("source"),
                carrier_identifier=s.get("carrier_identifier"),
            )
            for s in doc.get("shipping_lines") or ()
        ),
        tax_lines=tuple(
            TaxLine(x["title"], Decimal(x["rate"]), Money(Decimal(x["amount"]), currency))
            for x in doc.get("tax_lines") or ()
        ),
        extra={str(k): str(v) for k, v in (doc.get("extra") or {}).items()},
    )


def facts_doc(f: LineFacts) -> dict[str, Any] | None:
    if f == LineFacts():
        return None
    return {
        "external_id": f.external_id,
        "product_id": f.product_id,
        "variant_id": f.variant_id,
        "variant_title": f.variant_title,
        "discount": _amount(f.discount),
        "tax": _amount(f.tax),
        "requires_shipping": f.requires_shipping,
        "gift_card": f.gift_card,
        "fulfillable_quantity": f.fulfillable_quantity,
        "properties": [list(p) for p in f.properties],
        "removed": f.removed,
    }


def ships(doc: Mapping[str, Any] | None) -> bool:
    """Whether a stored line is one a parcel carries (see ``OrderLine.ships``)."""
    if not doc:
        return True
    return bool(
        doc.get("requires_shipping", True)
        and not doc.get("gift_card", False)
        and not doc.get("removed", False)
    )


def facts_from(doc: Mapping[str, Any] | None, currency: str) -> LineFacts:
    if not doc:
        return LineFacts()
    return LineFacts(
        external_id=doc.get("external_id"),
        product_id=doc.get("product_id"),
        variant_id=doc.get("variant_id"),
        variant_title=doc.get("variant_title"),
        discount=_money(doc.get("discount"), currency),
        tax=_money(doc.get("tax"), currency),
        requires_shipping=doc.get("requires_shipping", True),
        gift_card=doc.get("gift_card", False),
        fulfillable_quantity=doc.get("fulfillable_quantity"),
        properties=_pairs(doc.get("properties")),
        removed=doc.get("removed", False),
    )


def shipment_facts_doc(f: ShipmentFacts) -> dict[str, Any] | None:
    if f == ShipmentFacts():
        return None
    return {
        "tracking_urls": list(f.tracking_urls),
        "name": f.name,
        "location_id": f.location_id,
        "carrier_name": f.carrier_name,
        "unmatched_lines": [
            {
                "sku": u.sku,
                "quantity": u.quantity,
                "title": u.title,
                "line_external_id": u.line_external_id,
            }
            for u in f.unmatched_lines
        ],
    }


def shipment_facts_from(doc: Mapping[str, Any] | None) -> ShipmentFacts:
    if not doc:
        return ShipmentFacts()
    return ShipmentFacts(
        tracking_urls=tuple(doc.get("tracking_urls") or ()),
        name=doc.get("name"),
        location_id=doc.get("location_id"),
        carrier_name=doc.get("carrier_name"),
        unmatched_lines=tuple(
            UnmatchedLine(u["sku"], int(u["quantity"]), u.get("title"), u.get("line_external_id"))
            for u in doc.get("unmatched_lines") or ()
        ),
    )

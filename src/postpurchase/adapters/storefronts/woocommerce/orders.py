"""WooCommerce orders (REST API v3 and ``order.*`` webhook bodies: the same JSON) as
complete ``PlaceOrder`` snapshots, on the same domain objects as Shopify's and the CSV's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from postpurchase.adapters.storefronts.woocommerce import money
from postpurchase.adapters.storefronts.woocommerce.read import (
    Amounts,
    address,
    child,
    currency,
    flag,
    gmt,
    line_sku,
    meta_value,
    objects,
    optional_woo_id,
    public_pairs,
    quantity,
    text,
    woo_id,
)
from postpurchase.adapters.storefronts.woocommerce.topics import SOURCE
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, total
from postpurchase.domain.order_details import OrderDetails, service_level_of
from postpurchase.domain.orders import LineFacts, OrderLineInput

# WooCommerce statuses that end an order here: cancelled, or moved to the bin
CANCELLED_STATUSES = {"cancelled": "cancelled in WooCommerce", "trash": "deleted in WooCommerce"}


def _line(where: str, item: Mapping[str, Any], shown: money.Shown) -> OrderLineInput | None:
    """One product line, at list price with its discount and tax. None for quantity 0."""
    count = quantity(item.get("quantity"), f"{where}.quantity")
    if count == 0:
        return None
    listed = shown.item(item, "subtotal", "subtotal_tax", where)
    paid = shown.item(item, "total", "total_tax", where)
    unit = shown.amounts.unit(listed, count)
    if unit * count < paid:  # a line charged above its list price: read it at what was paid
        unit = shown.amounts.unit(paid, count)
    pairs = public_pairs(item, f"{where}.")
    variation = optional_woo_id(item.get("variation_id"), f"{where}.variation_id")
    name = text(item, "name", f"{where}.name")
    sku = line_sku(item)
    facts = LineFacts(
        external_id=optional_woo_id(item.get("id"), f"{where}.id"),
        product_id=optional_woo_id(item.get("product_id"), f"{where}.product_id"),
        variant_id=variation,
        variant_title=" / ".join(v for _, v in pairs) or None if variation else None,
        discount=unit * count - paid,
        tax=shown.amounts.get(item, "total_tax", f"{where}.total_tax"),
        properties=pairs,
    )
    try:
        return OrderLineInput(sku=sku, name=name or sku, quantity=count, unit_price=unit,
                              facts=facts)  # fmt: skip
    except InvalidInput as bad:
        raise InvalidInput(bad.message, field=f"{where}.{bad.field}") from None


def _fee(where: str, fee: Mapping[str, Any], shown: money.Shown) -> OrderLineInput | None:
    """A positive fee (gift wrap, a payment surcharge) as a line nothing ships; negative
    fees are discounts (``money.negative_fees``)."""
    amount = shown.item(fee, "total", "total_tax", where)
    if amount.is_negative() or amount.amount == 0:
        return None
    fee_id = optional_woo_id(fee.get("id"), f"{where}.id")
    name = text(fee, "name", f"{where}.name") or "Fee"
    return OrderLineInput(
        sku=f"fee-{fee_id}" if fee_id else f"fee-{name}",
        name=name,
        quantity=1,
        unit_price=amount,
        facts=LineFacts(
            external_id=fee_id,
            tax=shown.amounts.get(fee, "total_tax", f"{where}.total_tax"),
            requires_shipping=False,
        ),
    )


def _lines(order: Mapping[str, Any], shown: money.Shown) -> tuple[OrderLineInput, ...]:
    if not order.get("line_items"):
        raise InvalidInput("an order needs at least one line item", field="line_items")
    found = [
        line
        for where, item in objects(order, "line_items", "line_items")
        if (line := _line(where, item, shown)) is not None
    ]
    if not found:
        raise InvalidInput("every line item has quantity 0", field="line_items")
    fees = [
        line
        for where, fee in objects(order, "fee_lines", "fee_lines")
        if (line := _fee(where, fee, shown)) is not None
    ]
    return (*found, *fees)


def _status(order: Mapping[str, Any]) -> str:
    return (text(order, "status") or "pending").lower()


def _financial(order: Mapping[str, Any], status: str, amounts: Amounts) -> str:
    """Our financial vocabulary (Shopify's): paid, pending, failed, refunded,
    partially_refunded."""
    given_back = money.refunded(order, amounts)
    if status == "refunded":
        return "refunded"
    if given_back.amount > 0:
        return "partially_refunded"
    if money.is_paid(order, status):
        return "paid"
    return "failed" if status == "failed" else "pending"


def _details(
    order: Mapping[str, Any], shown: money.Shown, status: str, customer_name: str | None
) -> OrderDetails:
    shipping = money.shipping_lines(order, shown)
    method = shipping[0] if shipping else None
    extra = {"woocommerce_status": status}
    for key in ("order_key", "payment_method_title", "created_via"):
        value = order.get(key)
        if isinstance(value, str) and value:
            extra[key] = value
    return OrderDetails(
        customer_name=customer_name,
        billing_address=address(child(order, "billing"), "billing"),
        shipping_method=method.title if method else None,
        service_level=service_level_of(method.title, method.code) if method else None,
        note=text(order, "customer_note"),
        note_attributes=public_pairs(order, ""),
        financial_status=_financial(order, status, shown.amounts),
        fulfillment_status="fulfilled" if status == "completed" else None,
        discounts=money.discounts(order, shown),
        shipping_lines=shipping,
        tax_lines=money.tax_lines(order, shown.amounts),
        extra=extra,
    )


def _locale(order: Mapping[str, Any]) -> str:
    """The shopper's language where a multilingual plugin records it (WPML's
    ``wpml_language``, Polylang's ``pll_language``), else ``en``."""
    for key in ("wpml_language", "pll_language"):
        value = meta_value(order, key)
        if isinstance(value, str) and 2 <= len(value.strip()) <= 12:
            return value.strip()
    return "en"


def parse_order(payload: Mapping[str, Any], *, merchant_id: str) -> PlaceOrder:
    """A WooCommerce order as a complete ``PlaceOrder`` snapshot, stamped with
    ``date_modified_gmt`` so an older snapshot never rolls a newer one back."""
    external_id = woo_id(payload.get("id"), "id")
    code = currency(payload.get("currency"), "currency")
    with_tax = flag(payload, "prices_include_tax") is True
    shown = money.Shown(Amounts(code), with_tax)
    status = _status(payload)

    lines = _lines(payload, shown)
    fee = money.shipping_paid(payload, shown)
    placed_at = gmt(payload, "date_created_gmt")
    if placed_at is None:
        raise InvalidInput("date_created_gmt is required", field="date_created_gmt")
    updated_at = gmt(payload, "date_modified_gmt") or placed_at

    billing = child(payload, "billing")
    shipping = child(payload, "shipping")
    destination = address(shipping, "shipping") or address(billing, "billing")
    if destination is None:
        raise InvalidInput("the order has no shipping or billing country", field="shipping.country")
    buyer = " ".join(
        p for p in (text(billing, "first_name", "billing.first_name"),
                    text(billing, "last_name", "billing.last_name")) if p
    ) or destination.name  # fmt: skip
    lines_paid = total([li.unit_price * li.quantity - (li.facts.discount or Money.zero(code))
                        for li in lines], code)  # fmt: skip
    number = text(payload, "number") or external_id
    cancelled = status in CANCELLED_STATUSES
    return PlaceOrder(
        merchant_id=merchant_id,
        external_id=external_id,
        number=number if number.startswith("#") else f"#{number}",
        email=text(billing, "email", "billing.email"),
        phone=text(shipping, "phone", "shipping.phone") or text(billing, "phone", "billing.phone"),
        customer_name=buyer,
        locale=_locale(payload),
        currency=code,
        lines=lines,
        shipping_address=destination,
        shipping_fee=fee,
        placed_at=placed_at,
        source=SOURCE,
        totals=money.totals(payload, shown, lines_paid, fee, status),
        details=_details(payload, shown, status, buyer),
        source_updated_at=updated_at,
        cancelled_at=updated_at if cancelled else None,
        cancel_reason=CANCELLED_STATUSES.get(status),
    )

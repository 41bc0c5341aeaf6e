"""Shopify Orders (``orders/create``, ``orders/updated``, ``orders/cancelled`` bodies, or a
REST/GraphQL backfill in the REST shape) as complete ``PlaceOrder`` snapshots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from postpurchase.adapters.storefronts.json_fields import (
    Payload,
    child,
    currency,
    flag,
    objects,
    quantity,
    text,
)
from postpurchase.adapters.storefronts.shopify import order_money
from postpurchase.adapters.storefronts.shopify.read import (
    Prices,
    destination,
    line_sku,
    optional_address,
    optional_id,
    optional_quantity,
    pairs,
    shopify_id,
    timestamp,
    unwrap,
)
from postpurchase.adapters.storefronts.shopify.topics import SOURCE
from postpurchase.domain.addresses import Address
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, total
from postpurchase.domain.order_details import OrderDetails, ShippingLine, service_level_of
from postpurchase.domain.orders import LineFacts, OrderLineInput


@dataclass(frozen=True, slots=True)
class CancelByExternalId:
    """Cancel the order the store knows as ``external_id`` (our id is resolved by the caller).

    ``parse_webhook`` now answers ``orders/cancelled`` with a full ``PlaceOrder`` snapshot
    (``cancelled_at`` set); this stays for callers that only want the cancellation."""

    external_id: str
    reason: str | None
    at: datetime


def _line(where: str, item: Mapping[str, Any], prices: Prices) -> OrderLineInput | None:
    """One line item, or None for a line with quantity 0 (nothing was ever ordered on it).

    Order edits: Shopify keeps ``quantity`` as ordered and lowers ``current_quantity`` (the
    quantity less what was removed). A line still to ship carries ``current_quantity``; a
    line edited down to 0 is kept (refunds and shipments may name it) with its ordered
    quantity and ``removed`` set, so no one waits for it to ship."""
    ordered = quantity(item.get("quantity"), f"{where}.quantity")
    if ordered == 0:
        return None
    current = optional_quantity(item.get("current_quantity"), f"{where}.current_quantity")
    price = prices.required(item, "price", f"{where}.price")
    allocated = order_money.allocations(item, where, prices)
    taxes = [
        prices.required(tax, "price", f"{at}.price")
        for at, tax in objects(item, "tax_lines", f"{where}.tax_lines")
    ]
    grams = item.get("grams")
    name = text(item, "name", f"{where}.name") or text(item, "title", f"{where}.title")
    sku = line_sku(item)
    facts = LineFacts(
        external_id=optional_id(item.get("id"), f"{where}.id", "LineItem"),
        product_id=optional_id(item.get("product_id"), f"{where}.product_id", "Product"),
        variant_id=optional_id(item.get("variant_id"), f"{where}.variant_id", "ProductVariant"),
        variant_title=text(item, "variant_title", f"{where}.variant_title"),
        discount=None
        if allocated is None
        else Money(sum((a for _, a in allocated), Decimal(0)), prices.currency),
        tax=total(taxes, prices.currency) if item.get("tax_lines") is not None else None,
        requires_shipping=flag(item, "requires_shipping", f"{where}.requires_shipping")
        is not False,
        gift_card=flag(item, "gift_card", f"{where}.gift_card") is True,
        fulfillable_quantity=optional_quantity(
            item.get("fulfillable_quantity"), f"{where}.fulfillable_quantity"
        ),
        properties=pairs(item, "properties", f"{where}.properties"),
        removed=current == 0,
    )
    try:
        return OrderLineInput(
            sku=sku,
            name=name or sku,
            quantity=current if current else ordered,
            unit_price=price,
            weight_grams=grams if type(grams) is int and grams >= 0 else None,
            facts=facts,
        )
    except InvalidInput as bad:
        key = {"discount": "discount_allocations"}.get(bad.field or "", bad.field)
        raise InvalidInput(bad.message, field=f"{where}.{key}") from None


def _lines(order: Mapping[str, Any], prices: Prices) -> tuple[OrderLineInput, ...]:
    """Every line, gift cards and digital goods included (their facts say they do not
    ship). An order with no line that requires shipping is refused: it is not ours to
    track. Lines removed by an edit still count: the order was one of goods."""
    if not order.get("line_items"):
        raise InvalidInput("an order needs at least one line item", field="line_items")
    lines = [
        line
        for where, item in objects(order, "line_items", "line_items")
        if (line := _line(where, item, prices)) is not None
    ]
    if not any(li.facts.requires_shipping and not li.facts.gift_card for li in lines):
        raise InvalidInput("no line item requires shipping", field="line_items")
    return tuple(lines)


def _full_name(data: Mapping[str, Any], field: str) -> str | None:
    first = text(data, "first_name", f"{field}.first_name")
    last = text(data, "last_name", f"{field}.last_name")
    return " ".join(p for p in (first, last) if p) or None


def _accepts_marketing(order: Mapping[str, Any], customer: Mapping[str, Any]) -> bool | None:
    """The customer's email consent as it stands (``subscribed`` or not), else the box the
    buyer ticked at checkout (``buyer_accepts_marketing``)."""
    consent = child(customer, "email_marketing_consent")
    state = text(consent, "state", "customer.email_marketing_consent.state")
    if state is not None:
        return state.lower() == "subscribed"
    return flag(order, "buyer_accepts_marketing")


def _details(
    order: Mapping[str, Any],
    prices: Prices,
    shop_currency: str | None,
    shipping: tuple[ShippingLine, ...],
    customer_name: str | None,
) -> OrderDetails:
    customer = child(order, "customer")
    billing = optional_address(order, "billing_address")
    method = shipping[0] if shipping else None
    raw_presentment = order.get("presentment_currency")
    shown: str | None = None
    shown_total: Money | None = None
    if raw_presentment is not None:
        shown = currency(raw_presentment, "presentment_currency")
        if shop_currency is None or shown == shop_currency:
            shown = None
        elif prices.presentment:
            shown_total = prices.optional(order, "total_price", "total_price")
        else:
            shown_total = Prices(shown, presentment=True).optional(
                order, "total_price", "total_price"
            )
    gid = order.get("admin_graphql_api_id")
    allocated = order_money.allocated_by_application(order, prices)
    return OrderDetails(
        customer_name=_full_name(customer, "customer")
        or (billing.name if billing else None)
        or customer_name,
        accepts_marketing=_accepts_marketing(order, customer),
        billing_address=billing,
        shipping_method=method.title if method else None,
        service_level=service_level_of(method.title, method.code) if method else None,
        note=text(order, "note"),
        note_attributes=pairs(order, "note_attributes", "note_attributes"),
        tags=order_money.tags(order),
        financial_status=text(order, "financial_status"),
        fulfillment_status=text(order, "fulfillment_status"),
        presentment_currency=shown,
        presentment_total=shown_total,
        discounts=order_money.discounts(order, prices, allocated),
        shipping_lines=shipping,
        tax_lines=order_money.tax_lines(order, prices),
        extra={"admin_graphql_api_id": gid} if isinstance(gid, str) and gid else {},
    )


def _with_presentment(order: Mapping[str, Any], details: OrderDetails, shown: str) -> OrderDetails:
    """The order's money again in the currency the shopper paid in, from the
    ``*_set.presentment_money`` amounts; unchanged when the payload lacks some of them."""
    prices = Prices(shown, presentment=True)
    try:
        lines = _lines(order, prices)
        fee = order_money.shipping_paid(order, order_money.shipping_lines(order, prices), prices)
        totals = order_money.totals(order, prices, fee)
    except InvalidInput:
        return details
    if totals is None:
        return details
    items = total([li.unit_price * li.quantity for li in lines if not li.facts.removed], shown)
    return replace(
        details, presentment_totals=totals, presentment_items=items, presentment_total=totals.total
    )


def _customer_name(order: Mapping[str, Any], address: Address) -> str | None:
    if address.name:
        return address.name
    return _full_name(child(order, "customer"), "customer")


def parse_order(
    payload: Payload,
    *,
    merchant_id: str,
    use_presentment_currency: bool = False,
) -> PlaceOrder:
    """A Shopify Order as a complete ``PlaceOrder`` snapshot (see the package docstring)."""
    order = unwrap(payload, "order")
    external_id = shopify_id(order.get("id"), "id", "Order")
    currency_key = "presentment_currency" if use_presentment_currency else "currency"
    order_currency = currency(order.get(currency_key), currency_key)
    shop_currency = (
        currency(order["currency"], "currency") if order.get("currency") is not None else None
    )
    prices = Prices(order_currency, presentment=use_presentment_currency)

    lines = _lines(order, prices)
    shipping = order_money.shipping_lines(order, prices)
    fee = order_money.shipping_paid(order, shipping, prices)
    placed_at = timestamp(order, "created_at", "created_at") or timestamp(
        order, "processed_at", "processed_at"
    )
    if placed_at is None:
        raise InvalidInput("created_at is required", field="created_at")

    address = destination(order)
    customer = child(order, "customer")
    email = (
        text(order, "email")
        or text(order, "contact_email")
        or text(customer, "email", "customer.email")
    )
    phone = text(order, "phone") or address.phone or text(customer, "phone", "customer.phone")
    number = text(order, "name")
    if number is None and order.get("order_number") is not None:
        number = f"#{order['order_number']}"
    customer_name = _customer_name(order, address)
    details = _details(order, prices, shop_currency, shipping, customer_name)
    if details.presentment_currency and not use_presentment_currency:
        details = _with_presentment(order, details, details.presentment_currency)
    return PlaceOrder(
        merchant_id=merchant_id,
        external_id=external_id,
        number=number or external_id,
        email=email,
        phone=phone,
        customer_name=customer_name,
        locale=text(order, "customer_locale") or "en",
        currency=order_currency,
        lines=lines,
        shipping_address=address,
        shipping_fee=fee,
        placed_at=placed_at,
        source=SOURCE,
        totals=order_money.totals(order, prices, fee),
        details=details,
        source_updated_at=timestamp(order, "updated_at", "updated_at"),
        cancelled_at=timestamp(order, "cancelled_at", "cancelled_at"),
        cancel_reason=text(order, "cancel_reason"),
    )


def parse_cancellation(payload: Payload) -> CancelByExternalId:
    """An ``orders/cancelled`` body (a full Order with ``cancelled_at`` set)."""
    order = unwrap(payload, "order")
    at = timestamp(order, "cancelled_at", "cancelled_at") or timestamp(
        order, "updated_at", "updated_at"
    )
    if at is None:
        raise InvalidInput("cancelled_at is required", field="cancelled_at")
    return CancelByExternalId(
        external_id=shopify_id(order.get("id"), "id", "Order"),
        reason=text(order, "cancel_reason"),
        at=at,
    )

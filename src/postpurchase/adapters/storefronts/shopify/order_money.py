"""An order's money as Shopify computed it: totals, what was paid, discounts, shipping and
tax lines. The amounts are taken as reported, never recomputed (see ``domain.order_details``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from postpurchase.adapters.storefronts.json_fields import flag, objects, text
from postpurchase.adapters.storefronts.shopify.read import Prices, rate
from postpurchase.adapters.storefronts.shopify.refunds import returned
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, minor_units, parse_amount, total
from postpurchase.domain.order_details import Discount, OrderTotals, ShippingLine, TaxLine

# financial_status values meaning the whole total was received (refunds are recorded apart)
_PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})

_DISCOUNT_KINDS = {
    "discount_code": "code",
    "automatic": "automatic",
    "manual": "manual",
    "script": "script",
}

# OrderTotals' field -> the Shopify field it was read from (for error paths)
_TOTALS_FIELDS = {
    "subtotal": "subtotal_price",
    "discounts": "total_discounts",
    "shipping": "shipping_lines",
    "tax": "total_tax",
    "total": "total_price",
    "paid": "total_outstanding",
}


def allocations(
    item: Mapping[str, Any], where: str, prices: Prices
) -> list[tuple[int, Decimal]] | None:
    """A line's ``discount_allocations`` as (application index, amount); None when the line
    has no such list (a trimmed payload), so "no discount" and "not said" stay apart."""
    if item.get("discount_allocations") is None:
        return None
    found: list[tuple[int, Decimal]] = []
    for at, alloc in objects(item, "discount_allocations", f"{where}.discount_allocations"):
        index = alloc.get("discount_application_index", 0)
        if type(index) is not int or index < 0:
            raise InvalidInput(
                "must be a non-negative integer", field=f"{at}.discount_application_index"
            )
        found.append((index, prices.required(alloc, "amount", f"{at}.amount").amount))
    return found


def shipping_lines(order: Mapping[str, Any], prices: Prices) -> tuple[ShippingLine, ...]:
    """The shipping lines the shopper pays for (Shopify's ``is_removed`` ones left out)."""
    found: list[ShippingLine] = []
    for where, line in objects(order, "shipping_lines", "shipping_lines"):
        if line.get("is_removed") is True:
            continue
        price = prices.optional(line, "price", f"{where}.price")
        paid = prices.optional(line, "discounted_price", f"{where}.discounted_price")
        if price is None:
            if paid is None:
                raise InvalidInput("amount is required", field=f"{where}.price")
            price = paid
        found.append(
            ShippingLine(
                title=text(line, "title", f"{where}.title")
                or text(line, "code", f"{where}.code")
                or "Shipping",
                price=price,
                paid=paid if paid is not None else price,
                code=text(line, "code", f"{where}.code"),
                source=text(line, "source", f"{where}.source"),
                carrier_identifier=text(line, "carrier_identifier", f"{where}.carrier_identifier"),
            )
        )
    return tuple(found)


def shipping_paid(
    order: Mapping[str, Any], lines: tuple[ShippingLine, ...], prices: Prices
) -> Money:
    """The sum of the lines' discounted prices; a payload without ``shipping_lines`` at all
    falls back to ``total_shipping_price_set``."""
    if order.get("shipping_lines") is None:
        fallback = prices.optional(order, "total_shipping_price", "total_shipping_price")
        if fallback is not None:
            return fallback
    return total([line.paid for line in lines], prices.currency)


def tax_lines(order: Mapping[str, Any], prices: Prices) -> tuple[TaxLine, ...]:
    found: list[TaxLine] = []
    for where, line in objects(order, "tax_lines", "tax_lines"):
        raw_rate = line.get("rate")
        found.append(
            TaxLine(
                title=text(line, "title", f"{where}.title") or "Tax",
                rate=Decimal(0) if raw_rate is None else rate(raw_rate, f"{where}.rate"),
                amount=prices.required(line, "price", f"{where}.price"),
            )
        )
    return tuple(found)


def in_presentment(order: Mapping[str, Any], shop_amount: Decimal, prices: Prices) -> Decimal:
    """A shop-money amount Shopify gives no presentment twin for (``total_outstanding``,
    ``discount_codes[].amount``), in the presentment currency: exact at 0 and at the whole
    total, else in proportion to the two totals, rounded to the currency's minor unit."""
    if not prices.presentment or shop_amount == 0:
        return shop_amount
    shop_total = order.get("total_price")
    shown = prices.amount(order, "total_price", "total_price")
    if shop_total is None or shown is None:
        raise InvalidInput("the presentment total is needed to convert", field="total_price_set")
    whole = parse_amount(shop_total, field="total_price")
    if whole == 0 or shop_amount == whole:
        return shown if shop_amount == whole else Decimal(0)
    quantum = Decimal(1).scaleb(-minor_units(prices.currency))
    return (shown * shop_amount / whole).quantize(quantum)


def paid(order: Mapping[str, Any], prices: Prices, grand: Money) -> Money:
    """What the store has received, refunds not taken off (they are recorded apart).

    Shopify's ``total_outstanding`` is what is still owed on the current total (the total
    less removed lines and refunds), so what was received is ``current_total_price -
    total_outstanding`` plus what the order's ``refunds[]`` gave back; without
    ``current_total_price`` it is ``total_price - total_outstanding``. Never below 0.
    Without ``total_outstanding``: the whole total when ``financial_status`` is paid (or
    refunded from paid), else 0 (``partially_paid`` alone says not how much)."""
    outstanding = prices.amount(order, "total_outstanding", "total_outstanding")
    if outstanding is None and prices.presentment and order.get("total_outstanding") is not None:
        shop = parse_amount(order["total_outstanding"], field="total_outstanding")
        outstanding = in_presentment(order, shop, prices)
    if outstanding is None:
        status = (text(order, "financial_status") or "").lower()
        return grand if status in _PAID_STATUSES else prices.zero()
    current = prices.amount(order, "current_total_price", "current_total_price")
    received = grand.amount - outstanding
    if current is not None:
        given_back = [
            returned(refund, prices, f"{where}.")
            for where, refund in objects(order, "refunds", "refunds")
        ]
        received = current - outstanding + total(given_back, prices.currency).amount
    return Money(max(received, Decimal(0)), prices.currency)


def totals(order: Mapping[str, Any], prices: Prices, shipping: Money) -> OrderTotals | None:
    """The order's money as placed, including order edits but before refunds (refunds come
    as ``refunds/create`` and are recorded apart; the ``current_*`` fields subtract them and
    would count them twice). None when the payload has no ``total_price`` at all: the lines
    then give the totals."""
    grand = prices.optional(order, "total_price", "total_price")
    if grand is None:
        return None
    zero = prices.zero()
    subtotal = prices.required(order, "subtotal_price", "subtotal_price")
    discounts = prices.optional(order, "total_discounts", "total_discounts") or zero
    tax = prices.optional(order, "total_tax", "total_tax") or zero
    received = paid(order, prices, grand)
    included = flag(order, "taxes_included") or False
    try:
        return OrderTotals(subtotal, discounts, shipping, tax, grand, received, included)
    except InvalidInput as bad:
        raise InvalidInput(bad.message, field=_TOTALS_FIELDS.get(bad.field or "")) from None


def _value(app: Mapping[str, Any], where: str) -> str | None:
    value = app.get("value")
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # a percentage or an amount as stated, not money we add up
    raise InvalidInput("must be a string", field=f"{where}.value")


def discounts(
    order: Mapping[str, Any], prices: Prices, allocated: Mapping[int, Decimal]
) -> tuple[Discount, ...]:
    """One per ``discount_applications`` entry, its amount the sum of its allocations over
    lines and shipping lines. An application a ``discount_codes`` entry names is a code the
    shopper typed (kind "code") even where Shopify files it as manual; codes no application
    names are added with the amount ``discount_codes`` gives."""
    codes: dict[str, tuple[str, Mapping[str, Any], str]] = {}
    for where, entry in objects(order, "discount_codes", "discount_codes"):
        code = text(entry, "code", f"{where}.code")
        if code:
            codes.setdefault(code.casefold(), (code, entry, where))
    found: list[Discount] = []
    for i, (where, app) in enumerate(
        objects(order, "discount_applications", "discount_applications")
    ):
        raw_type = text(app, "type", f"{where}.type") or "manual"
        named = text(app, "code", f"{where}.code") or text(app, "title", f"{where}.title")
        named = named or text(app, "description", f"{where}.description")
        typed = codes.pop(named.casefold(), None) if named else None
        found.append(
            Discount(
                kind="code" if typed else _DISCOUNT_KINDS.get(raw_type, raw_type),
                code=typed[0] if typed else named,
                amount=Money(allocated.get(i, Decimal(0)), prices.currency),
                target="shipping" if app.get("target_type") == "shipping_line" else "lines",
                value=_value(app, where),
                value_type=text(app, "value_type", f"{where}.value_type"),
            )
        )
    for code, entry, where in codes.values():
        shop = parse_amount(entry.get("amount", "0"), field=f"{where}.amount")
        kind = text(entry, "type", f"{where}.type")
        found.append(
            Discount(
                kind="code",
                code=code,
                amount=Money(in_presentment(order, shop, prices), prices.currency),
                target="shipping" if kind == "shipping" else "lines",
                value_type=kind if kind in ("percentage", "fixed_amount") else None,
            )
        )
    return tuple(found)


def allocated_by_application(order: Mapping[str, Any], prices: Prices) -> dict[int, Decimal]:
    """Application index -> the amount allocated to it over every line and shipping line."""
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for key in ("line_items", "shipping_lines"):
        for where, item in objects(order, key, key):
            if key == "shipping_lines" and item.get("is_removed") is True:
                continue
            for index, amount in allocations(item, where, prices) or ():
                sums[index] += amount
    return sums


def tags(order: Mapping[str, Any]) -> tuple[str, ...]:
    """Shopify's comma-separated ``tags`` string (an array is accepted too)."""
    raw = order.get("tags")
    if raw is None:
        return ()
    if isinstance(raw, str):
        parts = raw.split(",")
    elif isinstance(raw, list) and all(isinstance(t, str) for t in raw):
        parts = raw
    else:
        raise InvalidInput("must be a comma-separated string", field="tags")
    return tuple(dict.fromkeys(t.strip() for t in parts if t.strip()))

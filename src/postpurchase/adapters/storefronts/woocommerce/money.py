"""An order's money as WooCommerce computed it, in the shapes every store maps onto.

WooCommerce keeps line, fee and shipping amounts *before tax* whatever the shop shows
(``subtotal`` and ``total`` of a line exclude tax, with ``subtotal_tax`` / ``total_tax``
beside them), and says with ``prices_include_tax`` whether the shopper saw prices with tax.
Our model follows the shopper: when prices included tax, list prices, discounts, shipping
and the subtotal include it too (``taxes_included``), as Shopify and the CSV import state
them; else they exclude it. The grand total, taxes and discount total are WooCommerce's own
figures, never recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from postpurchase.adapters.storefronts.woocommerce.read import (
    Amounts,
    gmt,
    objects,
    text,
)
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, parse_amount, total
from postpurchase.domain.order_details import Discount, OrderTotals, ShippingLine, TaxLine

# statuses in which WooCommerce has received the money (refunds are recorded apart)
PAID_STATUSES = frozenset({"processing", "completed", "refunded"})

_VALUE_TYPES = {"percent": "percentage", "fixed_cart": "fixed_amount",
                "fixed_product": "fixed_amount"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Shown:
    """How amounts are shown to the shopper: with tax added (``prices_include_tax``) or not."""

    amounts: Amounts
    with_tax: bool

    def item(self, data: Mapping[str, Any], key: str, tax_key: str, where: str) -> Money:
        """``data[key]``, plus ``data[tax_key]`` when prices include tax."""
        amount = self.amounts.get(data, key, f"{where}.{key}")
        if self.with_tax:
            amount += self.amounts.get(data, tax_key, f"{where}.{tax_key}")
        return amount


def shipping_lines(order: Mapping[str, Any], shown: Shown) -> tuple[ShippingLine, ...]:
    found: list[ShippingLine] = []
    for where, line in objects(order, "shipping_lines", "shipping_lines"):
        paid = shown.item(line, "total", "total_tax", where)
        method = text(line, "method_id", f"{where}.method_id")
        found.append(
            ShippingLine(
                title=text(line, "method_title", f"{where}.method_title") or method or "Shipping",
                price=paid,  # WooCommerce keeps the line after its discounts only
                paid=paid,
                code=method,
                carrier_identifier=str(line["instance_id"])
                if isinstance(line.get("instance_id"), str | int) and line.get("instance_id")
                else None,
            )
        )
    return tuple(found)


def shipping_paid(order: Mapping[str, Any], shown: Shown) -> Money:
    """``shipping_total`` (plus ``shipping_tax`` when prices include tax)."""
    return shown.item(order, "shipping_total", "shipping_tax", "order")


def _rate(line: Mapping[str, Any], where: str) -> Decimal:
    """``rate_percent`` (WooCommerce 5.7+; 8.25 means 8.25 %) as a ratio; 0 when absent."""
    raw = line.get("rate_percent")
    if raw is None or raw == "" or isinstance(raw, bool):
        return Decimal(0)
    if isinstance(raw, float):
        raw = repr(raw)  # a ratio, not money: the shortest text of the number is exact enough
    return parse_amount(raw, field=f"{where}.rate_percent") / 100


def tax_lines(order: Mapping[str, Any], amounts: Amounts) -> tuple[TaxLine, ...]:
    found: list[TaxLine] = []
    for where, line in objects(order, "tax_lines", "tax_lines"):
        amount = amounts.get(line, "tax_total", f"{where}.tax_total") + amounts.get(
            line, "shipping_tax_total", f"{where}.shipping_tax_total"
        )
        title = text(line, "label", f"{where}.label") or text(line, "rate_code") or "Tax"
        found.append(TaxLine(title=title, rate=_rate(line, where), amount=amount))
    return tuple(found)


def negative_fees(order: Mapping[str, Any], shown: Shown) -> list[Discount]:
    """Fees below zero: how many WooCommerce plugins give a discount without a coupon."""
    found: list[Discount] = []
    for where, fee in objects(order, "fee_lines", "fee_lines"):
        amount = shown.item(fee, "total", "total_tax", where)
        if amount.is_negative():
            name = text(fee, "name", f"{where}.name") or "Fee"
            found.append(Discount(kind="manual", code=name, amount=-amount, value_type=None))
    return found


def discounts(order: Mapping[str, Any], shown: Shown) -> tuple[Discount, ...]:
    """One per coupon (its ``discount``, plus ``discount_tax`` when prices include tax;
    WooCommerce 8.3+ also states the coupon's ``discount_type`` and ``nominal_amount``),
    then negative fees."""
    found: list[Discount] = []
    for where, coupon in objects(order, "coupon_lines", "coupon_lines"):
        kind = text(coupon, "discount_type", f"{where}.discount_type")
        nominal = coupon.get("nominal_amount")
        value = None
        if isinstance(nominal, int | str) and not isinstance(nominal, bool) and nominal != "":
            value = str(nominal)
        elif isinstance(nominal, float):
            value = repr(nominal)  # a percentage or an amount as stated, not money we add up
        found.append(
            Discount(
                kind="code",
                code=text(coupon, "code", f"{where}.code"),
                amount=shown.item(coupon, "discount", "discount_tax", where),
                target="lines",
                value=value,
                value_type=_VALUE_TYPES.get(kind or ""),
            )
        )
    return (*found, *negative_fees(order, shown))


def is_paid(order: Mapping[str, Any], status: str) -> bool:
    return status in PAID_STATUSES or gmt(order, "date_paid_gmt") is not None


def totals(
    order: Mapping[str, Any], shown: Shown, lines_paid: Money, shipping: Money, status: str
) -> OrderTotals:
    """The store's totals. ``lines_paid`` is what the lines (and positive fees) came to
    after their discounts; negative fees take the subtotal down and count as discounts."""
    amounts = shown.amounts
    grand = amounts.required(order, "total", "total")
    rebates = total([d.amount for d in negative_fees(order, shown)], amounts.currency)
    subtotal = lines_paid - rebates
    if subtotal.is_negative():
        subtotal = amounts.zero()
    coupons = shown.item(order, "discount_total", "discount_tax", "order")
    try:
        return OrderTotals(
            subtotal=subtotal,
            discounts=coupons + rebates,
            shipping=shipping,
            tax=amounts.get(order, "total_tax", "total_tax"),
            total=grand,
            paid=grand if is_paid(order, status) else amounts.zero(),
            taxes_included=shown.with_tax,
        )
    except InvalidInput as bad:
        field = {
            "subtotal": "line_items",
            "discounts": "discount_total",
            "shipping": "shipping_total",
            "tax": "total_tax",
            "paid": "total",
        }
        raise InvalidInput(bad.message, field=field.get(bad.field or "", bad.field)) from None


def refunded(order: Mapping[str, Any], amounts: Amounts) -> Money:
    """What the order's ``refunds`` gave back (WooCommerce lists each total as negative)."""
    found = [
        abs_money(amounts.required(r, "total", f"{where}.total"))
        for where, r in objects(order, "refunds", "refunds")
    ]
    return total(found, amounts.currency)


def abs_money(value: Money) -> Money:
    return -value if value.is_negative() else value

"""Shopify Refunds (``refunds/create`` bodies) as ``RecordRefund``.

* ``amount`` is the money actually returned: the successful (``status: success``)
  ``transactions[]`` of kind ``refund``. Shopify's transactions are in the currency the
  shopper paid; when that is not the order currency in use (shop mode, a multi-currency
  order), the amount is the refund's own parts instead: its lines' subtotals and taxes plus
  the shipping refunded (and its tax). That sum ignores rounding Shopify books as a
  ``refund_discrepancy`` adjustment.
* ``shipping`` is the shipping refunded, before tax: ``refund_shipping_lines[].
  subtotal_amount_set`` when Shopify sends them, else the ``order_adjustments`` of kind
  ``shipping_refund`` negated (Shopify books them as negative amounts). Not both: they are
  two views of the same money.
* Lines come from ``refund_line_items``: the order's line id (``line_item_id``), the
  quantity, the subtotal refunded (from ``subtotal_set``: the plain ``subtotal`` is a JSON
  number there, and floats are never read as money) and ``restock_type``. The SKU follows
  the order-line rule (``line_item.sku``, else ``variant-<id>``, else ``line-<id>``). A
  shipping-only refund has no lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from postpurchase.adapters.storefronts.json_fields import (
    Payload,
    child,
    currency,
    objects,
    quantity,
    text,
)
from postpurchase.adapters.storefronts.shopify.read import (
    Prices,
    line_sku,
    optional_id,
    shopify_id,
    timestamp,
    unwrap,
)
from postpurchase.domain.commands import RecordRefund, RefundLineInput
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, parse_amount, total

# where a refund states amounts with their currency, in the order they are looked at
_MONEY_SETS = (
    ("refund_line_items", "subtotal_set"),
    ("refund_shipping_lines", "subtotal_amount_set"),
    ("order_adjustments", "amount_set"),
)


def _currency(refund: Mapping[str, Any], presentment: bool) -> str:
    """The refund's currency for the side in use, from the first money set that names it
    (a refund has no ``currency`` of its own), else from its transactions."""
    side = "presentment_money" if presentment else "shop_money"
    candidates: list[tuple[str, object]] = []
    duties = child(child(refund, "total_duties_set"), side)
    candidates.append((f"total_duties_set.{side}.currency_code", duties.get("currency_code")))
    for key, set_key in _MONEY_SETS:
        for where, item in objects(refund, key, key):
            money = child(child(item, set_key), side)
            candidates.append(
                (f"{where}.{set_key}.{side}.currency_code", money.get("currency_code"))
            )
    for field, code in candidates:
        if code is not None:
            return currency(code, field)
    for where, txn in objects(refund, "transactions", "transactions"):
        if txn.get("currency") is not None:
            return currency(txn["currency"], f"{where}.currency")
    if refund.get("currency") is not None:
        return currency(refund["currency"], "currency")
    raise InvalidInput("the refund names no currency", field="currency")


def _lines(refund: Mapping[str, Any], prices: Prices, at: str = "") -> tuple[RefundLineInput, ...]:
    found: list[RefundLineInput] = []
    for where, item in objects(refund, "refund_line_items", f"{at}refund_line_items"):
        line_item = child(item, "line_item")
        line_id = optional_id(
            item.get("line_item_id") or line_item.get("id"), f"{where}.line_item_id", "LineItem"
        )
        if line_id is None and not line_item:
            raise InvalidInput("required id is missing", field=f"{where}.line_item_id")
        found.append(
            RefundLineInput(
                sku=line_sku({**line_item, "id": line_id}),
                quantity=quantity(item.get("quantity"), f"{where}.quantity"),
                amount=prices.required(item, "subtotal", f"{where}.subtotal", set_first=True),
                line_external_id=line_id,
                restock=text(item, "restock_type", f"{where}.restock_type"),
            )
        )
    return tuple(found)


def _shipping(refund: Mapping[str, Any], prices: Prices, at: str = "") -> tuple[Money, Money]:
    """(shipping refunded before tax, its tax)."""
    lines = objects(refund, "refund_shipping_lines", f"{at}refund_shipping_lines")
    if lines:
        amounts = [prices.required(s, "subtotal_amount", f"{w}.subtotal_amount") for w, s in lines]
        taxes = [
            prices.optional(s, "total_tax_amount", f"{w}.total_tax_amount") or prices.zero()
            for w, s in lines
        ]
        return total(amounts, prices.currency), total(taxes, prices.currency)
    shipping, tax = prices.zero(), prices.zero()
    for where, adj in objects(refund, "order_adjustments", f"{at}order_adjustments"):
        if adj.get("kind") != "shipping_refund":
            continue
        shipping -= prices.required(adj, "amount", f"{where}.amount")
        tax -= prices.optional(adj, "tax_amount", f"{where}.tax_amount") or prices.zero()
    return shipping, tax


def returned(refund: Mapping[str, Any], prices: Prices, at: str = "") -> Money:
    """The money a refund gave back: its successful refund transactions; when they are in
    another currency than the one in use, its lines (subtotal and tax) and shipping (and
    its tax). ``at`` is the refund's JSON path inside an order (``refunds[0].``)."""
    total_returned = Decimal(0)
    for where, txn in objects(refund, "transactions", f"{at}transactions"):
        if txn.get("kind") != "refund" or txn.get("status") != "success":
            continue
        amount = parse_amount(txn.get("amount"), field=f"{where}.amount")
        code = txn.get("currency")
        if code is not None and currency(code, f"{where}.currency") != prices.currency:
            return _parts(refund, prices, at)
        total_returned += amount
    return Money(total_returned, prices.currency)


def _parts(refund: Mapping[str, Any], prices: Prices, at: str) -> Money:
    shipping, shipping_tax = _shipping(refund, prices, at)
    parts = [shipping, shipping_tax]
    for where, item in objects(refund, "refund_line_items", f"{at}refund_line_items"):
        parts.append(prices.required(item, "subtotal", f"{where}.subtotal", set_first=True))
        tax = prices.optional(item, "total_tax", f"{where}.total_tax", set_first=True)
        parts.append(tax or prices.zero())
    return total(parts, prices.currency)


def parse_refund(
    payload: Payload,
    *,
    merchant_id: str,
    use_presentment_currency: bool = False,
) -> RecordRefund:
    """A Shopify Refund as a ``RecordRefund`` (idempotent by the refund's id)."""
    refund = unwrap(payload, "refund")
    refund_id = shopify_id(refund.get("id"), "id", "Refund")
    order_id = shopify_id(refund.get("order_id"), "order_id", "Order")
    created_at = timestamp(refund, "created_at", "created_at") or timestamp(
        refund, "processed_at", "processed_at"
    )
    if created_at is None:
        raise InvalidInput("created_at is required", field="created_at")
    prices = Prices(_currency(refund, use_presentment_currency), use_presentment_currency)
    shipping, _ = _shipping(refund, prices)
    return RecordRefund(
        merchant_id=merchant_id,
        order_external_id=order_id,
        refund_external_id=refund_id,
        created_at=created_at,
        amount=returned(refund, prices),
        shipping=shipping,
        lines=_lines(refund, prices),
        note=text(refund, "note"),
    )

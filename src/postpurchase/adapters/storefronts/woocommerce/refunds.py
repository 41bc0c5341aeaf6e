"""WooCommerce refunds as ``RecordRefund`` (idempotent by WooCommerce's refund id).

Two shapes:

* In an order (``order.updated`` bodies, REST orders): ``refunds: [{id, reason, total}]``,
  ``total`` negative ("-10.00"). That is all an order says of its refunds: no date, no
  lines, no split between goods and shipping. Each is recorded with the order snapshot's
  ``date_modified_gmt`` (the first snapshot that shows it: later ones change nothing), its
  amount, shipping 0 and no lines.
* A refund resource (``GET``/``POST /orders/{id}/refunds``): ``amount`` (positive),
  ``date_created_gmt``, ``reason`` and ``line_items`` whose quantities and totals are
  negative and whose ``_refunded_item_id`` meta names the order line. Its shipping part is
  the ``shipping_lines`` it carries (WooCommerce 5.x+), else 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from postpurchase.adapters.storefronts.woocommerce.money import abs_money
from postpurchase.adapters.storefronts.woocommerce.read import (
    Amounts,
    gmt,
    line_sku,
    meta_value,
    objects,
    optional_woo_id,
    text,
    woo_id,
)
from postpurchase.domain.commands import RecordRefund, RefundLineInput
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import total


def order_refunds(
    order: Mapping[str, Any], *, merchant_id: str, amounts: Amounts, at: datetime
) -> tuple[RecordRefund, ...]:
    """The refunds an order snapshot lists, each as it can be recorded from the order."""
    order_id = woo_id(order.get("id"), "id")
    found: list[RecordRefund] = []
    for where, refund in objects(order, "refunds", "refunds"):
        found.append(
            RecordRefund(
                merchant_id=merchant_id,
                order_external_id=order_id,
                refund_external_id=woo_id(refund.get("id"), f"{where}.id"),
                created_at=at,
                amount=abs_money(amounts.required(refund, "total", f"{where}.total")),
                shipping=amounts.zero(),
                note=text(refund, "reason", f"{where}.reason"),
            )
        )
    return tuple(found)


def _count(value: object, field: str) -> int:
    """A refund line's quantity (WooCommerce stores it negative)."""
    if type(value) is not int:
        raise InvalidInput("quantity must be an integer", field=field)
    return abs(value)


def parse_refund(
    refund: Mapping[str, Any], *, order_id: str, merchant_id: str, amounts: Amounts
) -> RecordRefund:
    """A refund resource of order ``order_id`` (see the module docstring)."""
    lines: list[RefundLineInput] = []
    for where, item in objects(refund, "line_items", "line_items"):
        original = meta_value(item, "_refunded_item_id")
        line_id = optional_woo_id(original, f"{where}.meta_data._refunded_item_id")
        lines.append(
            RefundLineInput(
                sku=line_sku(item),
                quantity=_count(item.get("quantity"), f"{where}.quantity"),
                amount=abs_money(amounts.get(item, "total", f"{where}.total")),
                line_external_id=line_id,
            )
        )
    shipping = total(
        [abs_money(amounts.get(s, "total", f"{w}.total"))
         for w, s in objects(refund, "shipping_lines", "shipping_lines")],
        amounts.currency,
    )  # fmt: skip
    created = gmt(refund, "date_created_gmt")
    if created is None:
        raise InvalidInput("date_created_gmt is required", field="date_created_gmt")
    return RecordRefund(
        merchant_id=merchant_id,
        order_external_id=order_id,
        refund_external_id=woo_id(refund.get("id"), "id"),
        created_at=created,
        amount=abs_money(amounts.required(refund, "amount", "amount")),
        shipping=shipping,
        lines=tuple(lines),
        note=text(refund, "reason", "reason"),
    )

"""The WooCommerce adapter of the storefront refund port (``StorefrontRefunds``).

``POST /wp-json/wc/v3/orders/{id}/refunds`` with ``amount``, ``reason``, ``line_items``
(``[{id, quantity, refund_total, refund_tax: [{id, refund_total}]}]``, ``refund_total``
before tax), ``api_refund: true`` (the payment gateway pays it back) and ``api_restock``.
WooCommerce does not work the amounts out itself, so they are taken from the order as the
store holds it (read first): a line's ``total`` and each of its ``taxes`` per unit, times
the quantity refunded; shipping split over the shipping line's total and taxes in
proportion. A request's ``fee`` (a return's restocking and return fees) is kept: every
line's total and tax shrink in proportion so the refund pays back what our ledger says.
The refund carries the request's idempotency key in its ``meta_data``
(``_postpurchase_idempotency_key``), which is how ``find`` recognises it.

The ledger (``service_layer/storefronts/refunds``) has already refused a refund larger
than what is refundable, and makes retries idempotent; this module never retries the POST
itself except on 429 (WooCommerce rate limits before acting).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from postpurchase.adapters.storefronts.woocommerce.client import WooClient, WooError
from postpurchase.adapters.storefronts.woocommerce.read import (
    Amounts,
    gmt,
    meta_value,
    objects,
    optional_woo_id,
)
from postpurchase.adapters.storefronts.woocommerce.refunds import parse_refund
from postpurchase.domain.money import minor_units, parse_amount
from postpurchase.domain.storefronts import (
    RefundedLine,
    RefundRequest,
    RefundResult,
    StoreConnection,
)
from postpurchase.service_layer.storefronts.ports import StoreRefused

KEY_META = "_postpurchase_idempotency_key"


def _round(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def _dec(value: object, field: str) -> Decimal:
    return Decimal(0) if value in (None, "") else parse_amount(value, field=field)


def _taxes(
    item: Mapping[str, Any], share: Decimal, currency: str, where: str
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for at, tax in objects(item, "taxes", f"{where}.taxes"):
        rate_id = tax.get("id")
        amount = _round(_dec(tax.get("total"), f"{at}.total") * share, currency)
        if amount:
            found.append({"id": rate_id, "refund_total": str(amount)})
    return found


def refund_body(order: Mapping[str, Any], request: RefundRequest) -> dict[str, Any]:
    """The refund WooCommerce is asked for (see the module docstring)."""
    currency = request.currency
    by_id = {
        optional_woo_id(item.get("id"), f"{where}.id"): (where, item)
        for where, item in objects(order, "line_items", "line_items")
    }
    lines: list[dict[str, Any]] = []
    amount = Decimal(0)
    for i, wanted in enumerate(request.lines):
        found = by_id.get(wanted.store_line_id)
        if found is None:
            raise StoreRefused(f"the store's order has no line {wanted.store_line_id}",
                               field=f"lines[{i}].line_id")  # fmt: skip
        where, item = found
        ordered = item.get("quantity")
        if type(ordered) is not int or ordered <= 0:
            raise StoreRefused("the store's line has no quantity", field=f"lines[{i}].line_id")
        share = Decimal(wanted.quantity) / Decimal(ordered)
        net = _round(_dec(item.get("total"), f"{where}.total") * share, currency)
        taxes = _taxes(item, share, currency, where)
        amount += net + sum((Decimal(t["refund_total"]) for t in taxes), Decimal(0))
        lines.append({"id": int(wanted.store_line_id), "quantity": wanted.quantity,
                      "refund_total": str(net), "refund_tax": taxes})  # fmt: skip
    if request.shipping is not None and request.shipping.amount > 0:
        shipping = objects(order, "shipping_lines", "shipping_lines")
        if not shipping:
            raise StoreRefused("the store's order has no shipping line", field="shipping")
        where, line = shipping[0]
        net_total = _dec(line.get("total"), f"{where}.total")
        tax_total = _dec(line.get("total_tax"), f"{where}.total_tax")
        gross = net_total + tax_total if order.get("prices_include_tax") is True else net_total
        if gross <= 0:
            raise StoreRefused("the store's order has no shipping to refund", field="shipping")
        share = request.shipping.amount / gross
        net = _round(net_total * share, currency)
        taxes = _taxes(line, share, currency, where)
        amount += net + sum((Decimal(t["refund_total"]) for t in taxes), Decimal(0))
        lines.append({"id": int(str(line.get("id"))), "refund_total": str(net),
                      "refund_tax": taxes})  # fmt: skip
    if request.fee is not None and request.fee.amount > 0:
        amount = _keep_fee(lines, _round(amount, currency), request.fee.amount, currency)
    return {
        "amount": str(_round(amount, currency)),
        "reason": request.note or "",
        "line_items": lines,
        "api_refund": True,
        "api_restock": any(x.restock for x in request.lines),
        "meta_data": [{"key": KEY_META, "value": request.idempotency_key}],
    }


def _keep_fee(lines: list[dict[str, Any]], amount: Decimal, fee: Decimal, currency: str) -> Decimal:
    """Take the merchant's fee off the refund: every line's total and tax shrink in the same
    proportion (rounded to the currency), the last cent of rounding on the first amount, so
    WooCommerce's records of each line add up to the refund it pays. Returns the new total."""
    target = max(amount - fee, Decimal(0))
    if amount <= 0 or target == amount:
        return amount
    factor = target / amount
    cells: list[dict[str, Any]] = []
    for line in lines:
        cells.append(line)
        cells.extend(line.get("refund_tax") or ())
    for cell in cells:
        cell["refund_total"] = str(_round(Decimal(cell["refund_total"]) * factor, currency))
    drift = target - sum((Decimal(c["refund_total"]) for c in cells), Decimal(0))
    if drift and cells:
        cells[0]["refund_total"] = str(Decimal(cells[0]["refund_total"]) + drift)
    return target


def _result(refund: Mapping[str, Any], order: Mapping[str, Any], currency: str) -> RefundResult:
    recorded = parse_refund(refund, order_id=str(order.get("id")), merchant_id="-",
                            amounts=Amounts(currency))  # fmt: skip
    created = gmt(refund, "date_created_gmt") or recorded.created_at
    return RefundResult(
        store_refund_id=recorded.refund_external_id,
        amount=recorded.amount,
        shipping=recorded.shipping,
        created_at=created,
        lines=tuple(RefundedLine(x.line_external_id, x.quantity, x.amount) for x in recorded.lines),
    )


class WooRefunds:
    """``StorefrontRefunds`` for WooCommerce; ``client_for`` opens a client on a
    connection's store with its key."""

    def __init__(self, client_for: Callable[[StoreConnection], WooClient]) -> None:
        self.client_for = client_for

    def refund(self, connection: StoreConnection, request: RefundRequest) -> RefundResult:
        if request.to_store_credit:
            raise StoreRefused("WooCommerce has no store credit to refund to",
                               field="to_store_credit")  # fmt: skip
        with self.client_for(connection) as client:
            order = self._order(client, request)
            body = refund_body(order, request)
            try:
                refund = client.request("POST", f"orders/{request.order_store_id}/refunds",
                                        json=body, once=True).json()  # fmt: skip
            except WooError as exc:
                if exc.status is not None and 400 <= exc.status < 500:
                    raise StoreRefused(str(exc)) from None
                raise  # no answer, or a server error: the store may have refunded
        return _result(refund, order, request.currency)

    def find(self, connection: StoreConnection, request: RefundRequest) -> RefundResult | None:
        with self.client_for(connection) as client:
            order = self._order(client, request)
            refunds = client.all(f"orders/{request.order_store_id}/refunds")
        for refund in refunds:
            if isinstance(refund, Mapping) and meta_value(refund, KEY_META) == (
                request.idempotency_key
            ):
                return _result(refund, order, request.currency)
        return None

    def _order(self, client: WooClient, request: RefundRequest) -> Mapping[str, Any]:
        try:
            order = client.get(f"orders/{request.order_store_id}")
        except WooError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                raise StoreRefused(str(exc)) from None
            raise
        if not isinstance(order, Mapping) or order.get("currency") != request.currency:
            raise StoreRefused("the store's order is in another currency", field="currency")
        return order

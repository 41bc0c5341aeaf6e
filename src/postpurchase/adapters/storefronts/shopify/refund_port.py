"""The Shopify adapter of the storefront refund port (``StorefrontRefunds``).

A refund is asked in two calls: ``order.suggestedRefund`` (what Shopify computes for these
lines and this shipping amount: the money, the transactions to refund against with their
gateway and parent, and where returned items restock), then ``refundCreate`` with those
transactions, less the request's ``fee`` (a return's restocking and return fees, taken off
the last transactions first): the store pays back what our ledger says, not the lines' full
price. With ``to_store_credit`` the refund records the lines (restock, no money)
and ``storeCreditAccountCredit`` credits the suggested amount to the order's customer.

Every refund we create carries ``[postpurchase:<idempotency key>]`` at the end of its note,
so ``find`` recognises it among the order's refunds when an earlier attempt's outcome is
unknown. A refusal before or by ``refundCreate`` (user errors, a revoked token, a query
error) is a :class:`StoreRefused`: nothing was paid. A failure while ``refundCreate`` was
in flight is left to the caller as an unknown outcome.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from postpurchase.adapters.storefronts.shopify.admin_api import (
    AdminApi,
    AdminApiError,
    gid_number,
    user_errors,
)
from postpurchase.domain.money import Money
from postpurchase.domain.storefronts import (
    RefundedLine,
    RefundRequest,
    RefundResult,
    StoreConnection,
    less_fee,
)
from postpurchase.domain.timestamps import parse_instant
from postpurchase.service_layer.storefronts.ports import StoreRefused

SHOP_MONEY = "shopMoney { amount currencyCode } presentmentMoney { amount currencyCode }"

SUGGEST = f"""
query Suggest($id: ID!, $lines: [RefundLineItemInput!], $shipping: Money) {{
  order(id: $id) {{
    id currencyCode presentmentCurrencyCode
    customer {{ id }}
    suggestedRefund(refundLineItems: $lines, shippingAmount: $shipping) {{
      amountSet {{ {SHOP_MONEY} }}
      shipping {{ amountSet {{ {SHOP_MONEY} }} }}
      refundLineItems {{ quantity restockType lineItem {{ id }} location {{ id }}
                         subtotalSet {{ {SHOP_MONEY} }} }}
      suggestedTransactions {{
        gateway kind amountSet {{ {SHOP_MONEY} }} parentTransaction {{ id }}
      }}
    }}
  }}
}}
"""

CREATE = f"""
mutation Refund($input: RefundInput!{{key_variable}}) {{
  refundCreate(input: $input){{directive}} {{
    refund {{
      id legacyResourceId createdAt note
      totalRefundedSet {{ {SHOP_MONEY} }}
      refundLineItems(first: 100) {{ nodes {{ quantity lineItem {{ id }}
                                              subtotalSet {{ {SHOP_MONEY} }} }} }}
    }}
    userErrors {{ field message }}
  }}
}}
"""

CREDIT = """
mutation Credit($id: ID!, $credit: StoreCreditAccountCreditInput!) {
  storeCreditAccountCredit(id: $id, creditInput: $credit) {
    storeCreditAccountTransaction { amount { amount currencyCode } account { id } }
    userErrors { field message }
  }
}
"""

FIND = f"""
query Refunds($id: ID!) {{
  order(id: $id) {{
    refunds(first: 50) {{
      id legacyResourceId createdAt note
      totalRefundedSet {{ {SHOP_MONEY} }}
      refundLineItems(first: 100) {{ nodes {{ quantity lineItem {{ id }}
                                              subtotalSet {{ {SHOP_MONEY} }} }} }}
    }}
  }}
}}
"""

# Shopify's own idempotency for refundCreate: optional from 2026-01, required from 2026-04.
IDEMPOTENT_FROM = "2026-01"


def create_document(version: str) -> str:
    """``refundCreate`` with ``@idempotent(key: $key)`` where the version has it."""
    keyed = version == "unstable" or version >= IDEMPOTENT_FROM
    return CREATE.replace("{key_variable}", ", $key: String!" if keyed else "").replace(
        "{directive}", " @idempotent(key: $key)" if keyed else ""
    )


_MARK = re.compile(r"\[postpurchase:([^\]\s]+)\]\s*$")


def marker(key: str) -> str:
    return f"[postpurchase:{key}]"


def order_gid(order_store_id: str) -> str:
    return f"gid://shopify/Order/{order_store_id}"


def line_gid(line_id: str) -> str:
    return f"gid://shopify/LineItem/{line_id}"


def _shop(money_set: object, currency: str) -> Money:
    shop = (money_set or {}).get("shopMoney") if isinstance(money_set, Mapping) else None
    if not isinstance(shop, Mapping):
        return Money.zero(currency)
    return Money(Decimal(str(shop.get("amount") or "0")), str(shop.get("currencyCode") or currency))


def _presentment(money_set: object) -> Decimal:
    """A MoneyBag's presentment amount (what the shopper paid in), zero when absent."""
    shown = (money_set or {}).get("presentmentMoney") if isinstance(money_set, Mapping) else None
    return Decimal(str(shown.get("amount") or "0")) if isinstance(shown, Mapping) else Decimal(0)


def _result(refund: Mapping[str, Any], currency: str, shipping: Money) -> RefundResult:
    lines = []
    nodes = (refund.get("refundLineItems") or {}).get("nodes") or []
    for node in nodes:
        lines.append(
            RefundedLine(
                gid_number((node.get("lineItem") or {}).get("id")),
                int(node.get("quantity") or 0),
                _shop(node.get("subtotalSet"), currency),
            )
        )
    created = refund.get("createdAt")
    return RefundResult(
        store_refund_id=gid_number(refund.get("legacyResourceId") or refund.get("id")) or "",
        amount=_shop(refund.get("totalRefundedSet"), currency),
        shipping=shipping,
        created_at=parse_instant(created, "createdAt") if created else datetime.now(UTC),
        lines=tuple(lines),
    )


class ShopifyRefunds:
    """``StorefrontRefunds`` for Shopify; ``api_for`` gives a connection's Admin API."""

    def __init__(self, api_for: Callable[[StoreConnection], AdminApi]) -> None:
        self.api_for = api_for

    def _refused(self, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            return call()
        except AdminApiError as exc:  # before refundCreate: nothing was paid
            raise StoreRefused(str(exc)) from None

    def refund(self, connection: StoreConnection, request: RefundRequest) -> RefundResult:
        api = self._refused(lambda: {"api": self.api_for(connection)})["api"]
        order_id = order_gid(request.order_store_id)
        lines = [
            {"lineItemId": line_gid(x.store_line_id), "quantity": x.quantity} for x in request.lines
        ]
        shipping = str(request.shipping.amount) if request.shipping else None
        data = self._refused(
            lambda: api.query(SUGGEST, {"id": order_id, "lines": lines, "shipping": shipping})
        )
        order = data.get("order")
        if not isinstance(order, Mapping):
            raise StoreRefused(f"{connection.shop} has no order {request.order_store_id}",
                               field="order_id")  # fmt: skip
        suggested = order.get("suggestedRefund") or {}
        currency = str(order.get("currencyCode") or request.currency)
        shipping_money = _shop((suggested.get("shipping") or {}).get("amountSet"), currency)
        restock_at = {
            (item.get("lineItem") or {}).get("id"): (item.get("location") or {}).get("id")
            for item in suggested.get("refundLineItems") or ()
        }
        wanted = {x.store_line_id: x for x in request.lines}
        refund_lines = []
        for entry in lines:
            gid = entry["lineItemId"]
            location = restock_at.get(gid)
            restock = wanted[str(gid_number(gid))].restock and location is not None
            refund_lines.append(
                {**entry, "restockType": "RETURN" if restock else "NO_RESTOCK",
                 **({"locationId": location} if restock else {})}
            )  # fmt: skip
        note = " ".join(p for p in (request.note, marker(request.idempotency_key)) if p)
        refund_input: dict[str, Any] = {
            "orderId": order_id,
            "note": note,
            "notify": False,
            "refundLineItems": refund_lines,
        }
        if request.shipping is not None and request.shipping.amount > 0:
            refund_input["shipping"] = {"amount": shipping}
        shown = order.get("presentmentCurrencyCode")
        if shown and shown != order.get("currencyCode"):
            refund_input["currency"] = shown
        fee = self._fee(request, order)
        if not request.to_store_credit:
            suggested_tx = list(suggested.get("suggestedTransactions") or ())
            paid = less_fee([_presentment(t.get("amountSet")) for t in suggested_tx], fee)
            refund_input["transactions"] = [
                {
                    "orderId": order_id,
                    "parentId": (t.get("parentTransaction") or {}).get("id"),
                    "amount": str(amount),
                    "gateway": t.get("gateway"),
                    "kind": "REFUND",
                }
                for t, amount in zip(suggested_tx, paid, strict=True)
                if amount > 0
            ]
        # in flight: if this fails the outcome is unknown (the ledger keeps it pending and
        # ``find`` settles it); never sent twice
        document = create_document(api.version)
        variables: dict[str, Any] = {"input": refund_input}
        if "$key" in document:
            variables["key"] = request.idempotency_key
        created = api.query(document, variables, idempotent=False)
        payload = created.get("refundCreate") or {}
        errors = user_errors(payload)
        if errors:
            field, message = errors[0]
            raise StoreRefused(message, field=field)
        refund = payload.get("refund")
        if not isinstance(refund, Mapping):
            raise StoreRefused("refundCreate answered without a refund")
        result = _result(refund, currency, shipping_money)
        if not request.to_store_credit:
            return result
        return self._credit(api, order, suggested, result, currency, fee)

    @staticmethod
    def _fee(request: RefundRequest, order: Mapping[str, Any]) -> Decimal:
        """The fee kept, in the order's presentment currency (the transactions' own)."""
        if request.fee is None or request.fee.amount <= 0:
            return Decimal(0)
        shown = order.get("presentmentCurrencyCode") or order.get("currencyCode")
        if shown and request.fee.currency != shown:
            raise StoreRefused(f"the fee is in {request.fee.currency}, the order in {shown}",
                               field="fee")  # fmt: skip
        return request.fee.amount

    def _credit(
        self,
        api: AdminApi,
        order: Mapping[str, Any],
        suggested: Mapping[str, Any],
        result: RefundResult,
        currency: str,
        fee: Decimal = Decimal(0),
    ) -> RefundResult:
        customer = (order.get("customer") or {}).get("id")
        if not customer:
            raise StoreRefused("the order has no customer to credit", field="to_store_credit")
        amount = _shop(suggested.get("amountSet"), currency)
        shown = ((suggested.get("amountSet") or {}).get("presentmentMoney")) or {}
        shown_amount = Decimal(str(shown.get("amount") or amount.amount))
        (credited,) = less_fee([shown_amount], fee)
        if shown_amount > 0 and credited != shown_amount:  # the shop's figure, in proportion
            amount = Money(amount.amount * credited / shown_amount, amount.currency).rounded()
        if credited <= 0:  # the fees took it all: the lines are recorded, nothing is credited
            return RefundResult(
                result.store_refund_id, Money.zero(amount.currency), result.shipping,
                result.created_at, result.lines, store_credit=True,
            )  # fmt: skip
        credit = {
            "creditAmount": {
                "amount": str(credited),
                "currencyCode": shown.get("currencyCode") or amount.currency,
            }
        }
        data = api.query(CREDIT, {"id": customer, "credit": credit}, idempotent=False)
        errors = user_errors(data.get("storeCreditAccountCredit"))
        if errors:
            field, message = errors[0]
            raise StoreRefused(f"store credit: {message}", field=field or "to_store_credit")
        return RefundResult(
            result.store_refund_id, amount, result.shipping, result.created_at, result.lines,
            store_credit=True,
        )  # fmt: skip

    def find(self, connection: StoreConnection, request: RefundRequest) -> RefundResult | None:
        api = self.api_for(connection)
        data = api.query(FIND, {"id": order_gid(request.order_store_id)})
        order = data.get("order") or {}
        for refund in order.get("refunds") or ():
            found = _MARK.search(str(refund.get("note") or ""))
            if found and found.group(1) == request.idempotency_key:
                shipping = request.shipping or Money.zero(request.currency)
                return _result(refund, request.currency, shipping)
        return None

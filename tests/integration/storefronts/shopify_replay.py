"""A local Shopify for the tests: pytest-httpserver answering the OAuth token exchange and
the Admin GraphQL API with the shapes Shopify documents (``pageInfo`` pages, ``extensions
.cost.throttleStatus`` on every answer, ``THROTTLED`` errors, 401 for a revoked token,
``userErrors`` on mutations). It keeps what was asked so tests assert on the requests our
code made, the way Shopify would have received them.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from postpurchase.config import Settings
from tests.integration.storefronts.shopify_shapes import THROTTLED, throttle

VERSION = Settings.model_fields["shopify_api_version"].default
GRAPHQL = f"/admin/api/{VERSION}/graphql.json"
TOKEN = "shpat_" + "5f0c" * 8  # an offline Admin API access token's shape
SCOPE = "read_orders,write_orders,read_fulfillments,write_fulfillments,read_products"
_OP = re.compile(r"\b(query|mutation)\s+(\w+)")


def _cursor(i: int) -> str:
    return base64.b64encode(json.dumps({"last_id": i}).encode()).decode()


def _index(cursor: str | None) -> int:
    return 0 if not cursor else int(json.loads(base64.b64decode(cursor))["last_id"])


class ShopifyReplay:
    def __init__(self, server: HTTPServer, *, token: str = TOKEN) -> None:
        self.server = server
        self.token = token
        self.orders: list[dict[str, Any]] = []  # GraphQL Order nodes, oldest first
        self.products: list[dict[str, Any]] = []
        self.currency = "USD"
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.exchanges: list[dict[str, Any]] = []
        self.refunds: dict[str, list[dict[str, Any]]] = {}  # order gid -> refunds made
        self.fulfillments: dict[str, list[dict[str, Any]]] = {}  # order gid -> by write-back
        self.fulfillment_orders: dict[str, list[dict[str, Any]]] = {}
        self.next_answers: dict[str, list[tuple[int, Callable[[], Response]]]] = {}
        self.refuse_refund: str | None = None
        server.expect_request("/admin/oauth/access_token", method="POST").respond_with_handler(
            self._exchange
        )
        server.expect_request(GRAPHQL, method="POST").respond_with_handler(self._graphql)

    @property
    def base(self) -> str:
        return self.server.url_for("").rstrip("/")

    def ops(self, name: str) -> list[dict[str, Any]]:
        return [v for op, v in self.calls if op == name]

    def then(self, op: str, answer: Callable[[], Response], *, after: int = 0) -> None:
        """Answer a coming call of ``op`` with ``answer`` (a throttle, a 401...): the next
        one, or the one after ``after`` calls answered as usual."""
        self.next_answers.setdefault(op, []).append((after, answer))

    # ------------------------------------------------------------------ OAuth
    def _exchange(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        self.exchanges.append(body)
        if not body.get("code") or not body.get("client_secret"):
            return Response(json.dumps({"error": "invalid_request"}), 400,
                            content_type="application/json")  # fmt: skip
        return Response(json.dumps({"access_token": self.token, "scope": SCOPE}),
                        content_type="application/json")  # fmt: skip

    # ------------------------------------------------------------------ GraphQL
    def _graphql(self, request: Request) -> Response:
        if request.headers.get("X-Shopify-Access-Token") != self.token:
            return Response(
                json.dumps({"errors": "[API] Invalid API key or access token (unrecognized "
                            "login or wrong password)"}),
                401, content_type="application/json",
            )  # fmt: skip
        body = request.get_json()
        query, variables = body["query"], body.get("variables") or {}
        found = _OP.search(query)
        op = found.group(2) if found else "anonymous"
        self.calls.append((op, variables))
        queued = self.next_answers.get(op)
        if queued:
            wait, answer = queued[0]
            if wait == 0:
                queued.pop(0)
                return answer()
            queued[0] = (wait - 1, answer)
        data = getattr(self, f"_op_{op}")(variables)
        return self._json({"data": data, "extensions": throttle()})

    @staticmethod
    def _json(doc: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(doc), status, content_type="application/json")

    def throttled(self) -> Response:
        return self._json(THROTTLED)

    def revoked(self) -> Response:
        return self._json({"errors": "[API] Invalid API key or access token"}, 401)

    def _op_anonymous(self, variables: dict[str, Any]) -> dict[str, Any]:
        return {"shop": {"currencyCode": self.currency}}

    def _op_Subscribe(self, variables: dict[str, Any]) -> dict[str, Any]:
        n = len(self.ops("Subscribe"))
        return {"webhookSubscriptionCreate": {
            "webhookSubscription": {"id": f"gid://shopify/WebhookSubscription/{9000 + n}",
                                    "topic": variables["topic"]},
            "userErrors": []}}  # fmt: skip

    def _op_BackfillOrders(self, variables: dict[str, Any]) -> dict[str, Any]:
        since = (variables.get("query") or "").removeprefix("created_at:>=") or "0000"
        wanted = [o for o in self.orders if o["createdAt"][:10] >= since]
        start = _index(variables.get("after"))
        page = wanted[start : start + variables["first"]]
        end = start + len(page)
        info = {"hasNextPage": end < len(wanted), "endCursor": _cursor(end) if page else None}
        return {"orders": {"nodes": page, "pageInfo": info}}

    def _op_BackfillProducts(self, variables: dict[str, Any]) -> dict[str, Any]:
        start = _index(variables.get("after"))
        page = self.products[start : start + variables["first"]]
        end = start + len(page)
        return {"shop": {"currencyCode": self.currency}, "products": {"nodes": page, "pageInfo": {
            "hasNextPage": end < len(self.products),
            "endCursor": _cursor(end) if page else None}}}  # fmt: skip

    # ------------------------------------------------------------------ refunds
    def _order(self, gid: str) -> dict[str, Any] | None:
        return next((o for o in self.orders if o["id"] == gid), None)

    def _op_Suggest(self, variables: dict[str, Any]) -> dict[str, Any]:
        order = self._order(variables["id"])
        if order is None:
            return {"order": None}
        items = {li["id"]: li for li in order["lineItems"]["nodes"]}
        cur = order["currencyCode"]
        lines, amount = [], Decimal(0)
        for wanted in variables.get("lines") or ():
            li = items[wanted["lineItemId"]]
            unit = Decimal(li["originalUnitPriceSet"]["shopMoney"]["amount"])
            sub = unit * wanted["quantity"]
            amount += sub
            lines.append({"quantity": wanted["quantity"], "restockType": "RETURN",
                          "lineItem": {"id": li["id"]},
                          "location": {"id": "gid://shopify/Location/905684977"},
                          "subtotalSet": _set(sub, cur)})  # fmt: skip
        shipping = Decimal(variables.get("shipping") or 0)
        amount += shipping
        return {"order": {
            "id": order["id"], "currencyCode": cur, "presentmentCurrencyCode": cur,
            "customer": {"id": "gid://shopify/Customer/544365967"},
            "suggestedRefund": {
                "amountSet": _set(amount, cur), "shipping": {"amountSet": _set(shipping, cur)},
                "refundLineItems": lines,
                "suggestedTransactions": [{
                    "gateway": "shopify_payments", "kind": "SUGGESTED_REFUND",
                    "amountSet": _set(amount, cur),
                    "parentTransaction": {"id": "gid://shopify/OrderTransaction/1068278509"}}],
            }}}  # fmt: skip

    def _op_Refund(self, variables: dict[str, Any]) -> dict[str, Any]:
        data = variables["input"]
        if self.refuse_refund:
            error = {"field": ["transactions", "0", "amount"], "message": self.refuse_refund}
            return {"refundCreate": {"refund": None, "userErrors": [error]}}
        order = self._order(data["orderId"])
        assert order is not None
        cur = order["currencyCode"]
        items = {li["id"]: li for li in order["lineItems"]["nodes"]}
        nodes, total = [], Decimal(0)
        for x in data.get("refundLineItems") or ():
            unit = Decimal(items[x["lineItemId"]]["originalUnitPriceSet"]["shopMoney"]["amount"])
            nodes.append({"quantity": x["quantity"], "lineItem": {"id": x["lineItemId"]},
                          "subtotalSet": _set(unit * x["quantity"], cur)})  # fmt: skip
        for t in data.get("transactions") or ():
            total += Decimal(t["amount"])
        made = self.refunds.setdefault(data["orderId"], [])
        number = 929361460 + len([r for v in self.refunds.values() for r in v])
        refund = {
            "id": f"gid://shopify/Refund/{number}", "legacyResourceId": str(number),
            "createdAt": "2026-11-20T12:00:00Z", "note": data.get("note"),
            "totalRefundedSet": _set(total, cur), "refundLineItems": {"nodes": nodes},
        }  # fmt: skip
        made.append(refund)
        return {"refundCreate": {"refund": refund, "userErrors": []}}

    def _op_Refunds(self, variables: dict[str, Any]) -> dict[str, Any]:
        return {"order": {"refunds": self.refunds.get(variables["id"], [])}}

    def _op_Credit(self, variables: dict[str, Any]) -> dict[str, Any]:
        amount = variables["credit"]["creditAmount"]
        return {"storeCreditAccountCredit": {"storeCreditAccountTransaction": {
            "amount": amount, "account": {"id": "gid://shopify/StoreCreditAccount/1"}},
            "userErrors": []}}  # fmt: skip

    # ------------------------------------------------------------------ write-back
    def _op_WriteBack(self, variables: dict[str, Any]) -> dict[str, Any]:
        gid = variables["id"]
        orders = {"nodes": self.fulfillment_orders.get(gid, [])}
        return {"order": {"fulfillments": self.fulfillments.get(gid, []),
                          "fulfillmentOrders": orders}}  # fmt: skip

    def _op_Fulfil(self, variables: dict[str, Any]) -> dict[str, Any]:
        f = variables["fulfillment"]
        fo_id = f["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderId"]
        gid = next(g for g, fos in self.fulfillment_orders.items()
                   if any(fo["id"] == fo_id for fo in fos))  # fmt: skip
        made = {"id": "gid://shopify/Fulfillment/255858046", "legacyResourceId": "255858046",
                "status": "SUCCESS", "trackingInfo": [f["trackingInfo"]]}  # fmt: skip
        self.fulfillments.setdefault(gid, []).append(made)
        for fo in self.fulfillment_orders[gid]:
            fo["status"] = "CLOSED"
        return {"fulfillmentCreate": {"fulfillment": made, "userErrors": []}}

    def _op_Track(self, variables: dict[str, Any]) -> dict[str, Any]:
        for fs in self.fulfillments.values():
            for f in fs:
                if f["id"] == variables["id"]:
                    f["trackingInfo"] = [variables["info"]]
        return {"fulfillmentTrackingInfoUpdate": {"fulfillment": {"id": variables["id"]},
                                                  "userErrors": []}}  # fmt: skip


def _set(amount: Decimal, currency: str) -> dict[str, Any]:
    money = {"amount": str(amount), "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": money}

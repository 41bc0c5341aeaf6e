"""A WooCommerce store's REST API v3 on a local pytest-httpserver, answering in the shapes
WooCommerce documents: Basic auth with the REST key, ``page``/``per_page`` with
``X-WP-Total`` / ``X-WP-TotalPages``, ``{"code", "message", "data": {"status"}}`` errors,
webhooks and order refunds as resources. State is kept so that tests see what a real store
would hold after our calls (webhooks created, refunds made)."""

from __future__ import annotations

import base64
import copy
import json
import math
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

KEY = "ck_" + "4f2a9c1e7b3d5a8f0c6e2b9d1a7f3c5e8b0d4a6f"
SECRET = "cs_" + "9e1b7d3f5a0c8e2b6d4f1a9c7e3b5d0f2a8c6e4b"
PREFIX = "/wp-json/wc/v3/"


def _error(status: int, code: str, message: str) -> Response:
    body = {"code": code, "message": message, "data": {"status": status}}
    return Response(json.dumps(body), status=status, content_type="application/json")


@dataclass
class WooStore:
    server: HTTPServer
    key: str = KEY
    secret: str = SECRET
    orders: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    refunds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    products: list[dict[str, Any]] = field(default_factory=list)
    variations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    currency: str = "USD"
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses to answer next, in order
    revoked_after: int | None = None  # answer 401 once this many order pages were served
    pages_served: int = 0
    next_id: int = 900
    # WordPress in a folder of its own (https://example.com/shop): each test's store has its
    # own address, as the database (shared by a test session) keys connections by it
    folder: str = field(default_factory=lambda: f"/shop-{uuid.uuid4().hex[:10]}")

    @property
    def url(self) -> str:
        return self.server.url_for(self.folder).rstrip("/")

    @property
    def prefix(self) -> str:
        return self.folder + PREFIX

    def install(self) -> WooStore:
        self.server.expect_request(re.compile("^" + re.escape(self.prefix))).respond_with_handler(
            self.handle
        )
        return self

    # ------------------------------------------------------------------ dispatch

    def handle(self, request: Request) -> Response:
        path = request.path[len(self.prefix) :]
        self.requests.append((request.method, path, dict(request.args)))
        if not self._authorised(request):
            return _error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        if self.failures:
            status = self.failures.pop(0)
            headers = {"Retry-After": "1"} if status == 429 else {}
            return Response("{}", status=status, headers=headers, content_type="application/json")
        body = request.get_json(silent=True) if request.data else None
        if path == "orders" and request.method == "GET":
            return self._orders(request)
        if path == "settings/general/woocommerce_currency":
            return self._json(
                {
                    "id": "woocommerce_currency",
                    "label": "Currency",
                    "type": "select",
                    "default": "USD",
                    "value": self.currency,
                }
            )
        if path == "products" and request.method == "GET":
            return self._page(sorted(self.products, key=lambda p: p["id"]), request)
        found = re.fullmatch(r"products/(\d+)/variations", path)
        if found and request.method == "GET":
            return self._page(self.variations.get(found.group(1), []), request)
        if path == "webhooks" and request.method == "GET":
            return self._page(self.webhooks, request)
        if path == "webhooks" and request.method == "POST":
            return self._create_webhook(body or {})
        found = re.fullmatch(r"webhooks/(\d+)", path)
        if found and request.method == "PUT":
            return self._update_webhook(int(found.group(1)), body or {})
        found = re.fullmatch(r"orders/(\d+)", path)
        if found and request.method == "GET":
            order = self._order(found.group(1))
            return (
                self._json(order)
                if order
                else _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            )
        found = re.fullmatch(r"orders/(\d+)/refunds", path)
        if found and request.method == "GET":
            return self._page(self.refunds.get(found.group(1), []), request)
        if found and request.method == "POST":
            return self._create_refund(found.group(1), body or {})
        return _error(
            404, "rest_no_route", "No route was found matching the URL and request method."
        )

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        return header == expected

    def _json(
        self, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        return Response(
            json.dumps(data), status=status, headers=headers or {}, content_type="application/json"
        )

    def _page(self, items: list[dict[str, Any]], request: Request) -> Response:
        per_page = int(request.args.get("per_page", "10"))
        page = int(request.args.get("page", "1"))
        chunk = items[(page - 1) * per_page : page * per_page]
        pages = max(1, math.ceil(len(items) / per_page))
        return self._json(
            chunk, headers={"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}
        )

    def _orders(self, request: Request) -> Response:
        after = request.args.get("after")
        chosen = sorted(self.orders, key=lambda o: (o["date_created_gmt"], o["id"]))
        if after:
            chosen = [o for o in chosen if o["date_created_gmt"] > after]
        if request.args.get("per_page") != "1":
            self.pages_served += 1
            if self.revoked_after is not None and self.pages_served > self.revoked_after:
                return _error(
                    401, "woocommerce_rest_authentication_error", "Consumer key is invalid."
                )
        return self._page(chosen, request)

    def _order(self, order_id: str) -> dict[str, Any] | None:
        return next((o for o in self.orders if str(o["id"]) == order_id), None)

    def _create_webhook(self, body: dict[str, Any]) -> Response:
        self.next_id += 1
        topic = body["topic"]
        hook = {
            "id": self.next_id,
            "name": body.get("name", ""),
            "status": body.get("status", "active"),
            "topic": topic,
            "resource": topic.split(".")[0],
            "event": topic.split(".")[1],
            "hooks": [],
            "delivery_url": body["delivery_url"],
            "date_created_gmt": "2026-12-03T12:00:00",
            "date_modified_gmt": "2026-12-03T12:00:00",
            "_secret": body.get("secret"),
        }
        self.webhooks.append(hook)
        return self._json(self._public(hook), status=201)

    def _update_webhook(self, hook_id: int, body: dict[str, Any]) -> Response:
        for hook in self.webhooks:
            if hook["id"] == hook_id:
                hook.update({k: v for k, v in body.items() if k != "secret"})
                if "secret" in body:
                    hook["_secret"] = body["secret"]
                return self._json(self._public(hook))
        return _error(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")

    @staticmethod
    def _public(hook: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in hook.items() if not k.startswith("_")}  # secret: write-only

    def _create_refund(self, order_id: str, body: dict[str, Any]) -> Response:
        order = self._order(order_id)
        if order is None:
            return _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        refunded = sum(-float(r["total"]) for r in order.get("refunds", []))
        if float(body["amount"]) > float(order["total"]) - refunded + 1e-9:
            return _error(
                400, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount."
            )
        self.next_id += 1
        lines = []
        for i, item in enumerate(body.get("line_items", [])):
            original = next((li for li in order["line_items"] if li["id"] == item["id"]), None)
            if original is None:
                continue  # a shipping line
            tax = sum(float(t["refund_total"]) for t in item.get("refund_tax", []))
            net = f"-{float(item['refund_total']):.2f}"
            lines.append(
                {
                    "id": 1000 + i,
                    "name": original["name"],
                    "product_id": original["product_id"],
                    "variation_id": original["variation_id"],
                    "quantity": -item["quantity"],
                    "subtotal": net,
                    "total": net,
                    "total_tax": f"-{tax:.2f}",
                    "taxes": [],
                    "sku": original["sku"],
                    "price": 0,
                    "meta_data": [
                        {"id": 5000 + i, "key": "_refunded_item_id", "value": str(item["id"])}
                    ],
                }
            )
        refund = {
            "id": self.next_id,
            "date_created": "2026-12-03T07:00:00",
            "date_created_gmt": "2026-12-03T12:00:00",
            "amount": body["amount"],
            "reason": body.get("reason", ""),
            "refunded_by": 1,
            "refunded_payment": bool(body.get("api_refund", True)),
            "meta_data": [
                {"id": 7000 + m, "key": e["key"], "value": e["value"]}
                for m, e in enumerate(body.get("meta_data", []))
            ],
            "line_items": lines,
            "shipping_lines": [],
            "tax_lines": [],
            "fee_lines": [],
        }
        self.refunds.setdefault(order_id, []).append(refund)
        order.setdefault("refunds", []).append(
            {"id": refund["id"], "reason": refund["reason"], "total": f"-{body['amount']}"}
        )
        return self._json(copy.deepcopy(refund), status=201)

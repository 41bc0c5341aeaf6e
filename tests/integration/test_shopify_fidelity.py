"""Shopify webhooks as Shopify sends them, signed with the secret the merchant set through
our API: the order lands complete and converges whatever the order of delivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from tests.factories import ref
from tests.fakes import FakeClock

PAYLOADS = Path(__file__).parent.parent / "fixtures" / "payloads"
# The shop-specific key Shopify shows under Settings -> Notifications -> Webhooks.
SHOP_KEY = "b94f6f125c79e3a5ffaa826f584c10d52ada669e6762051b826b55776d05aed2"


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((PAYLOADS / name).read_bytes()))


class Shop:
    def __init__(self, client: TestClient, slug: str, key: str) -> None:
        self.client, self.slug = client, slug
        self.auth = {"Authorization": f"Bearer {key}"}

    def deliver(self, topic: str, payload: dict[str, Any], webhook_id: str | None = None) -> Any:
        raw = json.dumps(payload).encode()
        digest = hmac.new(SHOP_KEY.encode(), raw, hashlib.sha256).digest()
        webhook_id = webhook_id or ref()
        r = self.client.post(
            f"/webhooks/shopify/{self.slug}",
            content=raw,
            headers={"X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
                     "X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": webhook_id,
                     "X-Shopify-Shop-Domain": "north-wind.myshopify.com"},
        )  # fmt: skip
        assert r.status_code == 200, r.text
        out = self.client.get(
            f"/api/v1/merchant/webhook-deliveries/shopify/{webhook_id}", headers=self.auth
        )
        return out.json()["outcome"]

    def order(self, order_id: str) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/orders/{order_id}", headers=self.auth)
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture
def shop(engine):  # type: ignore[no-untyped-def]
    clock = FakeClock()
    clock.advance(days=20)  # the fixtures are from November 2026
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    merchant, key, _ = handlers.create_merchant(platform.uow(), clock, "North Wind " + ref())
    with TestClient(create_app(platform)) as client:
        r = client.put(
            "/api/v1/merchant/secrets",
            json={"shopify_webhook_secret": SHOP_KEY},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert r.status_code == 200
        yield Shop(client, merchant.slug, key)


def test_shopifys_reference_order_with_a_discount_is_stored_as_paid(shop) -> None:
    payload = load("shopify_order_reference_discount.json")
    payload.setdefault("created_at", "2025-07-02T11:31:38-05:00")
    outcome = shop.deliver("orders/create", payload)
    assert outcome["result"] == "processed", outcome
    order = shop.order(outcome["order_id"])
    assert order["total"]["amount"] == "181.09"
    assert order["totals"]["discounts"]["amount"] == "17.91"
    assert order["totals"]["subtotal"]["amount"] == "181.09"
    assert [d["code"] for d in order["details"]["discounts"]] == ["FAKE30"]
    token = urlsplit(order["tracking_url"]).path.rsplit("/", 1)[1]
    page = shop.client.get(f"/api/v1/public/track/{token}")  # the tracking page's JSON twin
    assert page.status_code == 200, page.text
    summary = page.json()["summary"]
    assert summary["total"] == "181.09"
    discount = {"label": "Discount (FAKE30)", "amount": "−$17.91", "kind": "discount"}
    assert discount in summary["rows"]
    html = shop.client.get(urlsplit(order["tracking_url"]).path).text
    assert "$181.09" in html and "FAKE30" in html


def test_every_field_a_merchant_expects_is_kept(shop) -> None:
    outcome = shop.deliver("orders/create", load("shopify_order.json"))
    order = shop.order(outcome["order_id"])
    d = order["details"]
    assert d["customer_name"] and d["billing_address"] and d["shipping_method"]
    assert d["note"] == "Please leave with the concierge."
    assert d["financial_status"] == "paid" and d["tags"]
    assert order["totals"]["total"]["amount"] == "139.66"
    assert order["totals"]["tax"]["amount"] == "15.21"
    line = order["lines"][0]
    assert line["variant_id"] and line["variant_title"] and line["external_id"]
    assert order["details"]["service_level"] is not None


@pytest.mark.parametrize("first", ["create", "update"])
def test_an_update_before_its_create_converges_on_the_same_order(shop, first) -> None:
    create = load("shopify_order.json")
    update = load("shopify_order_updated_edit.json")
    create["id"] = update["id"] = int(ref().encode().hex()[:12], 16)  # a fresh order id
    steps = [("orders/create", create), ("orders/updated", update)]
    if first == "update":
        steps.reverse()
    ids = {shop.deliver(topic, body)["order_id"] for topic, body in steps}
    assert len(ids) == 1
    order = shop.order(ids.pop())
    skus = {(li["sku"], li["quantity"], li["removed"]) for li in order["lines"]}
    edited = next(li for li in update["line_items"] if li["sku"] == "PDV-SLT-M")
    assert ("PDV-SLT-M", edited.get("current_quantity", edited["quantity"]), False) in skus
    assert order["updated_at"]


def test_a_redelivered_create_after_an_update_does_not_roll_it_back(shop) -> None:
    create = load("shopify_order.json")
    update = load("shopify_order_updated_edit.json")
    create["id"] = update["id"] = int(ref().encode().hex()[:12], 16)
    order_id = shop.deliver("orders/create", create)["order_id"]
    shop.deliver("orders/updated", update)
    after_update = shop.order(order_id)
    shop.deliver("orders/create", create)  # Shopify retried an old delivery
    assert shop.order(order_id)["lines"] == after_update["lines"]
    assert shop.order(order_id)["totals"] == after_update["totals"]


def test_refunds_per_line_and_for_shipping_only(shop) -> None:
    order_id = shop.deliver("orders/create", load("shopify_order.json"))["order_id"]
    lines = shop.deliver("refunds/create", load("shopify_refund_lines.json"))
    assert lines["result"] == "processed"
    shipping = shop.deliver("refunds/create", load("shopify_refund_shipping_only.json"))
    assert shipping["result"] == "processed"
    again = shop.deliver("refunds/create", load("shopify_refund_shipping_only.json"))
    assert again == {"result": "processed", "changed": False, "attempts": 1}
    order = shop.order(order_id)
    with_lines = [r for r in order["refunds"] if r["lines"]]
    shipping_only = [r for r in order["refunds"] if not r["lines"]]
    assert len(with_lines) == len(shipping_only) == 1
    assert all(x["line_id"] for x in with_lines[0]["lines"])
    assert shipping_only[0]["shipping"]["amount"] == shipping_only[0]["amount"]["amount"] != "0.00"
    total = sum(float(r["amount"]["amount"]) for r in order["refunds"])
    assert order["totals"]["refunded"]["amount"] == f"{total:.2f}"


def test_a_fulfilment_without_a_company_gets_its_carrier_from_the_url(shop) -> None:
    order_id = shop.deliver("orders/create", load("shopify_order.json"))["order_id"]
    outcome = shop.deliver(
        "fulfillments/create", load("shopify_fulfillment_legacy_no_company.json")
    )
    assert outcome["result"] == "processed" and outcome["warnings"] == []
    shipment = shop.order(order_id)["shipments"][0]
    assert shipment["carrier"] == "ups"
    assert shipment["tracking_url"].startswith("https://www.ups.com/track")


def test_a_fulfilment_line_we_do_not_know_is_kept_and_the_rest_stored(shop) -> None:
    order_id = shop.deliver("orders/create", load("shopify_order.json"))["order_id"]
    fulfilment = load("shopify_fulfillment_legacy_no_company.json")
    stranger = dict(fulfilment["line_items"][0], id=99999999999, sku="NOT-ON-ORDER", quantity=1)
    fulfilment["line_items"].append(stranger)
    outcome = shop.deliver("fulfillments/create", fulfilment)
    assert outcome["result"] == "processed"
    assert len(outcome["shipment_ids"]) == 1
    assert any("NOT-ON-ORDER" in w for w in outcome["warnings"])
    shipment = shop.order(order_id)["shipments"][0]
    assert shipment["lines"] == [{"sku": "TRJ-SLT-M", "quantity": 2}]


def test_bad_input_is_refused_naming_the_field(shop) -> None:
    for patch, field in [
        ({"currency": "ZZZ"}, "currency"),
        ({"line_items": [dict(load("shopify_order.json")["line_items"][0], quantity=-2)]},
         "line_items[0].quantity"),
    ]:  # fmt: skip
        body = {**load("shopify_order.json"), **patch}
        raw = json.dumps(body).encode()
        digest = hmac.new(SHOP_KEY.encode(), raw, hashlib.sha256).digest()
        r = shop.client.post(
            f"/webhooks/shopify/{shop.slug}", content=raw,
            headers={"X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
                     "X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": ref()},
        )  # fmt: skip
        assert r.status_code == 422, r.text
        assert r.json()["field"] == field


def test_a_shopper_who_paid_in_another_currency_sees_that_currency(shop) -> None:
    payload = load("shopify_order.json")  # a USD shop; the shopper paid in CAD
    order = shop.order(shop.deliver("orders/create", payload)["order_id"])
    shown = payload["total_price_set"]["presentment_money"]
    assert order["currency"] == "USD"  # the merchant's books stay in the shop's currency
    assert order["totals"]["presentment"] == {"amount": shown["amount"], "currency": "CAD"}
    token = urlsplit(order["tracking_url"]).path.rsplit("/", 1)[1]
    summary = shop.client.get(f"/api/v1/public/track/{token}").json()["summary"]
    assert summary["currency"] == "CAD" and summary["total"] == shown["amount"]
    assert all("CA$" in row["amount"] for row in summary["rows"])

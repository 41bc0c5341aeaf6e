"""Webhooks of shops that installed the app: signed with the app's client secret, the
products topics fill the catalogue, app/uninstalled stops processing and keeps history,
the mandatory privacy topics are answered (and the manual mode still works)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from postpurchase.service_layer import handlers
from tests.factories import ref
from tests.integration.storefronts.conftest import World, shopify_hmac
from tests.integration.storefronts.shopify_shapes import fixture

PRODUCT = {  # a products/create body, as Shopify's reference shows it
    "id": 788032119674292922,
    "title": "Example T-Shirt",
    "body_html": "An example T-Shirt",
    "vendor": "Acme",
    "product_type": "Shirts",
    "created_at": "2026-11-01T12:00:00-05:00",
    "handle": "example-t-shirt",
    "updated_at": "2026-11-02T12:00:00-05:00",
    "status": "active",
    "tags": "example, mens, t-shirt",
    "admin_graphql_api_id": "gid://shopify/Product/788032119674292922",
    "variants": [
        {"id": 642667041472713922, "product_id": 788032119674292922, "title": "Small",
         "price": "19.99", "sku": "EX-TS-S", "position": 1, "inventory_policy": "deny",
         "inventory_quantity": 75, "image_id": 3001,
         "admin_graphql_api_id": "gid://shopify/ProductVariant/642667041472713922"},
        {"id": 757650484644203962, "product_id": 788032119674292922, "title": "Medium",
         "price": "19.99", "sku": "", "position": 2, "inventory_policy": "continue",
         "inventory_quantity": -3, "image_id": None,
         "admin_graphql_api_id": "gid://shopify/ProductVariant/757650484644203962"},
    ],
    "images": [{"id": 3001, "src": "https://cdn.shopify.com/s/files/1/t-shirt-small.png"}],
    "image": {"id": 3001, "src": "https://cdn.shopify.com/s/files/1/t-shirt-small.png"},
}  # fmt: skip


def deliver(client: TestClient, url: str, topic: str, body: dict[str, Any], *,
            shop: str | None = None, secret: str | None = None) -> Any:  # fmt: skip
    raw = json.dumps(body).encode()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": ref("wh-"),
        "X-Shopify-Hmac-Sha256": shopify_hmac(raw, secret) if secret else shopify_hmac(raw),
        "X-Shopify-API-Version": "2026-10",
    }
    if shop:
        headers["X-Shopify-Shop-Domain"] = shop
    return client.post(url, content=raw, headers=headers)


def installed(world: World) -> tuple[str, str, dict[str, str]]:
    info = world.install()
    assert info.status_code == 200, info.text
    body = info.json()
    return body["merchant"], body["shop"], {"Authorization": f"Bearer {body['api_key']}"}


def test_app_deliveries_verify_with_the_client_secret(world: World) -> None:
    slug, _, auth = installed(world)
    order = fixture("shopify_order.json")
    r = deliver(world.client, f"/webhooks/shopify/{slug}", "orders/create", order)
    assert r.status_code == 200 and r.json()["received"], r.text
    found = world.client.get("/api/v1/orders", headers=auth).json()["data"]
    assert [o["external_id"] for o in found] == [str(order["id"])]
    bad = deliver(world.client, f"/webhooks/shopify/{slug}", "orders/create", order,
                  secret="shpss_someone-elses-app-secret")  # fmt: skip
    assert bad.status_code == 401


def test_a_manual_merchant_is_not_verified_by_the_app_secret(world: World) -> None:
    manual = handlers.create_merchant(world.platform.uow(), world.clock, "Manual " + ref())
    r = deliver(world.client, f"/webhooks/shopify/{manual.merchant.slug}", "orders/create",
                fixture("shopify_order.json"))  # fmt: skip
    assert r.status_code == 401


def test_products_webhooks_fill_the_catalogue_per_tenant(world: World) -> None:
    slug, _, auth = installed(world)
    url = f"/webhooks/shopify/{slug}"
    assert deliver(world.client, url, "products/create", PRODUCT).status_code == 200
    page = world.client.get("/api/v1/catalogue/products", headers=auth).json()
    [product] = page["items"]
    assert product["external_id"] == "788032119674292922" and product["title"] == "Example T-Shirt"
    assert (
        product["tags"] == ["example", "mens", "t-shirt"] and product["handle"] == "example-t-shirt"
    )
    small, medium = product["variants"]
    assert small == {
        "id": "642667041472713922", "gid": "gid://shopify/ProductVariant/642667041472713922",
        "title": "Small", "sku": "EX-TS-S", "price": "19.99", "currency": "USD",
        "image_url": "https://cdn.shopify.com/s/files/1/t-shirt-small.png",
        "inventory_policy": "deny", "inventory_quantity": 75, "position": 1,
    }  # fmt: skip
    assert medium["sku"] is None and medium["inventory_policy"] == "continue"
    by_sku = world.client.get("/api/v1/catalogue/products", params={"sku": "EX-TS-S"},
                              headers=auth).json()  # fmt: skip
    assert len(by_sku["items"]) == 1
    # another tenant sees none of it
    _, _, other = installed(world)
    assert world.client.get("/api/v1/catalogue/products", headers=other).json()["items"] == []
    renamed = {**PRODUCT, "title": "Example Tee", "updated_at": "2026-11-03T12:00:00-05:00"}
    deliver(world.client, url, "products/update", renamed)
    stale = {**PRODUCT, "title": "Old Title", "updated_at": "2026-11-01T13:00:00-05:00"}
    deliver(world.client, url, "products/update", stale)  # older: changes nothing
    page = world.client.get("/api/v1/catalogue/products", headers=auth).json()
    assert page["items"][0]["title"] == "Example Tee"
    deliver(world.client, url, "products/delete", {"id": 788032119674292922})
    assert world.client.get("/api/v1/catalogue/products", headers=auth).json()["items"] == []
    kept = world.client.get("/api/v1/catalogue/products", params={"include_deleted": True},
                            headers=auth).json()["items"]  # fmt: skip
    assert kept[0]["deleted_at"] is not None


def test_uninstall_stops_processing_and_keeps_history(world: World) -> None:
    slug, shop, auth = installed(world)
    url = f"/webhooks/shopify/{slug}"
    order = fixture("shopify_order.json")
    deliver(world.client, url, "orders/create", order)
    shop_body = {"id": 548380009, "name": "Acme", "domain": shop, "myshopify_domain": shop,
                 "updated_at": "2026-11-20T11:00:00-05:00"}  # fmt: skip
    r = deliver(world.client, url, "app/uninstalled", shop_body)
    assert r.status_code == 200 and r.json()["received"], r.text
    state = world.client.get("/api/v1/integrations/shopify", headers=auth).json()
    assert state["status"] == "uninstalled" and state["uninstalled_at"]
    later = {**order, "id": 820982911946154999, "name": "#9999"}
    ignored = deliver(world.client, url, "orders/create", later)
    assert ignored.status_code == 200 and "ignored" in ignored.json()
    ids = [
        o["external_id"] for o in world.client.get("/api/v1/orders", headers=auth).json()["data"]
    ]
    assert ids == [str(order["id"])]  # history kept, nothing new
    refused = world.client.post("/api/v1/integrations/shopify/backfill", json={}, headers=auth)
    assert refused.status_code == 409 and refused.json()["field"] == "shop"


def test_privacy_webhooks_at_the_app_address(world: World) -> None:
    slug, shop, auth = installed(world)
    order = fixture("shopify_order.json")
    deliver(world.client, f"/webhooks/shopify/{slug}", "orders/create", order)
    request = {"shop_id": 954889, "shop_domain": shop, "orders_requested": [order["id"]],
               "customer": {"id": 191167, "email": order["email"], "phone": "555-625-1199"},
               "data_request": {"id": 9999}}  # fmt: skip
    r = deliver(world.client, "/shopify/webhooks", "customers/data_request", request, shop=shop)
    assert r.status_code == 200 and r.json()["received"], r.text
    seen = world.client.get(f"/api/v1/merchant/webhook-deliveries/shopify/{r.json()['delivery']}",
                            headers=auth).json()  # fmt: skip
    assert seen["outcome"]["data_request"] == "9999"
    export = world.client.get(seen["outcome"]["export"], headers=auth)
    assert export.status_code == 200 and export.json()["orders"]
    redact = {"shop_id": 954889, "shop_domain": shop}
    bad = deliver(world.client, "/shopify/webhooks", "shop/redact", redact, shop=shop,
                  secret="shpss_wrong")  # fmt: skip
    assert bad.status_code == 401
    r = deliver(world.client, "/shopify/webhooks", "shop/redact",
                {"shop_id": 954889, "shop_domain": shop}, shop=shop)  # fmt: skip
    assert r.status_code == 200, r.text
    [held] = world.client.get("/api/v1/orders", headers=auth).json()["data"]
    detail = world.client.get(f"/api/v1/orders/{held['id']}", headers=auth).json()
    assert order["email"] not in json.dumps(detail)  # erased, the order itself kept
    unknown = deliver(world.client, "/shopify/webhooks", "shop/redact",
                      {"shop_id": 1, "shop_domain": "never-installed.myshopify.com"},
                      shop="never-installed.myshopify.com")  # fmt: skip
    assert unknown.status_code == 200 and "ignored" in unknown.json()

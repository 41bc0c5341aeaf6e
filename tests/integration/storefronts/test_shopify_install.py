"""Installing the Shopify app: the authorize redirect, the verified callback, the token
sealed at rest, the shop linked to a merchant, webhooks subscribed; refused callbacks
store nothing."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.storefronts.shopify.oauth import SCOPES
from tests.integration.storefronts.conftest import CLIENT_ID, CLIENT_SECRET, World
from tests.integration.storefronts.shopify_replay import TOKEN


def test_install_redirects_to_shopify_with_every_scope_and_a_signed_nonce(world: World) -> None:
    r = world.client.get("/shopify/install", params={"shop": "Acme-Outdoors.myshopify.com"},
                         follow_redirects=False)  # fmt: skip
    assert r.status_code == 302
    url = urlsplit(r.headers["location"])
    assert f"{url.scheme}://{url.netloc}" == world.shopify.base  # https://{shop} in production
    assert url.path == "/admin/oauth/authorize"
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert q["client_id"] == CLIENT_ID
    assert q["redirect_uri"] == "http://127.0.0.1:8000/shopify/callback"
    scopes = q["scope"].split(",")
    for needed in ("read_orders", "write_orders", "write_merchant_managed_fulfillment_orders",
                   "write_assigned_fulfillment_orders", "read_products", "read_inventory",
                   "read_locations", "write_returns"):  # fmt: skip
        assert needed in scopes
    assert tuple(scopes) == SCOPES
    cookie = r.headers["set-cookie"]
    assert q["state"] in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/shopify" in cookie and "Secure" not in cookie  # http base URL


def test_the_state_cookie_is_secure_behind_https(world: World, monkeypatch) -> None:
    world.platform.settings.base_url = "https://track.example.com"
    r = world.client.get("/shopify/install", params={"shop": "acme.myshopify.com"},
                         follow_redirects=False)  # fmt: skip
    assert "Secure" in r.headers["set-cookie"]
    assert (
        "redirect_uri=https%3A%2F%2Ftrack.example.com%2Fshopify%2Fcallback"
        in (r.headers["location"])
    )


@pytest.mark.parametrize("shop", ["evil.com", "acme.myshopify.com.evil.com", "a b.myshopify.com"])
def test_install_refuses_a_shop_that_is_not_a_myshopify_domain(world: World, shop: str) -> None:
    r = world.client.get("/shopify/install", params={"shop": shop}, follow_redirects=False)
    assert r.status_code == 422 and r.json()["field"] == "shop"


def test_callback_stores_the_token_sealed_and_creates_the_merchant(world: World, engine) -> None:
    r = world.install("acme-outdoors.myshopify.com")
    assert r.status_code == 200, r.text
    info = r.json()
    assert info["merchant"] == "acme-outdoors" and info["new_merchant"]
    assert info["api_key"].startswith("pp_")
    assert all(h["ok"] for h in info["webhooks"]) and len(info["webhooks"]) == 10
    exchange = world.shopify.exchanges[0]
    assert exchange == {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                        "code": "0907a61c0c8d55e99db179b68161bc00"}  # fmt: skip
    subs = world.shopify.ops("Subscribe")
    assert {s["topic"] for s in subs} == {
        "ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "FULFILLMENTS_CREATE",
        "FULFILLMENTS_UPDATE", "REFUNDS_CREATE", "PRODUCTS_CREATE", "PRODUCTS_UPDATE",
        "PRODUCTS_DELETE", "APP_UNINSTALLED",
    }  # fmt: skip
    assert {s["sub"]["callbackUrl"] for s in subs} == {
        "http://127.0.0.1:8000/webhooks/shopify/acme-outdoors"
    }
    c = t.store_connections.c
    with engine.connect() as conn:
        q = select(t.store_connections).where(c.shop == "acme-outdoors.myshopify.com")
        row = conn.execute(q).mappings().one()
    assert TOKEN not in json.dumps(dict(row), default=str)
    assert row["credentials"].startswith("fernet:")
    auth = {"Authorization": f"Bearer {info['api_key']}"}
    shown = world.client.get("/api/v1/integrations/shopify", headers=auth).json()
    assert shown["shop"] == "acme-outdoors.myshopify.com" and shown["status"] == "active"
    assert shown["currency"] == "USD" and "write_orders" in shown["scopes"]
    assert TOKEN not in json.dumps(shown)


def test_installing_again_keeps_the_merchant(world: World) -> None:
    first = world.install("again-shop.myshopify.com").json()
    world.client.headers["accept"] = "text/html"  # a merchant's browser gets a page
    page = world.install("again-shop.myshopify.com")
    assert page.status_code == 200 and "again-shop.myshopify.com is connected" in page.text
    assert "backfill again-shop" in page.text and "shown once" not in page.text
    del world.client.headers["accept"]
    again = world.install("again-shop.myshopify.com")
    assert again.status_code == 200, again.text
    assert again.json()["merchant"] == first["merchant"]
    assert again.json()["new_merchant"] is False and again.json()["api_key"] is None


def test_a_taken_slug_gets_a_suffix(world: World) -> None:
    from postpurchase.service_layer import handlers

    handlers.create_merchant(world.platform.uow(), world.clock, "Taken Shop", slug="taken-shop")
    info = world.install("taken-shop.myshopify.com").json()
    assert info["merchant"].startswith("taken-shop-") and info["new_merchant"]


@pytest.mark.parametrize(
    ("tamper", "field"),
    [
        ({"secret": "shpss_not-the-app-secret-0000000000"}, "hmac"),
        ({"timestamp": 1_700_000_000}, "timestamp"),  # long before the clock's now
        ({"state": "a-state-this-browser-never-got"}, "state"),
        ({"drop_cookie": True}, "state"),
    ],
)
def test_a_refused_callback_stores_nothing(world: World, engine, tamper, field) -> None:
    shop = "refused-shop.myshopify.com"
    r = world.install(shop, **tamper)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
    assert world.shopify.exchanges == []  # the code was never exchanged
    with engine.connect() as conn:
        c = t.store_connections.c
        assert conn.execute(select(func.count()).where(c.shop == shop)).scalar_one() == 0
        m = t.merchants.c
        assert conn.execute(select(func.count()).where(m.slug == "refused-shop")).scalar_one() == 0


def test_without_the_app_configured_install_says_which_setting(world: World) -> None:
    world.platform.settings.shopify_client_secret = ""
    r = world.client.get("/shopify/install", params={"shop": "a.myshopify.com"},
                         follow_redirects=False)  # fmt: skip
    assert r.status_code == 404 and r.json()["field"] == "shopify_client_id"

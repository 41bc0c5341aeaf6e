"""Backfilling a shop's history through the Admin GraphQL API: pages by cursor, the cost
based rate limit waited out, a revoked token stopping the run with its cursor saved and
the next run resuming there, idempotent with the webhooks; from the CLI (progress bar)
and from the API (run by the worker)."""

from __future__ import annotations

import json
from copy import deepcopy
from typing import Any

import pytest
from typer.testing import CliRunner

from postpurchase.adapters.outbox import drain
from postpurchase.adapters.storefronts.shopify import backfill as shopify_backfill
from postpurchase.entrypoints.cli import app as cli
from tests.integration.storefronts.conftest import World
from tests.integration.storefronts.shopify_shapes import fixture, graphql_order
from tests.integration.storefronts.test_shopify_app_webhooks import PRODUCT, deliver, installed

runner = CliRunner()


def rest_orders() -> list[dict[str, Any]]:
    """Five orders as webhooks deliver them: the reference orders under new ids, one with a
    fulfilment and a refund, one in a currency no ISO list has (refused, skipped)."""
    sources = ["shopify_order.json", "shopify_order_reference_discount.json",
               "shopify_order_multicurrency.json", "shopify_order.json",
               "shopify_order.json"]  # fmt: skip
    out = []
    for i, name in enumerate(sources):
        o = deepcopy(fixture(name))
        o["id"] = 6100000000000 + i
        o["name"] = f"#61{i:02d}"
        o["created_at"] = f"2026-10-0{i + 1}T10:00:00-04:00"
        o["fulfillments"], o["refunds"] = [], []
        out.append(o)
    first = out[0]
    first["fulfillments"] = [{**fixture("shopify_fulfillment.json"), "order_id": first["id"]}]
    first["refunds"] = [{**fixture("shopify_refund_lines.json"), "order_id": first["id"]}]
    out[4]["currency"] = "XYZ"
    return out


@pytest.fixture
def shop(
    world: World, monkeypatch, backend_url: str
) -> tuple[World, str, dict[str, str], list[dict[str, Any]]]:
    monkeypatch.setattr(shopify_backfill, "ORDERS_PAGE", 2)
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)  # the CLI's database
    slug, _, auth = installed(world)
    orders = rest_orders()
    old = deepcopy(orders[1])
    old["id"], old["created_at"] = 6099999999999, "2025-12-31T23:00:00-05:00"  # before --since
    world.shopify.orders = [graphql_order(o) for o in [old, *orders]]
    return world, slug, auth, orders


def cli_run(world: World, *args: str) -> Any:
    return runner.invoke(cli, ["shopify", *args])


def test_a_revoked_token_stops_the_run_and_the_next_run_resumes(shop) -> None:
    world, slug, auth, orders = shop
    replay = world.shopify
    replay.then("BackfillOrders", replay.throttled)  # the bucket is empty at first
    replay.then("BackfillOrders", replay.revoked, after=1)  # page 2: the token was revoked
    first = cli_run(world, "backfill", slug, "--since", "2026-01-01", "--no-products")
    assert first.exit_code == 2, first.output
    assert (
        "stopped after 2 imported" in first.stderr and "run the same command again" in first.stderr
    )
    assert "refused the access token (401)" in first.stderr
    calls = replay.ops("BackfillOrders")
    assert len(calls) == 3  # throttled, page 1, refused
    assert calls[1]["query"] == "created_at:>=2026-01-01" and calls[1]["after"] is None
    status = world.client.get("/api/v1/integrations/shopify/backfill", headers=auth).json()
    stopped = status["backfill"]["orders"]
    assert stopped["status"] == "stopped" and stopped["imported"] == 2
    assert "401" in stopped["last_error"] and stopped["cursor"]
    again = cli_run(world, "backfill", slug, "--since", "2026-01-01", "--no-products")
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert summary["orders"] == {"imported": 4, "skipped": 1, "pages": 2, "status": "done"}
    assert replay.ops("BackfillOrders")[3]["after"] == stopped["cursor"]  # resumed there
    assert "XYZ" in again.stderr  # the skipped order is named with its reason
    listed = world.client.get("/api/v1/orders", params={"limit": 50}, headers=auth).json()["data"]
    assert sorted(o["external_id"] for o in listed) == sorted(str(o["id"]) for o in orders[:4])
    first_order = next(o for o in listed if o["external_id"] == str(orders[0]["id"]))
    detail = world.client.get(f"/api/v1/orders/{first_order['id']}", headers=auth).json()
    assert [s["tracking_number"] for s in detail["shipments"]]  # the fulfilment's parcel
    assert detail["refunds"] and detail["refunds"][0]["external_id"]


def test_backfill_and_webhooks_never_duplicate(shop) -> None:
    world, slug, auth, orders = shop
    url = f"/webhooks/shopify/{slug}"
    deliver(world.client, url, "orders/create", orders[0])  # the webhook came first
    fulfilment = {**fixture("shopify_fulfillment.json"), "order_id": orders[0]["id"]}
    deliver(world.client, url, "fulfillments/create", fulfilment)
    done = cli_run(world, "backfill", slug, "--since", "2026-01-01", "--no-products")
    assert done.exit_code == 0, done.output
    again = cli_run(world, "backfill", slug, "--since", "2026-01-01", "--restart",
                    "--no-products")  # fmt: skip
    assert again.exit_code == 0, again.output
    deliver(world.client, url, "orders/updated", orders[1])  # and a webhook after it
    listed = world.client.get("/api/v1/orders", params={"limit": 50}, headers=auth).json()["data"]
    assert len(listed) == 4 == len({o["external_id"] for o in listed})
    first = next(o for o in listed if o["external_id"] == str(orders[0]["id"]))
    detail = world.client.get(f"/api/v1/orders/{first['id']}", headers=auth).json()
    numbers = [s["tracking_number"] for s in detail["shipments"]]
    assert len(numbers) == len(set(numbers)) >= 1
    assert len(detail["refunds"]) == 1


def test_the_api_queues_the_backfill_for_the_worker(shop) -> None:
    world, _, auth, _ = shop
    world.shopify.products = [
        {"id": "gid://shopify/Product/788032119674292922", "legacyResourceId": "788032119674292922",
         "title": "Example T-Shirt", "handle": "example-t-shirt", "status": "ACTIVE",
         "vendor": "Acme", "productType": "Shirts", "tags": ["example", "mens"],
         "updatedAt": "2026-11-02T17:00:00Z",
         "featuredImage": {"url": "https://cdn.shopify.com/s/files/1/t-shirt.png"},
         "collections": {"nodes": [{"handle": "summer"}, {"handle": "shirts"}]},
         "variants": {"nodes": [
             {"id": "gid://shopify/ProductVariant/642667041472713922",
              "legacyResourceId": "642667041472713922", "title": "Small", "sku": "EX-TS-S",
              "price": "19.99", "position": 1, "inventoryPolicy": "DENY",
              "inventoryQuantity": 75, "image": None}]}},
    ]  # fmt: skip
    r = world.client.post("/api/v1/integrations/shopify/backfill",
                          json={"since": "2026-01-01"}, headers=auth)  # fmt: skip
    assert r.status_code == 202, r.text
    assert (
        r.headers["location"] == r.json()["status_url"] == "/api/v1/integrations/shopify/backfill"
    )
    assert r.json()["backfill"]["orders"]["status"] == "running"
    busy = world.client.post("/api/v1/integrations/shopify/backfill", json={}, headers=auth)
    assert busy.status_code == 409 and busy.json()["field"] == "kind"
    assert world.shopify.ops("BackfillOrders") == []  # nothing ran in the request
    drain(world.platform.engine, world.platform.subscribers, now=world.clock.now)
    status = world.client.get(r.json()["status_url"], headers=auth).json()["backfill"]
    assert status["orders"]["status"] == "done" and status["orders"]["imported"] == 4
    assert status["orders"]["skipped"] == 1
    assert status["products"]["status"] == "done" and status["products"]["imported"] == 1
    [product] = world.client.get("/api/v1/catalogue/products", headers=auth).json()["items"]
    assert product["collections"] == ["summer", "shirts"]
    assert (
        product["variants"][0]["price"] == "19.99" and product["variants"][0]["currency"] == "USD"
    )
    # a products/update webhook keeps the collections the backfill found
    deliver(world.client, f"/webhooks/shopify/{installed_slug(world, auth)}", "products/update",
            {**PRODUCT, "updated_at": "2026-11-05T12:00:00-05:00"})  # fmt: skip
    [product] = world.client.get("/api/v1/catalogue/products", headers=auth).json()["items"]
    assert product["collections"] == ["summer", "shirts"] and len(product["variants"]) == 2


def installed_slug(world: World, auth: dict[str, str]) -> str:
    shop = world.client.get("/api/v1/integrations/shopify", headers=auth).json()["shop"]
    return str(shop).removesuffix(".myshopify.com")


def test_bad_input_is_one_line(shop) -> None:
    world, slug, _, _ = shop
    r = cli_run(world, "backfill", slug, "--since", "last tuesday")
    assert r.exit_code == 2 and r.stderr.strip().startswith("error: --since")
    r = cli_run(world, "backfill", "no-such-merchant")
    assert r.exit_code == 2 and "no merchant" in r.stderr

"""WooCommerce webhooks as WooCommerce sends them (headers, signature, the save-time ping),
signed with the secret the merchant set through our API: orders land complete, refunds and
tracking numbers with them, any order of arrival converges, and bad deliveries store
nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postpurchase.adapters.db import tables as t
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from tests.factories import ref
from tests.fakes import FakeClock
from tests.integration.woocommerce.support import NOW, Store, load

# What a merchant types into WooCommerce -> Settings -> Advanced -> Webhooks -> Secret
SECRET = "wc-5f1e0b7c2d9a4e3f8b6c1d0a9e8f7b6c"


def _store(platform, clock, client, secret: str) -> Store:  # type: ignore[no-untyped-def]
    merchant, key, _ = handlers.create_merchant(platform.uow(), clock, "Mugs " + ref())
    r = client.put(
        "/api/v1/merchant/secrets",
        json={"woocommerce_webhook_secret": secret},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 200, r.text
    return Store(client, merchant.slug, key, secret)


@pytest.fixture
def env(engine):  # type: ignore[no-untyped-def]
    clock = FakeClock(NOW)
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    with TestClient(create_app(platform)) as client:
        yield platform, clock, client


@pytest.fixture
def store(env) -> Store:  # type: ignore[no-untyped-def]
    return _store(*env, SECRET)


def _inbox_rows(engine, source: str = "woocommerce") -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(t.webhook_inbox)
                .where(t.webhook_inbox.c.source == source)
            ).scalar_one()
        )


def test_an_order_lands_with_its_money_discounts_fees_and_unknown_skus(store: Store) -> None:
    outcome = store.deliver("order.created", load("order_created.json"))
    assert outcome["result"] == "processed" and outcome["created"] is True
    order = store.order(outcome["order_id"])
    assert order["external_id"] == "5271" and order["number"] == "#5271"
    assert order["source"] == "woocommerce" and order["status"] == "unfulfilled"
    totals = order["totals"]
    assert {k: totals[k]["amount"] for k in ("subtotal", "discounts", "shipping", "tax",
                                             "total", "paid")} == {
        "subtotal": "58.00", "discounts": "6.00", "shipping": "6.95", "tax": "5.20",
        "total": "70.15", "paid": "70.15",
    }  # fmt: skip
    assert totals["taxes_included"] is False
    lines = {li["sku"]: li for li in order["lines"]}
    assert lines["MUG-12-SAND"]["unit_price"]["amount"] == "18.00"
    assert lines["MUG-12-SAND"]["discount"]["amount"] == "3.60"
    assert lines["variation-23"]["name"] == "Pour-over Dripper - Black"  # no SKU: kept
    assert lines["fee-320"]["unit_price"]["amount"] == "4.00"  # gift wrap: nothing ships
    details = order["details"]
    assert details["discounts"][0]["code"] == "welcome10"
    assert details["shipping_method"] == "UPS Ground"
    assert details["note"].startswith("Please leave it")
    assert order["email"] == "maya.okafor@example.com"
    assert order["shipping_address"]["postal_code"] == "40204"


def test_a_refund_and_a_tracking_number_arrive_as_order_updated(store: Store) -> None:
    created = store.deliver("order.created", load("order_created.json"))
    updated = store.deliver("order.updated", load("order_updated_refund_tracking.json"))
    assert updated["result"] == "processed"
    assert updated["refunds"] == [{"refund_external_id": "5290", "recorded": True}]
    assert len(updated["shipment_ids"]) == 1
    order = store.order(created["order_id"])
    assert [(r["external_id"], r["amount"]["amount"], r["note"]) for r in order["refunds"]] == [
        ("5290", "23.33", "Dripper arrived chipped")
    ]
    assert order["totals"]["refunded"]["amount"] == "23.33"
    (parcel,) = order["shipments"]
    assert parcel["tracking_number"] == "1Z999AA10123456784" and parcel["carrier"] == "ups"
    assert order["details"]["financial_status"] == "partially_refunded"
    # the same snapshot again, as a new delivery: nothing more is recorded
    again = store.deliver("order.updated", load("order_updated_refund_tracking.json"))
    assert again["refunds"] == [{"refund_external_id": "5290", "recorded": False}]
    assert len(store.order(created["order_id"])["refunds"]) == 1
    assert len(store.order(created["order_id"])["shipments"]) == 1


def test_a_redelivery_is_a_no_op(store: Store, engine) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(load("order_created.json")).encode()
    first = store.post("order.created", body, "delivery-77")
    before = _inbox_rows(engine)
    again = store.post("order.created", body, "delivery-77")
    assert first.status_code == again.status_code == 200
    assert again.json() == {"duplicate": True, "delivery": "delivery-77"}
    assert _inbox_rows(engine) == before


def test_an_older_snapshot_after_a_newer_one_does_not_roll_the_order_back(store: Store) -> None:
    newer = store.deliver("order.updated", load("order_updated_refund_tracking.json"))
    older = store.deliver("order.created", load("order_created.json"))
    assert older["created"] is False
    order = store.order(newer["order_id"])
    assert order["details"]["financial_status"] == "partially_refunded"
    assert order["details"]["fulfillment_status"] == "fulfilled"
    assert len(order["refunds"]) == 1


def test_order_deleted_cancels_the_order_and_keeps_it(store: Store) -> None:
    created = store.deliver("order.created", load("order_created.json"))
    outcome = store.deliver("order.deleted", load("order_deleted.json"))
    assert outcome["result"] == "processed" and outcome["changed"] is True
    order = store.order(created["order_id"])
    assert order["status"] == "cancelled" and order["cancelled_at"] is not None
    assert order["totals"]["total"]["amount"] == "70.15"  # history kept
    # a deletion of an order we never had changes nothing and is not retried
    unknown = store.deliver("order.deleted", {"id": 999999})
    assert unknown == {**unknown, "result": "processed", "changed": False}


def test_prices_including_tax_are_kept_as_the_shopper_saw_them(store: Store) -> None:
    outcome = store.deliver("order.created", load("order_prices_include_tax.json"))
    order = store.order(outcome["order_id"])
    totals = order["totals"]
    assert totals["taxes_included"] is True and totals["total"]["currency"] == "EUR"
    assert (totals["subtotal"]["amount"], totals["shipping"]["amount"]) == ("42.50", "4.90")
    assert (totals["discounts"]["amount"], totals["total"]["amount"]) == ("2.00", "47.40")
    assert totals["paid"]["amount"] == "0.00" or Decimal(totals["paid"]["amount"]) == 0
    lines = {li["sku"]: li for li in order["lines"]}
    assert lines["BEANS-EIO-250"]["unit_price"]["amount"] == "11.50"
    # 10.00 over 3 units: 3.34 each, the cent booked as discount so the line adds up
    cups = lines["product-88"]
    assert (cups["unit_price"]["amount"], cups["discount"]["amount"]) == ("3.34", "0.02")
    assert order["locale"] == "de"


def test_the_ping_on_save_is_answered_and_stores_nothing(
    store: Store,
    engine,  # type: ignore[no-untyped-def]
) -> None:
    before = _inbox_rows(engine)
    r = store.client.post(
        f"/webhooks/woocommerce/{store.slug}",
        content=b"webhook_id=31",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200 and r.json() == {"ping": True}
    assert _inbox_rows(engine) == before


def test_bad_signatures_and_unknown_merchants_get_the_same_401_and_store_nothing(
    store: Store,
    engine,  # type: ignore[no-untyped-def]
) -> None:
    body = json.dumps(load("order_created.json")).encode()
    before = _inbox_rows(engine)
    forged = store.post("order.created", body, **{"X-WC-Webhook-Signature": "bm90IGl0"})
    unsigned = store.client.post(
        f"/webhooks/woocommerce/{store.slug}", content=body,
        headers={"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Delivery-ID": "9"},
    )  # fmt: skip
    stranger = Store(store.client, "no-such-shop-" + ref(), "x", SECRET)
    unknown = stranger.post("order.created", body)
    assert forged.status_code == unsigned.status_code == unknown.status_code == 401
    assert forged.json() == unknown.json()
    assert forged.json()["field"] == "X-WC-Webhook-Signature"
    assert forged.headers["content-type"].startswith("application/problem+json")
    assert _inbox_rows(engine) == before


def test_malformed_bodies_are_refused_naming_the_field_and_store_nothing(
    store: Store,
    engine,  # type: ignore[no-untyped-def]
) -> None:
    before = _inbox_rows(engine)
    r = store.post("order.created", b"{not json")
    assert r.status_code == 400 and r.json()["field"] == "body"
    order = load("order_created.json")
    order["line_items"][0]["total"] = 32.4  # a float: inexact money
    r = store.post("order.created", json.dumps(order).encode())
    assert r.status_code == 422 and r.json()["field"] == "line_items[0].total"
    order = load("order_created.json")
    order["currency"] = "DOLLARS"
    r = store.post("order.created", json.dumps(order).encode())
    assert r.status_code == 422 and r.json()["field"] == "currency"
    r = store.post("order.created", json.dumps(load("order_created.json")).encode(),
                   **{"X-WC-Webhook-Delivery-ID": ""})  # fmt: skip
    assert r.status_code == 400 and r.json()["field"] == "X-WC-Webhook-Delivery-ID"
    r = store.post("coupon.created", b'{"id": 4}')
    assert r.status_code == 422 and r.json()["field"] == "X-WC-Webhook-Topic"
    assert _inbox_rows(engine) == before


def test_tenants_never_see_each_other(env) -> None:  # type: ignore[no-untyped-def]
    a = _store(*env, SECRET)
    b = _store(*env, "wc-b-" + ref() + "-secret")
    outcome = a.deliver("order.created", load("order_created.json"))
    # B's secret does not open A's endpoint, and B's key does not read A's order or delivery
    body = json.dumps(load("order_created.json")).encode()
    r = Store(a.client, a.slug, "x", b.secret).post("order.created", body)
    assert r.status_code == 401
    assert b.client.get(f"/api/v1/orders/{outcome['order_id']}", headers=b.auth).status_code == 404
    assert b.order_by_external("5271") is None
    # the same store order id at B is B's own order
    mine = b.deliver("order.created", load("order_created.json"))
    assert mine["created"] is True and mine["order_id"] != outcome["order_id"]


def test_products_sync_into_the_catalogue_and_a_deleted_one_is_flagged(store: Store) -> None:
    simple = store.deliver("product.updated", load("product_simple.json"))
    variable = store.deliver("product.created", load("product_variable.json"))
    assert simple["result"] == variable["result"] == "processed"
    r = store.client.get("/api/v1/catalogue/products", headers=store.auth)
    assert r.status_code == 200, r.text
    products = {p["external_id"]: p for p in r.json()["items"]}
    mug = products["93"]
    assert (mug["title"], mug["status"], mug["collections"]) == (
        "Stoneware Mug, 12 oz", "active", ["mugs"]
    )  # fmt: skip
    (variant,) = mug["variants"]
    assert (variant["sku"], variant["inventory_policy"], variant["inventory_quantity"]) == (
        "MUG-12-SAND", "deny", 37
    )  # fmt: skip
    # a webhook names a variable product's variations by id only; the backfill fills them
    assert [v["id"] for v in products["22"]["variants"]] == ["23", "24"]
    gone = store.deliver("product.deleted", {"id": 93})
    assert gone["result"] == "processed"
    r = store.client.get("/api/v1/catalogue/products?include_deleted=true", headers=store.auth)
    deleted = {p["external_id"]: p["deleted_at"] for p in r.json()["items"]}
    assert deleted["93"] is not None and deleted["22"] is None

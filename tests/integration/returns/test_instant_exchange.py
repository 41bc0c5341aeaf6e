"""Instant exchange over HTTP, both backends: a customer the policy's rule trusts gets the
exchange order at approval, before the parcel is back; resolving later finds the same
order; a customer the rule does not trust waits, with the reason recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.outbox import drain
from tests.factories import T0, ref
from tests.integration.returns.conftest import Shop
from tests.integration.returns.test_returns_store_exchange import (
    catalogue,
    mug_ask,
    put_policy,
    shop_order,
)

TRUST = {"min_orders": 1, "max_order_value": {"USD": "100"}}


def _work(shop: Shop) -> None:
    drain(shop.platform.engine, shop.platform.subscribers, now=shop.clock.now)


def _exchange_orders(shop: Shop) -> int:
    o = t.orders.c
    with shop.platform.engine.connect() as conn:
        q = select(func.count()).where(o.merchant_id == shop.merchant_id, o.source == "exchange")
        return int(conn.execute(q).scalar_one())


def _ask(order: Any, variant: str) -> dict[str, Any]:
    return mug_ask(
        order, resolution="exchange",
        exchange=[{"order_line_id": order.lines[0].id, "variant_id": variant}],
    )  # fmt: skip


def test_a_trusted_customer_gets_the_exchange_before_the_parcel_arrives(shop: Shop) -> None:
    put_policy(shop, {"resolutions": ["refund", "exchange"], "instant_exchange": TRUST})
    ids = catalogue(shop)
    email = f"{ref()}@example.com"
    shop_order(shop, email=email, placed_at=T0 - timedelta(days=60))  # an earlier order
    order = shop_order(shop, email=email)
    c = shop.client
    r = c.post(f"/api/v1/orders/{order.id}/returns", json=_ask(order, ids["Green"]))
    assert r.status_code == 201 and r.json()["status"] == "approved", r.text
    rid = r.json()["id"]
    _work(shop)
    early = c.get(f"/api/v1/returns/{rid}").json()
    assert early["status"] == "approved"  # nothing has come back yet
    placed = early["exchange"]["order_id"]
    assert placed is not None
    new_order = c.get(f"/api/v1/orders/{placed}").json()
    assert new_order["source"] == "exchange" and new_order["lines"][0]["sku"] == "MUG-G"
    _work(shop)  # a replay places nothing more
    assert _exchange_orders(shop) == 1
    # The parcel comes back later; resolving finds the same exchange order.
    assert c.post(f"/api/v1/returns/{rid}/receive").json()["status"] == "received"
    lines = [{"order_line_id": order.lines[0].id, "grade": "resellable"}]
    assert c.post(f"/api/v1/returns/{rid}/inspect", json={"lines": lines}).status_code == 200
    done = c.post(f"/api/v1/returns/{rid}/resolve").json()
    assert done["status"] == "exchanged" and done["exchange"]["order_id"] == placed
    assert _exchange_orders(shop) == 1


def test_a_new_customer_or_a_dear_order_waits_for_the_parcel(shop: Shop) -> None:
    put_policy(shop, {"resolutions": ["exchange"], "instant_exchange": TRUST})
    ids = catalogue(shop)
    order = shop_order(shop)  # no earlier order
    c = shop.client
    rid = c.post(f"/api/v1/orders/{order.id}/returns", json=_ask(order, ids["Green"])).json()["id"]
    _work(shop)
    assert c.get(f"/api/v1/returns/{rid}").json()["exchange"]["order_id"] is None
    assert _exchange_orders(shop) == 0

    put_policy(
        shop,
        {"resolutions": ["exchange"],
         "instant_exchange": {"min_orders": 0, "max_order_value": {"USD": "10"}}},
    )  # fmt: skip
    dear = shop_order(shop)
    rid2 = c.post(f"/api/v1/orders/{dear.id}/returns", json=_ask(dear, ids["Green"])).json()["id"]
    _work(shop)
    assert c.get(f"/api/v1/returns/{rid2}").json()["exchange"]["order_id"] is None
    # Waiting is the old flow: the exchange order comes with the resolve.
    out = c.post(f"/api/v1/returns/{returned_and_put_away_again(shop, dear, rid2)}/resolve")
    assert out.json()["status"] == "exchanged"


def returned_and_put_away_again(shop: Shop, order: Any, rid: str) -> str:
    c = shop.client
    assert c.post(f"/api/v1/returns/{rid}/receive").json()["status"] == "received"
    lines = [{"order_line_id": order.lines[0].id, "grade": "resellable"}]
    assert c.post(f"/api/v1/returns/{rid}/inspect", json={"lines": lines}).status_code == 200
    return rid


def test_a_rejected_return_costs_the_trust(shop: Shop) -> None:
    put_policy(
        shop,
        {"resolutions": ["refund", "exchange"], "instant_exchange": {"min_orders": 1},
         "reasons": [{"code": "too_small", "label": "Too small", "review": True}]},
    )  # fmt: skip
    ids = catalogue(shop)
    email = f"{ref()}@example.com"
    first = shop_order(shop, email=email, placed_at=T0 - timedelta(days=60))
    c = shop.client
    r1 = c.post(f"/api/v1/orders/{first.id}/returns", json=mug_ask(first)).json()["id"]
    assert c.post(f"/api/v1/returns/{r1}/reject", json={"reason": "worn"}).status_code == 200
    order = shop_order(shop, email=email)
    rid = c.post(f"/api/v1/orders/{order.id}/returns", json=_ask(order, ids["Green"])).json()["id"]
    assert c.post(f"/api/v1/returns/{rid}/approve").json()["status"] == "approved"
    _work(shop)
    assert c.get(f"/api/v1/returns/{rid}").json()["exchange"]["order_id"] is None


def test_a_bad_instant_exchange_rule_is_refused_naming_it(shop: Shop) -> None:
    r = shop.client.put(
        "/api/v1/returns/policy", json={"instant_exchange": {"min_orders": 1, "trust": True}}
    )
    assert r.status_code == 422 and "instant_exchange" in r.json()["field"], r.text

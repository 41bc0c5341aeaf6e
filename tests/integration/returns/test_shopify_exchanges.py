"""Exchanges through Shopify's returns API, over HTTP on both backends, replayed by a local
Shopify (pytest-httpserver) with the documented shapes: returnCreate with exchange line
items, then returnProcess with each line's disposition once the parcel is put away; an
instant exchange records the return in Shopify at approval and processes it later, once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from postpurchase.adapters.outbox import drain
from postpurchase.domain.ids import new_id
from postpurchase.domain.storefronts import StoreConnection, StorePlatform
from tests.factories import T0, ref
from tests.fakes import FakeClock
from tests.integration.returns.conftest import Shop, make_shop
from tests.integration.returns.shopify_returns_replay import LOCATION, ReturnsReplay
from tests.integration.returns.test_returns_store_exchange import (
    MUG_STORE_LINE,
    catalogue,
    mug_ask,
    put_policy,
    shop_order,
)
from tests.integration.storefronts.conftest import CLIENT_ID, CLIENT_SECRET

FLI = "gid://shopify/FulfillmentLineItem/1001"


@pytest.fixture
def shopify(httpserver: HTTPServer) -> ReturnsReplay:
    return ReturnsReplay(httpserver)


@pytest.fixture
def store_shop(
    engine: Any, clock: FakeClock, shopify: ReturnsReplay, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Shop]:
    monkeypatch.setenv("POSTPURCHASE_SHOPIFY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("POSTPURCHASE_SHOPIFY_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("POSTPURCHASE_SHOPIFY_ADMIN_BASE_URL", shopify.base)
    for shop in make_shop(engine, clock):
        with shop.platform.uow() as uow:
            uow.connections.add(
                StoreConnection(
                    id=new_id(), merchant_id=shop.merchant_id, platform=StorePlatform.SHOPIFY,
                    shop=f"{ref()}.myshopify.com",
                    scopes=("read_orders", "write_orders", "read_returns", "write_returns"),
                    credentials={"access_token": shopify.token}, installed_at=T0,
                )
            )  # fmt: skip
            uow.commit()
        yield shop


def _exchange(
    shop: Shop, shopify: ReturnsReplay, email: str | None = None, **policy: Any
) -> tuple[Any, dict[str, Any]]:
    put_policy(shop, {"resolutions": ["refund", "exchange"], **policy})
    ids = catalogue(shop)
    order = shop_order(shop, **({"email": email} if email else {}))
    gid = f"gid://shopify/Order/{order.external_id}"
    shopify.returnable[gid] = [(FLI, f"gid://shopify/LineItem/{MUG_STORE_LINE}", 2)]
    body = mug_ask(
        order, resolution="exchange",
        exchange=[{"order_line_id": order.lines[0].id, "variant_id": ids["Green"]}],
    )  # fmt: skip
    return order, body


def _put_away(shop: Shop, order: Any, rid: str) -> None:
    c = shop.client
    assert c.post(f"/api/v1/returns/{rid}/receive").json()["status"] == "received"
    lines = [{"order_line_id": order.lines[0].id, "grade": "resellable"}]
    assert c.post(f"/api/v1/returns/{rid}/inspect", json={"lines": lines}).status_code == 200


def test_an_exchange_is_created_and_processed_in_shopify(
    store_shop: Shop, shopify: ReturnsReplay
) -> None:
    shop, c = store_shop, store_shop.client
    order, body = _exchange(shop, shopify)
    rid = c.post(f"/api/v1/orders/{order.id}/returns", json=body).json()["id"]
    _put_away(shop, order, rid)
    done = c.post(f"/api/v1/returns/{rid}/resolve")
    assert done.status_code == 200 and done.json()["status"] == "exchanged", done.text

    [created] = shopify.ops("ReturnCreate")
    made = created["returnInput"]
    assert made["orderId"] == f"gid://shopify/Order/{order.external_id}"
    assert made["notifyCustomer"] is False and made["requestedAt"].endswith("Z")
    assert made["returnLineItems"] == [{
        "fulfillmentLineItemId": FLI, "quantity": 1, "returnReason": "SIZE_TOO_SMALL",
        "returnReasonNote": f"too_small [postpurchase:return-{rid}]"}]  # fmt: skip
    assert made["exchangeLineItems"] == [
        {"variantId": "gid://shopify/ProductVariant/502", "quantity": 1}
    ]
    [processed] = shopify.ops("ReturnProcess")
    [line] = processed["input"]["returnLineItems"]
    assert line["quantity"] == 1
    assert line["dispositions"][0]["dispositionType"] == "RESTOCKED"
    assert line["dispositions"][0]["locationId"] == LOCATION
    assert [x["quantity"] for x in processed["input"]["exchangeLineItems"]] == [1]
    # Our exchange order is placed too (tracking, messages).
    assert c.get(f"/api/v1/orders/{done.json()['exchange']['order_id']}").json()["source"] == (
        "exchange"
    )


def test_an_instant_exchange_is_recorded_at_approval_and_processed_once(
    store_shop: Shop, shopify: ReturnsReplay
) -> None:
    shop, c = store_shop, store_shop.client
    email = f"{ref()}@example.com"
    shop_order(shop, email=email, placed_at=T0.replace(month=9))
    order, body = _exchange(shop, shopify, instant_exchange={"min_orders": 1}, email=email)
    rid = c.post(f"/api/v1/orders/{order.id}/returns", json=body).json()["id"]
    drain(shop.platform.engine, shop.platform.subscribers, now=shop.clock.now)
    assert c.get(f"/api/v1/returns/{rid}").json()["exchange"]["order_id"]
    assert len(shopify.ops("ReturnCreate")) == 1 and shopify.ops("ReturnProcess") == []
    _put_away(shop, order, rid)
    assert c.post(f"/api/v1/returns/{rid}/resolve").json()["status"] == "exchanged"
    assert len(shopify.ops("ReturnCreate")) == 1  # found again by its note, not made twice
    assert len(shopify.ops("ReturnProcess")) == 1


def test_shopifys_refusal_names_its_field_and_changes_nothing(
    store_shop: Shop, shopify: ReturnsReplay
) -> None:
    shop, c = store_shop, store_shop.client
    order, body = _exchange(shop, shopify)
    rid = c.post(f"/api/v1/orders/{order.id}/returns", json=body).json()["id"]
    _put_away(shop, order, rid)
    gid = f"gid://shopify/Order/{order.external_id}"
    shopify.returnable[gid] = [(FLI, f"gid://shopify/LineItem/{MUG_STORE_LINE}", 0)]
    r = c.post(f"/api/v1/returns/{rid}/resolve")
    assert r.status_code == 409, r.text
    assert "returnLineItems" in (r.json().get("field") or "")
    assert c.get(f"/api/v1/returns/{rid}").json()["status"] == "restocked"

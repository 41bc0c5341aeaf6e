"""Gift returns, both backends: the recipient's credit is never paid through the order's store
(its refund or store credit would land with the giver's account), the recipient's address is
kept with the return, and the portal takes it; bad input changes nothing."""

from __future__ import annotations

import re
from typing import Any

from postpurchase.entrypoints.api.routes.returns import returns_service
from tests import tracking_scenarios as sc
from tests.integration.returns.conftest import Shop
from tests.integration.returns.test_returns_portal import (
    csrf,
    open_order,
    returns_count,
)
from tests.integration.returns.test_returns_portal import (
    site as site,  # the fixture
)
from tests.integration.returns.test_returns_store_exchange import (
    Store,
    connect,
    mug_ask,
    put_policy,
    returned_and_put_away,
    shop_order,
)
from tests.integration.returns.test_returns_store_exchange import (
    store as store,  # the fixture
)


def test_a_gift_is_credited_to_the_recipient_never_through_the_givers_store(
    shop: Shop, store: Store
) -> None:
    connect(shop)
    order = shop_order(shop)
    body = mug_ask(order, gift=True, resolution="store_credit", gift_email=" Friend@Example.com ")
    rid = returned_and_put_away(shop, order, body)
    got = shop.client.get(f"/api/v1/returns/{rid}").json()
    assert got["gift"] is True and got["gift_email"] == "friend@example.com"
    out = shop.client.post(f"/api/v1/returns/{rid}/resolve").json()
    assert out["status"] == "credited"
    assert store.paid == []  # the store would have credited the order's customer: the giver
    assert [e["kind"] for e in out["ledger"]] == ["store_credit"]
    assert out["resolution_reference"].startswith("ledger:")
    # A store-credit return that is not a gift still goes through the store.
    other = shop_order(shop)
    plain = returned_and_put_away(shop, other, mug_ask(other, resolution="store_credit"))
    assert shop.client.post(f"/api/v1/returns/{plain}/resolve").json()["status"] == "credited"
    assert len(store.paid) == 1 and store.paid[0].to_store_credit


def test_an_early_credit_of_a_gift_stays_out_of_the_store(shop: Shop, store: Store) -> None:
    connect(shop)
    put_policy(shop, {"refund_timing": "arrival"})
    order = shop_order(shop)
    r = shop.client.post(
        f"/api/v1/orders/{order.id}/returns",
        json=mug_ask(order, gift=True, resolution="store_credit"),
    )
    rid = r.json()["id"]
    got = shop.client.post(f"/api/v1/returns/{rid}/receive").json()
    assert [e["kind"] for e in got["ledger"]] == ["store_credit"]
    assert store.paid == []


def test_a_recipient_needs_a_gift_and_an_address(shop: Shop) -> None:
    order = shop.delivered_order()
    c = shop.client
    not_gift = c.post(
        f"/api/v1/orders/{order.id}/returns", json=mug_ask(order, gift_email="a@example.com")
    )
    assert not_gift.status_code == 422 and not_gift.json()["field"] == "gift_email"
    bad = c.post(
        f"/api/v1/orders/{order.id}/returns", json=mug_ask(order, gift=True, gift_email="nope")
    )
    assert bad.status_code == 422 and bad.json()["field"] == "gift_email"
    assert returns_service(shop.platform).for_order(shop.merchant_id, order.id) == []


def test_the_portal_takes_the_recipients_address(site: Any) -> None:
    platform, merchant, client = site
    seeded = sc.order(platform, merchant.id, "delivered")
    url, html = open_order(client, merchant, seeded)
    assert 'name="gift_email"' in html
    sock = re.search(r'name="qty_([0-9a-f]{32})"', html.split("Merino")[1]).group(1)  # type: ignore[union-attr]
    form = {"csrf": csrf(html), f"qty_{sock}": "1", f"reason_{sock}": "too_small",
            "gift": "1", "gift_email": "not an address"}  # fmt: skip
    refused = client.post(f"{url}/review", data=form)
    assert refused.status_code == 422 and "Enter the recipient" in refused.text
    form["gift_email"] = "kid@example.com"
    review = client.post(f"{url}/review", data=form)
    assert review.status_code == 200, review.text
    assert "The store credit is for kid@example.com" in review.text
    key = re.search(r'name="key" value="([^"]+)"', review.text).group(1)  # type: ignore[union-attr]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', review.text))
    done = client.post(f"{url}/confirm", data={**hidden, "key": key}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert returns_count(platform, seeded.order_id) == 1
    (ret,) = returns_service(platform).for_order(merchant.id, seeded.order_id)
    assert ret.gift and ret.gift_email == "kid@example.com"

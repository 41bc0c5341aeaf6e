"""A restocked return line adjusts the connected Shopify store's inventory exactly once, over
HTTP on both backends, against a local Shopify replaying the documented shapes
(``inventoryAdjustQuantities`` with its idempotency key and ``userErrors``): never again on
a replayed event, never by the refund as well, never twice across a crash between the call
and the settle; skipped with a reason where nothing can be adjusted; one merchant's ledger
and mappings are not another's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from postpurchase.adapters.outbox import drain
from postpurchase.adapters.storefronts import refund_ports
from postpurchase.bootstrap import store_stock
from postpurchase.domain.ids import new_id
from postpurchase.domain.money import Money
from postpurchase.domain.orders import LineFacts, OrderLineInput
from postpurchase.domain.returns import StockReason
from postpurchase.domain.storefronts import StoreConnection, StorePlatform
from postpurchase.service_layer.returns import StoreStock
from tests.factories import T0, ref
from tests.fakes import FakeClock
from tests.integration.returns.conftest import Shop, make_shop
from tests.integration.returns.shopify_returns_replay import LOCATION
from tests.integration.returns.shopify_stock_replay import ITEM, StockReplay
from tests.integration.returns.test_returns_store_exchange import MUG_STORE_LINE, Store
from tests.integration.storefronts.conftest import CLIENT_ID, CLIENT_SECRET

OLD_VERSION = "2025-10"  # before Shopify's idempotency key on inventory mutations
VARIANT = "gid://shopify/ProductVariant/501"


@pytest.fixture
def shopify(httpserver: HTTPServer) -> StockReplay:
    replay = StockReplay(httpserver, versions=(OLD_VERSION,))
    replay.variants[VARIANT] = (ITEM, True)
    return replay


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Store:
    """Refunds through an in-memory Shopify that records each line's restock flag."""
    paid = Store()
    monkeypatch.setitem(
        refund_ports.REFUND_PORTS, StorePlatform.SHOPIFY, lambda settings: nullcontext(paid)
    )
    return paid


def _connect(shop: Shop, token: str, platform: StorePlatform = StorePlatform.SHOPIFY) -> None:
    with shop.platform.uow() as uow:
        uow.connections.add(
            StoreConnection(
                id=new_id(), merchant_id=shop.merchant_id, platform=platform,
                shop=f"{ref()}.myshopify.com" if platform is StorePlatform.SHOPIFY
                else f"https://{ref()}.example",
                scopes=("read_orders", "write_orders", "write_inventory", "read_returns"),
                credentials={"access_token": token} if platform is StorePlatform.SHOPIFY
                else {"consumer_key": "ck_" + "a" * 40, "consumer_secret": "cs_" + "b" * 40},
                installed_at=T0,
            )
        )  # fmt: skip
        uow.commit()


def _shops(
    engine: Any, clock: FakeClock, shopify: StockReplay, monkeypatch: pytest.MonkeyPatch,
    version: str | None = None,
) -> Iterator[Shop]:  # fmt: skip
    monkeypatch.setenv("POSTPURCHASE_SHOPIFY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("POSTPURCHASE_SHOPIFY_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("POSTPURCHASE_SHOPIFY_ADMIN_BASE_URL", shopify.base)
    if version:
        monkeypatch.setenv("POSTPURCHASE_SHOPIFY_API_VERSION", version)
    for shop in make_shop(engine, clock):
        _connect(shop, shopify.token)
        r = shop.client.put("/api/v1/returns/store-locations",
                            json={"locations": {"WH-1": "905684977"}})  # fmt: skip
        assert r.status_code == 200, r.text
        yield shop


@pytest.fixture
def store_shop(
    engine: Any, clock: FakeClock, shopify: StockReplay, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Shop]:
    yield from _shops(engine, clock, shopify, monkeypatch)


def mug_order(shop: Shop, source: str = "shopify", variant: str | None = "501") -> Any:
    mug = OrderLineInput(
        "MUG-1", "Stoneware mug", 2, Money.of("12.50", "USD"), 400,
        LineFacts(external_id=MUG_STORE_LINE, product_id="9001", variant_id=variant,
                  discount=Money.of("2.50", "USD"), tax=Money.of("1.80", "USD")),
    )  # fmt: skip
    return shop.delivered_order(source=source, external_id=ref("82098"), lines=(mug,))


def put_away(shop: Shop, order: Any, location: str | None = "WH-1") -> str:
    c = shop.client
    body = {"lines": [{"order_line_id": order.lines[0].id, "quantity": 1, "reason": "too_small"}]}
    r = c.post(f"/api/v1/orders/{order.id}/returns", json=body)
    assert r.status_code == 201, r.text
    rid = str(r.json()["id"])
    assert c.post(f"/api/v1/returns/{rid}/receive").status_code == 200
    inspect: dict[str, Any] = {
        "lines": [{"order_line_id": order.lines[0].id, "grade": "resellable"}]
    }
    if location:
        inspect["location"] = location
    r = c.post(f"/api/v1/returns/{rid}/inspect", json=inspect)
    assert r.json()["status"] == "restocked", r.text
    return rid


def run_outbox(shop: Shop) -> None:
    drain(shop.platform.engine, shop.platform.subscribers, now=shop.clock.now)


def adjustments(shop: Shop, rid: str) -> list[dict[str, Any]]:
    r = shop.client.get(f"/api/v1/returns/{rid}/store-stock")
    assert r.status_code == 200, r.text
    return list(r.json()["adjustments"])


def test_a_restocked_line_adjusts_shopify_once_and_the_refund_does_not_restock_it(
    store_shop: Shop, shopify: StockReplay, store: Store
) -> None:
    shop = store_shop
    order = mug_order(shop)
    rid = put_away(shop, order)
    run_outbox(shop)
    [adj] = adjustments(shop, rid)
    assert (adj["status"], adj["owner"], adj["attempts"]) == ("done", "adjustment", 1)
    assert adj["store_reference"].startswith("gid://shopify/InventoryAdjustmentGroup/")
    assert shopify.stock == {(ITEM, LOCATION): 1}
    [sent] = shopify.ops("RestockAdjust")
    assert sent["key"] == f"postpurchase-restock-{rid}-{order.lines[0].id}"
    assert sent["input"]["name"] == "available" and sent["input"]["reason"] == "restock"
    assert sent["input"]["referenceDocumentUri"] == f"gid://postpurchase/Return/{rid}"
    assert sent["input"]["changes"] == [
        {"delta": 1, "inventoryItemId": ITEM, "locationId": LOCATION, "changeFromQuantity": None}
    ]
    # the event again (the outbox is at least once): nothing is sent again
    payload = {
        "merchant_id": shop.merchant_id,
        "return_id": rid,
        "order_id": order.id,
        "line_id": order.lines[0].id,
        "sku": "MUG-1",
        "quantity": 1,
        "location": "WH-1",
    }
    store_stock(shop.platform).on_restocked(payload)
    assert len(shopify.ops("RestockAdjust")) == 1 and shopify.stock[(ITEM, LOCATION)] == 1
    # the refund through the store does not restock what the adjustment restocked
    assert shop.client.post(f"/api/v1/returns/{rid}/resolve").status_code == 200
    [refund] = store.paid
    assert [x.restock for x in refund.lines] == [False]
    audit = shop.client.get("/api/v1/audit", params={"subject": f"return:{rid}"}).json()
    mine = [e for e in audit["items"] if e["action"] == "returns.store_stock"]
    assert [e["actor"] for e in mine] == ["system:store-stock"]


def test_a_line_the_refund_restocked_first_is_not_adjusted_again(
    store_shop: Shop, shopify: StockReplay, store: Store
) -> None:
    shop = store_shop
    order = mug_order(shop)
    rid = put_away(shop, order)
    assert shop.client.post(f"/api/v1/returns/{rid}/resolve").status_code == 200  # first
    assert [x.restock for x in store.paid[0].lines] == [True]
    run_outbox(shop)
    [adj] = adjustments(shop, rid)
    assert (adj["status"], adj["owner"]) == ("skipped", "store_refund")
    assert adj["reason"] == StockReason.OWNED_BY_REFUND
    assert shopify.ops("RestockAdjust") == [] and shopify.stock == {}


def _crash_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker dies after Shopify adjusted the stock and before the row is settled."""
    settle = StoreStock._settle
    crashed: list[bool] = []

    def dying(self: StoreStock, adj: Any, result: Any) -> Any:
        if not crashed:
            crashed.append(True)
            raise RuntimeError("worker killed between the call and the settle")
        return settle(self, adj, result)

    monkeypatch.setattr(StoreStock, "_settle", dying)


def test_a_crash_between_the_call_and_the_settle_does_not_adjust_twice(
    store_shop: Shop, shopify: StockReplay, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = store_shop
    order = mug_order(shop)
    rid = put_away(shop, order)
    _crash_once(monkeypatch)
    run_outbox(shop)
    [adj] = adjustments(shop, rid)
    assert (adj["status"], adj["attempts"]) == ("pending", 1)  # left behind
    assert shopify.stock == {(ITEM, LOCATION): 1}
    clock.advance(minutes=2)  # the outbox's backoff
    run_outbox(shop)
    [adj] = adjustments(shop, rid)
    assert (adj["status"], adj["attempts"]) == ("done", 2)
    sent = shopify.ops("RestockAdjust")
    assert len(sent) == 2 and sent[0]["key"] == sent[1]["key"]  # the same key: deduped
    assert shopify.stock == {(ITEM, LOCATION): 1}


def test_without_an_idempotency_key_an_unknown_outcome_is_not_resent(
    engine: Any, clock: FakeClock, shopify: StockReplay, store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    for shop in _shops(engine, clock, shopify, monkeypatch, version=OLD_VERSION):
        order = mug_order(shop)
        rid = put_away(shop, order)
        _crash_once(monkeypatch)
        run_outbox(shop)
        clock.advance(minutes=2)
        run_outbox(shop)
        [adj] = adjustments(shop, rid)
        assert adj["status"] == "failed" and adj["reason"].startswith("outcome unknown")
        [sent] = shopify.ops("RestockAdjust")
        assert "key" not in sent and "changeFromQuantity" not in sent["input"]["changes"][0]
        assert shopify.stock == {(ITEM, LOCATION): 1}
        # the refund does not restock a line whose adjustment may have happened
        assert shop.client.post(f"/api/v1/returns/{rid}/resolve").status_code == 200
        assert [x.restock for x in store.paid[0].lines] == [False]


@pytest.mark.parametrize(
    ("location", "variant", "reason"),
    [
        ("ELSEWHERE", "501", StockReason.NO_LOCATION),
        ("WH-1", None, StockReason.NO_VARIANT),
        ("WH-1", "999", StockReason.NO_VARIANT),  # Shopify does not know the variant
    ],
)
def test_a_line_that_cannot_be_adjusted_is_skipped_and_the_refund_restocks_it(
    store_shop: Shop, shopify: StockReplay, store: Store, location: str,
    variant: str | None, reason: str,
) -> None:  # fmt: skip
    shop = store_shop
    order = mug_order(shop, variant=variant)
    rid = put_away(shop, order, location)
    run_outbox(shop)
    [adj] = adjustments(shop, rid)
    assert (adj["status"], adj["reason"]) == ("skipped", reason)
    assert shopify.ops("RestockAdjust") == []
    assert shop.client.post(f"/api/v1/returns/{rid}/resolve").status_code == 200
    assert [x.restock for x in store.paid[0].lines] == [True]  # the refund restocks it
    assert adjustments(shop, rid)[0]["owner"] == "store_refund"


def test_shopify_user_errors_fail_the_line_with_shopify_s_message(
    store_shop: Shop, shopify: StockReplay
) -> None:
    shop = store_shop
    shopify.locations = set()  # the mapped location is gone from the shop
    rid = put_away(shop, mug_order(shop))
    run_outbox(shop)
    [adj] = adjustments(shop, rid)
    assert adj["status"] == "failed"
    assert adj["reason"] == "Shopify: The specified location could not be found."
    assert shopify.stock == {}


def test_orders_of_no_store_and_woocommerce_stores_are_skipped_with_their_reason(
    store_shop: Shop, shopify: StockReplay
) -> None:
    shop = store_shop
    typed_in = put_away(shop, mug_order(shop, source="api"))
    _connect(shop, "", StorePlatform.WOOCOMMERCE)
    woo = put_away(shop, mug_order(shop, source="woocommerce"))
    run_outbox(shop)
    assert adjustments(shop, typed_in)[0]["reason"] == StockReason.NOT_FROM_A_STORE
    assert adjustments(shop, woo)[0]["reason"] == StockReason.NO_RELATIVE_UPDATE
    assert shopify.ops("RestockAdjust") == []


def test_one_merchant_never_sees_or_uses_another_s_ledger_or_mappings(
    store_shop: Shop, other_shop: Shop, shopify: StockReplay
) -> None:
    rid = put_away(store_shop, mug_order(store_shop))
    run_outbox(store_shop)
    assert adjustments(store_shop, rid)[0]["status"] == "done"
    theirs = other_shop.client.get(f"/api/v1/returns/{rid}/store-stock")
    assert theirs.status_code == 404
    assert other_shop.client.get("/api/v1/returns/store-locations").json()["locations"] == {}
    # the other merchant's Shopify order restocked into WH-1: no mapping of theirs, skipped
    _connect(other_shop, shopify.token)
    other_rid = put_away(other_shop, mug_order(other_shop))
    run_outbox(other_shop)
    assert adjustments(other_shop, other_rid)[0]["reason"] == StockReason.NO_LOCATION
    assert len(shopify.ops("RestockAdjust")) == 1


def test_bad_location_mappings_answer_422_naming_the_code(store_shop: Shop) -> None:
    c = store_shop.client
    r = c.put("/api/v1/returns/store-locations", json={"locations": {"WH-1": "main"}})
    assert r.status_code == 422 and r.json()["field"] == "locations.WH-1"
    r = c.put("/api/v1/returns/store-locations", json={"locations": {"a b": "1"}})
    assert r.status_code == 422
    assert c.get("/api/v1/returns/store-locations").json()["locations"] == {"WH-1": "905684977"}


def test_a_pending_attempt_whose_store_is_gone_is_an_unknown_outcome_not_a_skip(
    store_shop: Shop, shopify: StockReplay, clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    shop = store_shop
    rid = put_away(shop, mug_order(shop))
    _crash_once(monkeypatch)
    run_outbox(shop)  # Shopify adjusted; the row is left pending
    with shop.platform.uow() as uow:
        connection = uow.connections.get(shop.merchant_id, StorePlatform.SHOPIFY)
        assert connection is not None and connection.uninstall(clock.now())
        uow.connections.save(connection)
        uow.commit()
    clock.advance(minutes=2)
    run_outbox(shop)
    [adj] = adjustments(shop, rid)
    assert adj["status"] == "failed" and adj["reason"].startswith("outcome unknown")
    assert StockReason.NOT_CONNECTED in adj["reason"]
    assert len(shopify.ops("RestockAdjust")) == 1 and shopify.stock == {(ITEM, LOCATION): 1}

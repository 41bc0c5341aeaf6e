"""Returns over HTTP, both backends: refunds through the connected store exactly once (store
credit with its bonus), exchanges priced and stock-checked from the synced catalogue with
their exchange order, return methods with cost and CO2e. Bad input changes nothing."""

from __future__ import annotations

from contextlib import nullcontext
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.returns import tables as rt
from postpurchase.adapters.storefronts import refund_ports
from postpurchase.adapters.storefronts.shopify.admin_api import AdminApiError
from postpurchase.domain.ids import new_id
from postpurchase.domain.money import Money
from postpurchase.domain.orders import LineFacts, OrderLineInput
from postpurchase.domain.storefronts import (
    RefundedLine,
    RefundRequest,
    RefundResult,
    StoreConnection,
    StorePlatform,
)
from postpurchase.domain.storefronts.catalogue import Product, Variant
from tests.factories import T0, ref
from tests.integration.returns.conftest import Shop

MUG_STORE_LINE = "866550311766439020"


class Store:
    """An in-memory store: pays 12.15 a mug; can pay and then lose its answer (a timeout
    after the refund was made), which ``find`` later reveals."""

    def __init__(self) -> None:
        self.paid: list[RefundRequest] = []
        self.lose_answer = False

    def refund(self, connection: StoreConnection, request: RefundRequest) -> RefundResult:
        self.paid.append(request)
        if self.lose_answer:
            self.lose_answer = False
            raise AdminApiError("timed out after the request left")
        return self._result(request)

    def find(self, connection: StoreConnection, request: RefundRequest) -> RefundResult | None:
        done = [r for r in self.paid if r.idempotency_key == request.idempotency_key]
        return self._result(done[0]) if done else None

    @staticmethod
    def _result(request: RefundRequest) -> RefundResult:
        each = Money.of("12.15", "USD")
        lines = tuple(RefundedLine(x.store_line_id, x.quantity, each * x.quantity)
                      for x in request.lines)  # fmt: skip
        amount = each * sum(x.quantity for x in request.lines)
        if request.fee is not None:  # as the store adapters do: the fee stays with the merchant
            amount = Money(max(amount.amount - request.fee.amount, 0), amount.currency)
        return RefundResult(
            f"rf-{request.idempotency_key}", amount, Money.zero("USD"), T0, lines,
            store_credit=request.to_store_credit,
        )  # fmt: skip


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Store:
    s = Store()
    monkeypatch.setitem(
        refund_ports.REFUND_PORTS, StorePlatform.SHOPIFY, lambda platform: nullcontext(s)
    )
    return s


def connect(shop: Shop) -> None:
    with shop.platform.uow() as uow:
        uow.connections.add(
            StoreConnection(
                id=new_id(), merchant_id=shop.merchant_id, platform=StorePlatform.SHOPIFY,
                shop=f"{ref()}.myshopify.com", scopes=("read_orders", "write_orders"),
                credentials={"access_token": "shpat_" + "0f" * 16}, installed_at=T0,
            )
        )  # fmt: skip
        uow.commit()


def shop_order(shop: Shop, **kw: Any) -> Any:
    mug = OrderLineInput(
        "MUG-1", "Stoneware mug", 2, Money.of("12.50", "USD"), 400,
        LineFacts(external_id=MUG_STORE_LINE, product_id="9001",
                  discount=Money.of("2.50", "USD"), tax=Money.of("1.80", "USD")),
    )  # fmt: skip
    return shop.delivered_order(source="shopify", external_id=ref("82098"), lines=(mug,), **kw)


def put_policy(shop: Shop, doc: dict[str, Any]) -> None:
    r = shop.client.put("/api/v1/returns/policy", json=doc)
    assert r.status_code == 200, r.text


def returned_and_put_away(shop: Shop, order: Any, body: dict[str, Any]) -> str:
    c = shop.client
    r = c.post(f"/api/v1/orders/{order.id}/returns", json=body)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert c.post(f"/api/v1/returns/{rid}/receive").json()["status"] == "received"
    mug = order.lines[0].id
    inspected = c.post(
        f"/api/v1/returns/{rid}/inspect",
        json={"lines": [{"order_line_id": mug, "grade": "resellable"}]},
    )
    assert inspected.json()["status"] == "restocked", inspected.text
    return str(rid)


def mug_ask(order: Any, **kw: Any) -> dict[str, Any]:
    return {
        "lines": [{"order_line_id": order.lines[0].id, "quantity": 1, "reason": "too_small"}],
        **kw,
    }


def count(shop: Shop, table: Any) -> int:
    with shop.platform.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_return_refunds_through_the_store_once_and_restocks_there(
    shop: Shop, store: Store
) -> None:
    connect(shop)
    order = shop_order(shop)
    rid = returned_and_put_away(shop, order, mug_ask(order))
    done = shop.client.post(f"/api/v1/returns/{rid}/resolve")
    assert done.status_code == 200, done.text
    out = done.json()
    assert out["status"] == "refunded"
    assert out["resolution_reference"] == f"shopify:rf-return-{rid}"
    assert [(e["kind"], e["amount"]["amount"], e["reference"]) for e in out["ledger"]] == [
        ("refund", "12.15", f"shopify:rf-return-{rid}")
    ]
    (asked,) = store.paid
    assert asked.idempotency_key == f"return-{rid}" and not asked.to_store_credit
    assert [(x.store_line_id, x.quantity, x.restock) for x in asked.lines] == [
        (MUG_STORE_LINE, 1, True)
    ]
    assert shop.client.post(f"/api/v1/returns/{rid}/resolve").status_code == 409
    assert len(store.paid) == 1
    with shop.platform.uow() as uow:  # the refund is on the order too, once
        assert [r.external_id for r in uow.refunds.for_order(shop.merchant_id, order.id)] == [
            f"rf-return-{rid}"
        ]


def test_the_returns_fees_are_kept_out_of_the_stores_refund(shop: Shop, store: Store) -> None:
    """A restocking fee and a return fee: the store is asked to pay back the lines less the
    fees the policy quoted, so its refund and our ledger say the same amount."""
    connect(shop)
    put_policy(shop, {"restocking_fee_rate": "0.10", "return_fee": {"USD": "2.00"}})
    order = shop_order(shop)
    rid = returned_and_put_away(shop, order, mug_ask(order))
    quoted = shop.client.get(f"/api/v1/returns/{rid}").json()
    assert Decimal(quoted["fees"]["amount"]) > Decimal("2.00")  # restocking + return fee
    out = shop.client.post(f"/api/v1/returns/{rid}/resolve").json()
    assert out["status"] == "refunded", out
    (asked,) = store.paid
    assert asked.fee == Money.of(quoted["fees"]["amount"], "USD")
    kinds = {e["kind"]: e["amount"]["amount"] for e in out["ledger"]}
    assert kinds == {"fee": quoted["fees"]["amount"], "refund": quoted["refund"]["amount"]}


def test_a_lost_store_answer_is_looked_up_not_paid_again(shop: Shop, store: Store) -> None:
    connect(shop)
    order = shop_order(shop)
    rid = returned_and_put_away(shop, order, mug_ask(order))
    store.lose_answer = True
    lost = shop.client.post(f"/api/v1/returns/{rid}/resolve")
    assert lost.status_code == 502 and lost.json()["field"] == "return_id"
    assert shop.client.get(f"/api/v1/returns/{rid}").json()["status"] == "restocked"
    soon = shop.client.post(f"/api/v1/returns/{rid}/resolve")
    assert soon.status_code == 409  # still in flight: not asked again
    shop.clock.advance(minutes=11)
    later = shop.client.post(f"/api/v1/returns/{rid}/resolve")
    assert later.status_code == 200 and later.json()["status"] == "refunded"
    assert len(store.paid) == 1  # found at the store under the key, not paid twice


def test_store_credit_goes_through_the_store_and_the_bonus_is_recorded(
    shop: Shop, store: Store
) -> None:
    connect(shop)
    put_policy(shop, {"store_credit_bonus_rate": "0.10"})
    order = shop_order(shop)
    rid = returned_and_put_away(shop, order, mug_ask(order, resolution="store_credit"))
    out = shop.client.post(f"/api/v1/returns/{rid}/resolve").json()
    assert out["status"] == "credited"
    assert store.paid[0].to_store_credit
    kinds = {e["kind"]: e["amount"]["amount"] for e in out["ledger"]}
    assert kinds == {"store_credit": "12.15", "credit_bonus": "1.22"}


def test_an_order_not_from_a_store_is_refunded_in_the_ledger(shop: Shop, store: Store) -> None:
    order = shop.delivered_order()  # source "api"
    body = {"lines": [{"order_line_id": order.lines[0].id, "quantity": 1, "reason": "too_small"}]}
    rid = returned_and_put_away(shop, order, body)
    out = shop.client.post(f"/api/v1/returns/{rid}/resolve").json()
    assert out["status"] == "refunded" and out["resolution_reference"].startswith("ledger:")
    assert store.paid == []


# ---- exchanges -----------------------------------------------------------------------------


def catalogue(shop: Shop, stock_m: int | None = 4) -> dict[str, str]:
    """The mug's product with three variants; answers variant ids by title."""
    variants = (
        Variant("501", "Blue", 1, sku="MUG-1", price_amount=Decimal("12.50"), currency="USD",
                inventory_policy="deny", inventory_quantity=3),
        Variant("502", "Green", 2, sku="MUG-G", price_amount=Decimal("12.50"), currency="USD",
                inventory_policy="deny", inventory_quantity=stock_m),
        Variant("503", "Large", 3, sku="MUG-L", price_amount=Decimal("18.00"), currency="USD",
                inventory_policy="deny", inventory_quantity=2),
        Variant("504", "Sold out", 4, sku="MUG-X", price_amount=Decimal("12.50"), currency="USD",
                inventory_policy="deny", inventory_quantity=0),
    )  # fmt: skip
    with shop.platform.uow() as uow:
        uow.catalogue.upsert(shop.merchant_id, Product("shopify", "9001", "Mug", variants), T0)
        uow.commit()
    with shop.platform.engine.connect() as conn:
        v = t.product_variants.c
        rows = conn.execute(select(v.title, v.id).where(v.merchant_id == shop.merchant_id)).all()
    return {str(title): str(vid) for title, vid in rows}


def test_an_upsell_exchange_charges_the_difference_and_places_the_exchange_order(
    shop: Shop,
) -> None:
    put_policy(shop, {"resolutions": ["refund", "exchange"]})
    ids = catalogue(shop)
    order = shop_order(shop)
    c = shop.client
    options = c.get(f"/api/v1/orders/{order.id}/returns/exchange-options").json()
    offered = {v["title"]: v["available"] for v in options[0]["variants"]}
    assert offered == {
        "Mug – Blue": True,
        "Mug – Green": True,
        "Mug – Large": True,
        "Mug – Sold out": False,
    }
    sold_out = mug_ask(
        order, resolution="exchange",
        exchange=[{"order_line_id": order.lines[0].id, "variant_id": ids["Sold out"]}],
    )  # fmt: skip
    before = count(shop, rt.returns)
    r = c.post(f"/api/v1/orders/{order.id}/returns", json=sold_out)
    assert r.status_code == 422 and r.json()["field"] == "exchange[0].variant_id"
    assert "out of stock" in r.json()["detail"] and count(shop, rt.returns) == before

    body = mug_ask(
        order, resolution="exchange",
        exchange=[{"order_line_id": order.lines[0].id, "variant_id": ids["Large"]}],
    )  # fmt: skip
    q = c.post(f"/api/v1/orders/{order.id}/returns/quote", json=body).json()
    # one mug was worth 12.15 (its share of the discount and the tax); the large one is 18.00
    assert q["exchange"]["charge"] == {"amount": "5.85", "currency": "USD"}
    rid = returned_and_put_away(shop, order, body)
    out = c.post(f"/api/v1/returns/{rid}/resolve").json()
    assert out["status"] == "exchanged", out
    new_order = out["exchange"]["order_id"]
    assert out["resolution_reference"] == f"order:{new_order}"
    placed = c.get(f"/api/v1/orders/{new_order}").json()
    assert placed["source"] == "exchange" and placed["lines"][0]["sku"] == "MUG-L"
    with shop.platform.uow() as uow:
        exchange_order = uow.orders.get(shop.merchant_id, new_order)
    assert exchange_order is not None
    assert exchange_order.lines[0].paid == Money.of("5.85", "USD")  # what is left to pay
    assert c.post(f"/api/v1/returns/{rid}/resolve").status_code == 409


def test_exchange_variants_of_another_product_or_merchant_are_refused(
    shop: Shop, other_shop: Shop
) -> None:
    put_policy(shop, {"resolutions": ["exchange"]})
    theirs = catalogue(other_shop)
    catalogue(shop)
    order = shop_order(shop)
    body = mug_ask(
        order, resolution="exchange",
        exchange=[{"order_line_id": order.lines[0].id, "variant_id": theirs["Large"]}],
    )  # fmt: skip
    r = shop.client.post(f"/api/v1/orders/{order.id}/returns", json=body)
    assert r.status_code == 422 and r.json()["field"] == "exchange[0].variant_id"
    no_variant = mug_ask(order, resolution="exchange")
    r = shop.client.post(f"/api/v1/orders/{order.id}/returns", json=no_variant)
    assert r.status_code == 422 and r.json()["field"] == "exchange[0].variant_id"
    assert (
        other_shop.client.get(f"/api/v1/orders/{order.id}/returns/exchange-options").status_code
        == 404
    )


# ---- methods ---------------------------------------------------------------------------------


def test_methods_are_priced_with_their_co2e_and_the_choice_is_kept(
    shop: Shop, other_shop: Shop
) -> None:
    put_policy(
        shop,
        {
            "methods": [
                {"method": "mail", "fee": {"USD": "3.00"}}, {"method": "drop_off"},
                {"method": "pickup", "fee": {"USD": "6.00"}},
            ],
            "return_to": {"country": "US", "postal_code": "60601"},
        },
    )  # fmt: skip
    order = shop.delivered_order()
    c = shop.client
    listed = c.get(f"/api/v1/orders/{order.id}/returns/methods").json()
    assert [m["method"] for m in listed] == ["drop_off", "mail", "pickup"]
    assert listed[0]["cost"]["amount"] == "0.00" and listed[2]["cost"]["amount"] == "6.00"
    assert all(Decimal(m["footprint"]["kg_co2e"]) > 0 for m in listed)
    assert listed[0]["footprint"]["precision"] == "region"  # US ZIPs: their states' capitals

    ids = {line.sku: line.id for line in order.lines}
    body = {
        "lines": [{"order_line_id": ids["MUG-1"], "quantity": 1, "reason": "too_small"}],
        "method": "pickup",
    }
    q = c.post(f"/api/v1/orders/{order.id}/returns/quote", json=body).json()
    assert q["method_fee"]["amount"] == "6.00" and q["refund"]["amount"] == "6.15"
    # the listing assumes a 1 kg parcel; the quote knows the mug weighs 400 g
    assert Decimal(q["footprint"]["kg_co2e"]) < Decimal(listed[2]["footprint"]["kg_co2e"])
    made = c.post(f"/api/v1/orders/{order.id}/returns", json=body).json()
    assert made["method"] == "pickup" and made["co2e_kg"] == q["footprint"]["kg_co2e"]
    assert made["fees"]["amount"] == "6.00" and made["refund"]["amount"] == "6.15"

    before = count(shop, rt.returns)
    bad = c.post(f"/api/v1/orders/{order.id}/returns", json={**body, "method": "in_store"})
    assert bad.status_code == 422 and bad.json()["field"] == "method"
    assert count(shop, rt.returns) == before
    assert other_shop.client.get(f"/api/v1/orders/{order.id}/returns/methods").status_code == 404

"""An order keeps its money, lines and details exactly as the store or API caller gave
them; newer snapshots revise it in any order of arrival; refunds are recorded per line."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.money import Money
from postpurchase.domain.order_details import OrderDetails, OrderTotals
from postpurchase.domain.orders import LineFacts, OrderLineInput
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from tests.factories import T0, place_order, ref
from tests.fakes import FakeClock


@pytest.fixture
def api(engine):  # type: ignore[no-untyped-def]
    clock = FakeClock(T0 + timedelta(days=2))
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    merchant, key, _ = handlers.create_merchant(platform.uow(), clock, "Fidelity " + ref())
    with TestClient(create_app(platform)) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield platform, merchant, client


def body(**kw):  # type: ignore[no-untyped-def]
    out = {
        "external_id": ref("ext-"),
        "currency": "USD",
        "lines": [
            {"sku": "BOOT-9", "name": "Trail boot", "quantity": 1, "unit_price": "179.00",
             "discount": "17.90", "variant_id": "4411", "variant_title": "9 / Moss",
             "product_id": "998", "external_id": "li-1", "properties": {"engraving": "AL"}},
            {"sku": "SOCK", "name": "Sock", "quantity": 2, "unit_price": "10.00",
             "discount": "0.01"},
            {"sku": "GIFT-25", "name": "Gift card", "quantity": 1, "unit_price": "25.00",
             "requires_shipping": False, "gift_card": True},
        ],
        "shipping_address": {"country": "US", "postal_code": "40202", "city": "Louisville"},
        "billing_address": {"country": "US", "postal_code": "10001", "name": "Avery Lee"},
        "shipping_fee": "0.00",
        "shipping_method": {"title": "UPS Next Day Air", "code": "01"},
        "discounts": [{"code": "BOOTS10", "amount": "17.91"}],
        "tax": "12.68",
        "placed_at": "2026-11-01T10:00:00-05:00",
        "customer_name": "Avery Lee",
        "accepts_marketing": True,
        "note": "Leave at the back door",
        "note_attributes": {"gift_message": "Happy trails"},
        "tags": ["vip", "wholesale"],
        "financial_status": "paid",
    }  # fmt: skip
    out.update(kw)
    return out


def test_the_api_keeps_discounts_taxes_and_details_exactly(api) -> None:
    _, _, client = api
    r = client.post("/api/v1/orders", json=body())
    assert r.status_code == 201, r.text
    order = client.get(f"/api/v1/orders/{r.json()['id']}").json()
    totals = order["totals"]
    assert totals["subtotal"]["amount"] == "206.09"  # 179 + 20 + 25 - 17.91
    assert totals["discounts"]["amount"] == "17.91"
    assert totals["tax"]["amount"] == "12.68"
    assert totals["total"]["amount"] == "218.77" == order["total"]["amount"]
    assert totals["paid"]["amount"] == "218.77" and totals["refunded"]["amount"] == "0.00"
    boot, sock, gift = order["lines"]
    assert boot["discount"]["amount"] == "17.90" and boot["paid"]["amount"] == "161.10"
    assert (boot["variant_id"], boot["variant_title"]) == ("4411", "9 / Moss")
    assert boot["properties"] == [["engraving", "AL"]]
    assert gift["gift_card"] and not gift["requires_shipping"]
    details = order["details"]
    assert details["shipping_method"] == "UPS Next Day Air"
    assert details["service_level"] == "next_day"
    assert details["billing_address"]["postal_code"] == "10001"
    assert details["note_attributes"] == [["gift_message", "Happy trails"]]
    assert details["tags"] == ["vip", "wholesale"] and details["accepts_marketing"] is True
    assert details["discounts"][0]["code"] == "BOOTS10"
    del sock


def test_a_given_total_is_kept_as_paid(api) -> None:
    _, _, client = api
    r = client.post("/api/v1/orders", json=body(total="181.09", paid="181.09", tax=None))
    order = client.get(f"/api/v1/orders/{r.json()['id']}").json()
    assert order["total"]["amount"] == "181.09"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"currency": "ZZ9"}, "currency"),
        ({"tax": "-1.00"}, "tax"),
        ({"discounts": [{"code": "X", "amount": "1000.00"}]}, "subtotal"),
        ({"lines": [{"sku": "A", "name": "A", "quantity": -1, "unit_price": "1.00"}]},
         "lines[0].quantity"),
        ({"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "1,50"}]},
         "lines[0].unit_price"),
    ],
)  # fmt: skip
def test_bad_money_names_the_field_and_stores_nothing(api, patch, field) -> None:
    _, _, client = api
    b = body(**patch)
    r = client.post("/api/v1/orders", json=b)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    found = client.get("/api/v1/orders", params={"email": "nobody@example.com"}).json()["data"]
    assert found == []


def _snapshot(merchant_id: str, external: str, updated: int, qty: int, note: str):  # type: ignore[no-untyped-def]
    usd = "USD"
    lines = (
        OrderLineInput("MUG-1", "Mug", qty, Money(Decimal("12.50"), usd),
                       facts=LineFacts(external_id="11")),
        OrderLineInput("TEE-M", "Tee", 1, Money(Decimal("20.00"), usd),
                       facts=LineFacts(external_id="12")),
    )  # fmt: skip
    return place_order(
        merchant_id,
        external_id=external,
        lines=lines,
        source_updated_at=T0 + timedelta(hours=updated),
        details=OrderDetails(note=note),
    )


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations([0, 1, 2]))
def test_snapshots_in_any_order_converge_on_the_newest(api, order) -> None:
    platform, merchant, _ = api
    external = ref("ext-")
    snapshots = [
        _snapshot(merchant.id, external, 1, 2, "created"),
        _snapshot(merchant.id, external, 2, 3, "edited"),
        _snapshot(merchant.id, external, 3, 1, "edited again"),
    ]
    ids = {platform.bus().handle(snapshots[i]).id for i in order}
    assert len(ids) == 1
    with platform.uow() as uow:
        stored = uow.orders.get_by_external_id(merchant.id, external)
    assert stored is not None
    assert stored.details.note == "edited again"
    assert [(line.sku, line.quantity) for line in stored.lines] == [("MUG-1", 1), ("TEE-M", 1)]
    assert stored.total == Money(Decimal("32.50"), "USD") + stored.shipping_fee


def test_a_line_removed_by_an_edit_is_kept_but_not_shipped(api) -> None:
    platform, merchant, _ = api
    external = ref("ext-")
    first = _snapshot(merchant.id, external, 1, 2, "created")
    platform.bus().handle(first)
    later = commands.PlaceOrder(
        **{**{f: getattr(first, f) for f in first.__dataclass_fields__},
           "lines": first.lines[:1], "source_updated_at": T0 + timedelta(hours=5)}
    )  # fmt: skip
    platform.bus().handle(later)
    with platform.uow() as uow:
        stored = uow.orders.get_by_external_id(merchant.id, external)
    assert stored is not None
    tee = next(line for line in stored.lines if line.sku == "TEE-M")
    assert tee.facts.removed and not tee.ships
    assert set(stored.shipped_quantities()) == {stored.lines[0].id}


def test_refunds_are_recorded_once_per_line_and_for_shipping_only(api) -> None:
    platform, merchant, client = api
    r = client.post(
        "/api/v1/orders", json=body(external_id=(ext := ref("ext-")), shipping_fee="9.00")
    )
    order_id = r.json()["id"]
    usd = "USD"
    line_refund = commands.RecordRefund(
        merchant.id, ext, "rf-1", T0 + timedelta(days=1), Money(Decimal("20.00"), usd),
        Money(Decimal("0"), usd),
        (commands.RefundLineInput("SOCK", 2, Money(Decimal("19.99"), usd), restock="return"),),
    )  # fmt: skip
    assert platform.bus().handle(line_refund) is True
    assert platform.bus().handle(line_refund) is False  # redelivered: recorded once
    shipping_only = commands.RecordRefund(
        merchant.id, ext, "rf-2", T0 + timedelta(days=1, hours=1), Money(Decimal("9.00"), usd),
        Money(Decimal("9.00"), usd),
    )  # fmt: skip
    assert platform.bus().handle(shipping_only) is True
    order = client.get(f"/api/v1/orders/{order_id}").json()
    assert order["totals"]["refunded"]["amount"] == "29.00"
    first, second = order["refunds"]
    assert first["lines"][0]["sku"] == "SOCK" and first["lines"][0]["line_id"]
    assert second["lines"] == [] and second["shipping"]["amount"] == "9.00"
    with pytest.raises(Exception, match="not known yet"):
        platform.bus().handle(
            commands.RecordRefund(merchant.id, "nope", "rf-3", T0, Money(Decimal(1), usd),
                                  Money(Decimal(0), usd))
        )  # fmt: skip


def test_totals_are_decimal_exact_whatever_the_amounts() -> None:
    @given(
        prices=st.lists(st.decimals("0.01", "9999.99", places=2), min_size=1, max_size=6),
        shipping=st.decimals("0", "99.99", places=2),
        tax=st.decimals("0", "999.99", places=2),
    )
    def check(prices: list[Decimal], shipping: Decimal, tax: Decimal) -> None:
        usd = "USD"
        gross = Money(sum(prices, Decimal(0)), usd)
        t = OrderTotals.derived(gross, Money.zero(usd), Money(shipping, usd), tax=Money(tax, usd))
        assert t.total.amount == sum(prices, Decimal(0)) + shipping + tax
        inc = OrderTotals.derived(
            gross, Money.zero(usd), Money(shipping, usd), tax=Money(tax, usd), taxes_included=True
        )
        assert inc.total.amount == sum(prices, Decimal(0)) + shipping

    check()


def test_the_shipping_method_the_shopper_chose_moves_the_delivery_estimate(api) -> None:
    """An unshipped order's estimate comes from the delivery-date rules; "Next Day Air" at
    checkout must give an earlier date than "Standard" to the same address."""
    _, _, client = api
    placed = "2026-11-02T10:00:00-05:00"
    estimates = {}
    for title in ("Standard shipping", "UPS Next Day Air"):
        b = body(shipping_method={"title": title}, placed_at=placed)
        order = client.post("/api/v1/orders", json=b).json()
        token = order["tracking_url"].rsplit("/", 1)[1]
        page = client.get(f"/api/v1/public/track/{token}").json()
        estimates[title] = page["estimate"]["end"]
    assert estimates["UPS Next Day Air"] < estimates["Standard shipping"]


def test_service_levels_for_the_estimate() -> None:
    from postpurchase.domain.order_details import ServiceLevel, estimate_service

    assert estimate_service("UPS Next Day Air", None) == "express"
    assert estimate_service(None, ServiceLevel.NEXT_DAY) == "express"
    assert estimate_service("manual", ServiceLevel.EXPRESS) == "express"  # Shopify's handle
    assert estimate_service("Ground", ServiceLevel.EXPRESS) is None  # the parcel's service wins
    assert estimate_service(None, ServiceLevel.STANDARD) is None
    assert estimate_service(None, None) is None

"""WooCommerce JSON onto our domain commands: money as the store computed it (property
tested), refunds, shipment-tracking meta, products, and the refund the store is asked for."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.adapters.storefronts.woocommerce import is_ping, parse_refund, parse_webhook
from postpurchase.adapters.storefronts.woocommerce.orders import parse_order
from postpurchase.adapters.storefronts.woocommerce.products import parse_product
from postpurchase.adapters.storefronts.woocommerce.read import Amounts
from postpurchase.adapters.storefronts.woocommerce.refund_port import KEY_META, refund_body
from postpurchase.domain.commands import PlaceOrder, RecordFulfillment, RecordRefund
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.storefronts import RefundRequest, RefundRequestLine

PAYLOADS = Path(__file__).parent.parent.parent / "fixtures" / "payloads" / "woocommerce"


def load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_bytes())


def test_the_ping_is_only_the_form_body_woocommerce_sends() -> None:
    assert is_ping(b"webhook_id=31", "application/x-www-form-urlencoded")
    assert not is_ping(b"webhook_id=31&x=1", "application/x-www-form-urlencoded")
    assert not is_ping(b'{"webhook_id": 31}', "application/json")


def test_times_without_offset_are_utc_and_the_snapshot_is_stamped() -> None:
    order = parse_order(load("order_created.json"), merchant_id="m")
    assert order.placed_at.isoformat() == "2026-11-28T14:05:09+00:00"
    assert order.source_updated_at is not None
    assert order.source_updated_at.isoformat() == "2026-11-28T14:05:12+00:00"


def test_statuses_cancel_and_pay() -> None:
    cancelled = load("order_created.json") | {"status": "cancelled"}
    placed = parse_order(cancelled, merchant_id="m")
    assert placed.cancelled_at is not None and placed.cancel_reason == "cancelled in WooCommerce"
    pending = load("order_created.json") | {"status": "pending", "date_paid_gmt": None}
    totals = parse_order(pending, merchant_id="m").totals
    assert totals is not None and totals.paid.amount == 0
    commands = parse_webhook("order.updated", json.dumps(cancelled).encode(), merchant_id="m")
    assert [type(c) for c in commands] == [PlaceOrder]  # no parcels for a cancelled order


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("date_created_gmt", "yesterday", "date_created_gmt"),
        ("line_items", [], "line_items"),
        ("total", 70.15, "total"),
        ("shipping", {"country": ""}, "shipping.country"),
    ],
)
def test_bad_fields_are_named(field: str, value: Any, where: str) -> None:
    order = load("order_created.json") | {field: value}
    if field == "shipping":
        order["billing"] = {"country": ""}
    with pytest.raises(InvalidInput) as bad:
        parse_order(order, merchant_id="m")
    assert bad.value.field == where


def test_yith_tracking_and_a_custom_provider_link() -> None:
    order = load("order_created.json")
    order["meta_data"] += [
        {"id": 1, "key": "ywot_tracking_code", "value": "9400 1000 0000 0000 0000 00"},
        {"id": 2, "key": "ywot_carrier_name", "value": "USPS"},
        {"id": 3, "key": "ywot_pick_up_date", "value": "2026-11-29"},
        {"id": 4, "key": "_wc_shipment_tracking_items", "value": [
            {"tracking_provider": "", "custom_tracking_provider": "Evri",
             "custom_tracking_link": "https://www.evri.com/track/parcel/H01HYA0012345678",
             "tracking_number": "H01HYA0012345678", "date_shipped": 1795910400,
             "tracking_id": "abc"},
            {"tracking_provider": "ups", "tracking_number": "", "tracking_id": "empty"},
        ]},
    ]  # fmt: skip
    parcels = [c for c in parse_webhook("order.updated", json.dumps(order), merchant_id="m")
               if isinstance(c, RecordFulfillment)]  # fmt: skip
    by_number = {p.tracking_numbers[0]: p for p in parcels}
    assert set(by_number) == {"H01HYA0012345678", "9400100000000000000000"}
    evri = by_number["H01HYA0012345678"]
    assert evri.fulfillment_id == "wc-tracking:abc" and evri.facts.carrier_name == "Evri"
    assert evri.tracking_urls == ("https://www.evri.com/track/parcel/H01HYA0012345678",)
    yith = by_number["9400100000000000000000"]
    assert yith.carrier == "usps" and yith.created_at.isoformat().startswith("2026-11-29")


def test_refunds_in_an_order_and_as_a_resource() -> None:
    commands = parse_webhook(
        "order.updated", (PAYLOADS / "order_updated_refund_tracking.json").read_bytes(),
        merchant_id="m",
    )  # fmt: skip
    (refund,) = [c for c in commands if isinstance(c, RecordRefund)]
    assert refund.amount == Money(Decimal("23.33"), "USD") and refund.lines == ()
    resource = {
        "id": 726, "date_created_gmt": "2026-12-01T20:07:11", "amount": "10.00",
        "reason": "", "line_items": [{
            "id": 80, "name": "Stoneware Mug, 12 oz", "product_id": 93, "variation_id": 0,
            "quantity": -1, "subtotal": "-9.26", "total": "-9.26", "total_tax": "-0.74",
            "sku": "MUG-12-SAND",
            "meta_data": [{"id": 9, "key": "_refunded_item_id", "value": "315"}],
        }],
    }  # fmt: skip
    parsed = parse_refund(resource, order_id="5271", merchant_id="m", amounts=Amounts("USD"))
    assert parsed.refund_external_id == "726" and parsed.amount.amount == Decimal("10.00")
    (line,) = parsed.lines
    assert (line.line_external_id, line.quantity, line.amount.amount) == (
        "315", 1, Decimal("9.26")
    )  # fmt: skip


def test_the_refund_asked_of_the_store_follows_its_line_taxes() -> None:
    order = load("order_created.json")
    request = RefundRequest(
        order_store_id="5271", currency="USD",
        lines=(RefundRequestLine("315", 1, restock=True),),
        shipping=Money(Decimal("6.95"), "USD"), note="damaged", idempotency_key="k-1",
    )  # fmt: skip
    body = refund_body(order, request)
    mug, shipping = body["line_items"]
    assert mug == {"id": 315, "quantity": 1, "refund_total": "16.20",
                   "refund_tax": [{"id": 75, "refund_total": "1.30"}]}  # fmt: skip
    assert shipping == {"id": 319, "refund_total": "6.95",
                        "refund_tax": [{"id": 75, "refund_total": "0.56"}]}  # fmt: skip
    assert body["amount"] == "25.01" and body["api_refund"] is True and body["api_restock"]
    assert body["meta_data"] == [{"key": KEY_META, "value": "k-1"}]


def test_a_fee_kept_shrinks_every_line_and_tax_so_they_add_up_to_the_refund() -> None:
    """A return's restocking and return fees (3.01) are kept: 25.01 → 22.00, each line's
    total and tax in proportion, the rounding cent on the first, the records adding up."""
    order = load("order_created.json")
    request = RefundRequest(
        order_store_id="5271", currency="USD",
        lines=(RefundRequestLine("315", 1, restock=True),),
        shipping=Money(Decimal("6.95"), "USD"), note="return R-1", idempotency_key="k-2",
        fee=Money(Decimal("3.01"), "USD"),
    )  # fmt: skip
    body = refund_body(order, request)
    assert body["amount"] == "22.00"
    cells = [body["line_items"][0], *body["line_items"][0]["refund_tax"],
             body["line_items"][1], *body["line_items"][1]["refund_tax"]]  # fmt: skip
    assert sum(Decimal(c["refund_total"]) for c in cells) == Decimal("22.00")
    assert all(Decimal(c["refund_total"]) >= 0 for c in cells)
    everything = RefundRequest(
        order_store_id="5271", currency="USD", lines=(RefundRequestLine("315", 1),),
        idempotency_key="k-3", fee=Money(Decimal("100"), "USD"),
    )  # fmt: skip
    nothing = refund_body(order, everything)  # a fee above the refund leaves nothing to pay
    assert nothing["amount"] == "0.00"
    assert nothing["line_items"][0]["refund_total"] == "0.00"


def test_products_simple_and_variable() -> None:
    simple = parse_product(load("product_simple.json"))
    assert [(v.external_id, v.sku, v.price_amount) for v in simple.variants] == [
        ("93", "MUG-12-SAND", Decimal("18.00"))
    ]  # fmt: skip
    variable = parse_product(
        load("product_variable.json"), load("product_variable_variations.json")
    )
    assert [(v.title, v.sku, v.inventory_policy) for v in variable.variants] == [
        ("Black", None, "deny"), ("White", "DRIP-V60-WHT", "continue")
    ]  # fmt: skip


cents = st.integers(min_value=0, max_value=10**7).map(lambda c: Decimal(c) / 100)


@given(
    quantity=st.integers(min_value=1, max_value=50),
    listed=cents,
    off=st.integers(min_value=0, max_value=100),
    tax=cents,
    with_tax=st.booleans(),
)
def test_a_line_always_adds_up_to_what_the_store_charged(
    quantity: int, listed: Decimal, off: int, tax: Decimal, with_tax: bool
) -> None:
    """Whatever the amounts: list price times quantity less the line's discount is exactly
    the line's total (with its tax when prices include it), and no discount is negative."""
    paid = (listed * (100 - off) / 100).quantize(Decimal("0.01"))
    order = load("order_created.json")
    order["prices_include_tax"] = with_tax
    order["line_items"] = [order["line_items"][0] | {
        "quantity": quantity, "subtotal": str(listed), "subtotal_tax": str(tax),
        "total": str(paid), "total_tax": str(tax),
    }]  # fmt: skip
    (line, *_fees) = parse_order(order, merchant_id="m").lines
    discount = line.facts.discount or Money(Decimal(0), "USD")
    charged = paid + (tax if with_tax else 0)
    assert line.unit_price * quantity - discount == Money(charged, "USD")
    assert not discount.is_negative() and not line.unit_price.is_negative()

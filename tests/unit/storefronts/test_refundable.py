"""What may still be refunded of an order, and refusing more before the store is asked."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.order_details import OrderTotals
from postpurchase.domain.orders import LineFacts, Order, OrderLine
from postpurchase.domain.refunds import Refund, RefundLine
from postpurchase.domain.storefronts import (
    RefundRequest,
    RefundRequestLine,
    StorePlatform,
    check_refund,
    normalise_shop,
    refundable,
)

T = datetime(2026, 11, 1, tzinfo=UTC)


def eur(x: str | Decimal) -> Money:
    return Money.of(x, "EUR")


def order(paid: str = "44.70", tax: str | None = None, taxes_included: bool = True) -> Order:
    lines = [
        OrderLine("l1", "MUG", "Mug", 2, eur("12.50"), facts=LineFacts(external_id="111",
                  tax=eur(tax) if tax else None)),
        OrderLine("l2", "TEE", "Tee", 1, eur("20.00"), facts=LineFacts(external_id="222",
                  discount=eur("5.00"))),
    ]  # fmt: skip
    totals = OrderTotals(
        subtotal=eur("40.00"), discounts=eur("5.00"), shipping=eur("4.70"),
        tax=eur(tax or "0"), total=eur("44.70"), paid=eur(paid), taxes_included=taxes_included,
    )  # fmt: skip
    return Order(
        id="o1", merchant_id="m", external_id="5001", number="#5001", customer_id=None,
        email=None, phone=None, locale="en", currency="EUR", lines=lines,
        shipping_address=Address("DE", "10115"), shipping_fee=eur("4.70"), placed_at=T,
        tracking_token="t", source="shopify", totals=totals,
    )  # fmt: skip


def given_back(amount: str, *, shipping: str = "0", lines: tuple[RefundLine, ...] = ()) -> Refund:
    return Refund("r", "m", "o1", "ext", T, eur(amount), eur(shipping), lines)


def request(*lines: tuple[str, int], shipping: str | None = None, key: str = "k1") -> RefundRequest:
    return RefundRequest(
        "5001", "EUR", tuple(RefundRequestLine(i, q) for i, q in lines),
        shipping=eur(shipping) if shipping is not None else None, idempotency_key=key,
    )  # fmt: skip


def test_a_refund_within_what_is_left_is_estimated() -> None:
    assert check_refund(order(), [], request(("111", 1), shipping="4.70")) == eur("17.20")
    assert check_refund(order(), [], request(("222", 1))) == eur("15.00")  # after its discount


def test_tax_charged_on_top_is_part_of_what_a_line_refunds() -> None:
    o = order(paid="46.70", tax="2.00", taxes_included=False)
    assert check_refund(o, [], request(("111", 2))) == eur("27.00")


@pytest.mark.parametrize(
    ("req", "refunds", "field"),
    [
        (request(("111", 3)), [], "lines[0].quantity"),
        (request(("999", 1)), [], "lines[0].line_id"),
        (request(shipping="5.00"), [], "shipping"),
        (request(("111", 1)), [given_back("0", lines=(RefundLine("l1", "MUG", 2, eur("25")),))],
         "lines[0].quantity"),
        (request(shipping="1.00"), [given_back("4.70", shipping="4.70")], "shipping"),
        (request(("222", 1)), [given_back("40.00")], "amount"),
    ],
)  # fmt: skip
def test_more_than_is_refundable_is_refused_naming_the_field(req, refunds, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_refund(order(), refunds, req)
    assert refused.value.field == field


def test_only_what_was_paid_can_go_back() -> None:
    unpaid = order(paid="0.00")
    with pytest.raises(InvalidInput) as refused:
        check_refund(unpaid, [], request(("111", 1)))
    assert refused.value.field == "amount"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lines": (), "shipping": None}, "lines"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": "has space"}, "idempotency_key"),
        ({"lines": (RefundRequestLine("1", 0),)}, "lines[0].quantity"),
        ({"lines": (RefundRequestLine("1", 1), RefundRequestLine("1", 1))}, "lines[1].line_id"),
        ({"shipping": Money.of("1", "USD")}, "shipping"),
        ({"note": "x" * 1001}, "note"),
    ],
)
def test_a_malformed_request_names_its_field(kwargs, field) -> None:
    base = {"order_store_id": "5001", "currency": "EUR", "idempotency_key": "k",
            "lines": (RefundRequestLine("111", 1),)}  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        RefundRequest(**{**base, **kwargs})
    assert refused.value.field == field


def test_the_fingerprint_tells_requests_apart() -> None:
    a = request(("111", 1), ("222", 1))
    assert a.fingerprint() == request(("222", 1), ("111", 1), key="other").fingerprint()
    assert a.fingerprint() != request(("111", 2), ("222", 1)).fingerprint()
    assert a.fingerprint() != replace(a, to_store_credit=True).fingerprint()


cents = st.integers(min_value=0, max_value=10_000).map(lambda c: Decimal(c) / 100)


@given(paid=cents, gone=st.lists(st.tuples(cents, cents), max_size=6))
def test_refundable_is_never_above_paid_nor_negative(paid, gone) -> None:
    o = order(paid=str(paid))
    refunds = [given_back(str(a), shipping=str(min(s, a))) for a, s in gone]
    left = refundable(o, refunds)
    assert Money.zero("EUR") <= left.total <= o.money.paid
    assert Money.zero("EUR") <= left.shipping <= o.money.shipping
    assert all(0 <= x.quantity <= x.line.quantity for x in left.lines.values())


@given(
    paid=cents,
    already=st.lists(st.tuples(st.sampled_from(["l1", "l2"]), st.integers(0, 3)), max_size=4),
    wanted=st.lists(st.tuples(st.sampled_from(["111", "222"]), st.integers(1, 3)),
                    max_size=2, unique_by=lambda x: x[0]),
    shipping=st.one_of(st.none(), cents),
)  # fmt: skip
def test_an_accepted_refund_never_exceeds_what_is_left(paid, already, wanted, shipping) -> None:
    o = order(paid=str(paid))
    refunds = [given_back("0", lines=(RefundLine(i, "x", q, eur("0")),)) for i, q in already]
    if not wanted and not shipping:
        return
    req = request(*wanted, shipping=str(shipping) if shipping is not None else None)
    try:
        estimate = check_refund(o, refunds, req)
    except InvalidInput:
        return
    left = refundable(o, refunds)
    assert Money.zero("EUR") <= estimate <= left.total <= o.money.paid
    for line_id, qty in wanted:
        assert qty <= left.lines[line_id].quantity


@pytest.mark.parametrize(
    ("platform", "raw", "shop"),
    [
        (StorePlatform.SHOPIFY, " My-Shop.myshopify.com ", "my-shop.myshopify.com"),
        (StorePlatform.WOOCOMMERCE, "https://Shop.Example.com/store/", "https://shop.example.com/store"),
        (StorePlatform.WOOCOMMERCE, "http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)  # fmt: skip
def test_shops_are_normalised(platform, raw, shop) -> None:
    assert normalise_shop(platform, raw) == shop


@pytest.mark.parametrize(
    ("platform", "raw"),
    [
        (StorePlatform.SHOPIFY, "evil.com"),
        (StorePlatform.SHOPIFY, "shop.myshopify.com.evil.com"),
        (StorePlatform.SHOPIFY, "https://shop.myshopify.com"),
        (StorePlatform.SHOPIFY, "a_b.myshopify.com"),
        (StorePlatform.WOOCOMMERCE, "shop.example.com"),
        (StorePlatform.WOOCOMMERCE, "https://user:pw@shop.example.com"),
        (StorePlatform.WOOCOMMERCE, "ftp://shop.example.com"),
    ],
)
def test_bad_shops_are_refused(platform, raw) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_shop(platform, raw)
    assert refused.value.field == "shop"

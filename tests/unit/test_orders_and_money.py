"""Order status derivation and money maths."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import Conflict, CurrencyMismatch, InvalidInput
from postpurchase.domain.money import Money, total
from postpurchase.domain.orders import Order, OrderLine, ShipmentView, derive_order_status
from postpurchase.domain.status import OrderStatus
from postpurchase.domain.status import ShipmentStatus as S


def make_order(*qty: int) -> Order:
    return Order(
        id="o1",
        merchant_id="m",
        external_id="1001",
        number="#1001",
        customer_id=None,
        email="a@example.com",
        phone=None,
        locale="en",
        currency="EUR",
        lines=[
            OrderLine(f"l{i}", f"SKU{i}", f"Thing {i}", q, Money.of("9.90", "EUR"))
            for i, q in enumerate(qty)
        ],
        shipping_address=Address("DE", "10115"),
        shipping_fee=Money.of("4.90", "EUR"),
        placed_at=datetime(2026, 11, 1, tzinfo=UTC),
        tracking_token="tok",
    )


@pytest.mark.parametrize(
    ("views", "expected"),
    [
        ([], OrderStatus.UNFULFILLED),
        ([ShipmentView(S.IN_TRANSIT, {"l0": 1})], OrderStatus.PARTIALLY_SHIPPED),
        ([ShipmentView(S.IN_TRANSIT, {"l0": 2, "l1": 1})], OrderStatus.SHIPPED),
        ([ShipmentView(S.IN_TRANSIT, {})], OrderStatus.SHIPPED),
        (
            [ShipmentView(S.DELIVERED, {"l0": 2}), ShipmentView(S.IN_TRANSIT, {"l1": 1})],
            OrderStatus.PARTIALLY_DELIVERED,
        ),
        ([ShipmentView(S.DELIVERED, {"l0": 2}), ShipmentView(S.DELIVERED, {"l1": 1})],
         OrderStatus.DELIVERED),
        ([ShipmentView(S.DELIVERED, {"l0": 2})], OrderStatus.PARTIALLY_DELIVERED),
        ([ShipmentView(S.DELIVERED, {"l0": 2}), ShipmentView(S.EXCEPTION, {"l1": 1})],
         OrderStatus.EXCEPTION),
    ],
)  # fmt: skip
def test_order_status_is_derived_from_shipments(views, expected) -> None:
    assert derive_order_status(make_order(2, 1), views) is expected


def test_cancel_is_idempotent_and_refused_after_delivery() -> None:
    order = make_order(1)
    order.cancel(datetime(2026, 11, 2, tzinfo=UTC), "changed mind")
    order.cancel(datetime(2026, 11, 3, tzinfo=UTC))
    assert order.status is OrderStatus.CANCELLED
    assert sum(type(e).__name__ == "OrderCancelled" for e in order.events) == 1
    delivered = make_order(1)
    delivered.refresh_status([ShipmentView(S.DELIVERED, {})])
    with pytest.raises(Conflict):
        delivered.cancel(datetime(2026, 11, 2, tzinfo=UTC))


def test_order_totals_are_exact() -> None:
    order = make_order(3)
    assert order.total == Money.of("34.60", "EUR")


def test_mixed_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        Money.of("1", "EUR") + Money.of("1", "USD")
    with pytest.raises(InvalidInput):
        Money.of(1.1, "EUR")  # floats are inexact: refused
    with pytest.raises(InvalidInput):
        Money.of("1", "EURO")


amounts = st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False)


@given(st.lists(amounts, max_size=30))
def test_sum_is_exact_and_order_independent(values) -> None:
    ms = [Money(v, "USD") for v in values]
    assert total(ms, "USD").amount == sum(values, Decimal(0))
    assert total(list(reversed(ms)), "USD") == total(ms, "USD")


@given(amounts, st.integers(-1000, 1000))
def test_multiplication_distributes(a, k) -> None:
    m = Money(a, "EUR")
    assert (m * k).amount == a * k
    assert (m + m) * k == m * k + m * k


@given(amounts)
def test_rounding_to_minor_units(a) -> None:
    assert -Money(a, "JPY").rounded().amount.as_tuple().exponent <= 0
    r = Money(a, "EUR").rounded()
    assert abs(r.amount - a) <= Decimal("0.005")

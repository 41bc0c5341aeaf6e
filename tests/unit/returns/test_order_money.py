"""What an order's lines can refund, with an order-level discount and tax the store did not
spread over the lines: never more, in total, than the shopper paid for the lines."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.addresses import Address
from postpurchase.domain.money import Money, total
from postpurchase.domain.order_details import Discount, OrderDetails, OrderTotals
from postpurchase.domain.orders import LineFacts, Order, OrderLine
from postpurchase.domain.returns import line_refund_cap
from postpurchase.service_layer.returns.context import (
    order_discount_shares,
    order_tax_shares,
)

cents = st.integers(min_value=0, max_value=50_000).map(lambda c: Decimal(c) / 100)


def usd(v: Decimal) -> Money:
    return Money(v, "USD")


@given(
    lines=st.lists(
        st.tuples(cents, st.integers(1, 5), st.floats(0, 1), cents), min_size=1, max_size=6
    ),
    extra_share=st.floats(0, 1),
    order_tax=cents,
)
def test_caps_never_add_up_to_more_than_the_lines_paid(
    lines: list[tuple[Decimal, int, float, Decimal]], extra_share: float, order_tax: Decimal
) -> None:
    order_lines = []
    for i, (unit, qty, disc_share, tax) in enumerate(lines):
        gross = unit * qty
        disc = (gross * Decimal(str(disc_share))).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        order_lines.append(
            OrderLine(f"L{i}", f"S{i}", "x", qty, usd(unit),
                      facts=LineFacts(discount=usd(disc), tax=usd(tax)))
        )  # fmt: skip
    after_lines = total([x.paid for x in order_lines], "USD")
    extra = (after_lines.amount * Decimal(str(extra_share))).quantize(
        Decimal("0.01"), rounding="ROUND_DOWN"
    )
    code = total([x.discount for x in order_lines], "USD") + usd(extra)
    line_tax = total([x.facts.tax or usd(Decimal(0)) for x in order_lines], "USD")
    order = Order(
        id="o", merchant_id="m", external_id="e", number="1", customer_id=None, email=None,
        phone=None, locale="en", currency="USD", lines=order_lines,
        shipping_address=Address("US", "10001"), shipping_fee=usd(Decimal(0)),
        placed_at=datetime(2026, 1, 1, tzinfo=UTC), tracking_token="t",
        details=OrderDetails(discounts=(Discount("code", "C", code),)),
        totals=OrderTotals.derived(
            total([x.subtotal for x in order_lines], "USD"),
            total([x.discount for x in order_lines], "USD"), usd(Decimal(0)),
            tax=line_tax + usd(order_tax), order_discounts=usd(extra),
        ),
    )  # fmt: skip
    shares = order_discount_shares(order)
    taxes = order_tax_shares(order, shares)
    caps = [
        line_refund_cap(
            unit_price=x.unit_price, quantity=x.quantity,
            discount=x.discount + shares.get(x.id, usd(Decimal(0))),
            tax=(x.facts.tax or usd(Decimal(0))) + taxes.get(x.id, usd(Decimal(0))),
            taxes_included=False,
        )
        for x in order_lines
    ]  # fmt: skip
    paid = after_lines - usd(extra) + line_tax + usd(order_tax)
    assert all(not c.is_negative() for c in caps)
    assert total(caps, "USD") <= paid

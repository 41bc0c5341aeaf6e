"""Several returns of one line, each asked before any is refunded, never add up to more than
the line paid; and the simulator's tally adds every replayed request up exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.addresses import Address
from postpurchase.domain.money import Money, total
from postpurchase.domain.orders import LineFacts, Order, OrderLine
from postpurchase.domain.returns import (
    Resolution,
    Return,
    ReturnLine,
    ReturnStatus,
    default_policy,
    evaluate,
)
from postpurchase.service_layer.returns import (
    DeliveredLine,
    LineAsk,
    OrderFacts,
    PastRequest,
    ReturnAsk,
    replay,
)
from postpurchase.service_layer.returns.context import build_context

T = datetime(2026, 3, 1, tzinfo=UTC)


def facts(qty: int, unit: Decimal, tax: Decimal) -> OrderFacts:
    line = OrderLine(
        "L", "MUG", "Mug", qty, Money(unit, "USD"), facts=LineFacts(tax=Money(tax, "USD"))
    )
    order = Order(
        id="o", merchant_id="m", external_id="e", number="1", customer_id=None, email=None,
        phone=None, locale="en", currency="USD", lines=[line],
        shipping_address=Address("US", "10001"), shipping_fee=Money(Decimal(0), "USD"),
        placed_at=T, tracking_token="t",
    )  # fmt: skip
    return OrderFacts(order, {"L": DeliveredLine(qty, T + timedelta(days=2))}, {}, "US", None)


@given(
    parts=st.lists(st.integers(1, 3), min_size=1, max_size=6),
    unit=st.integers(1, 20_000).map(lambda c: Decimal(c) / 100),
    tax=st.integers(0, 3_000).map(lambda c: Decimal(c) / 100),
    statuses=st.lists(st.sampled_from([ReturnStatus.APPROVED, ReturnStatus.REQUESTED,
                                       ReturnStatus.REFUNDED]), min_size=6, max_size=6),
)  # fmt: skip
def test_returns_in_flight_never_refund_more_than_the_line_paid(
    parts: list[int], unit: Decimal, tax: Decimal, statuses: list[ReturnStatus]
) -> None:
    qty = sum(parts)
    f = facts(qty, unit, tax)
    paid = Money(unit * qty + tax, "USD")
    policy = default_policy()
    earlier: list[Return] = []
    for i, n in enumerate(parts):
        ask = ReturnAsk((LineAsk("L", n, "too_small"),), Resolution.REFUND)
        ctx = build_context(policy, f, earlier, ask, T + timedelta(days=5))
        quote = evaluate(policy, ctx)
        line = quote.lines[0]
        ret = Return(
            id=f"r{i}", merchant_id="m", order_id="o", number=f"1-R{i}",
            lines=[ReturnLine("L", "MUG", n, "too_small", line.refund, "window")],
            resolution=Resolution.REFUND, currency="USD", refund=quote.refund,
            bonus=Money.zero("USD"), fees=Money.zero("USD"), policy_version=1, created_at=T,
            status=statuses[i], resolution_reference="ledger:x",
        )  # fmt: skip
        earlier.append(ret)
    refunds = total([r.lines[0].refund for r in earlier], "USD")
    assert refunds == paid  # all units back: exactly what was paid, never more


@given(st.integers(0, 40))
def test_the_tally_counts_every_request_once(n: int) -> None:
    f = facts(3, Decimal("10.00"), Decimal("0"))
    past = [
        PastRequest(f, ReturnAsk((LineAsk("L", 1, "too_small" if i % 3 else "bored"),)),
                    T + timedelta(days=1 + i))
        for i in range(n)
    ]  # fmt: skip
    t = replay(default_policy(), past)
    assert t.requests == n == t.approved + t.review + t.refused
    assert t.refunds + t.credits + t.exchanges <= t.approved + t.review
    assert t.refused_by.get("input.reason", 0) == sum(1 for i in range(n) if i % 3 == 0)

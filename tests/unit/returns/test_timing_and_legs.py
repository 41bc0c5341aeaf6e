"""Refund timing, the return leg's moves and the money of exchanged items, as properties:
the return ends where its parcel's scans say whatever order they come in; a refund is never
above what was paid nor negative, and the lines add up to the return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.money import Money
from postpurchase.domain.returns import (
    Grade,
    LineRequest,
    RefundTiming,
    Resolution,
    Return,
    ReturnLine,
    ReturnPolicy,
    ReturnRequestContext,
    ReturnStatus,
    due_early,
    evaluate,
    exchange_line_cap,
    line_refund_cap,
    policy_from_dict,
    policy_to_dict,
    statutory_refund_deadline,
)
from postpurchase.domain.returns.policy import DEFAULT_REASONS
from postpurchase.service_layer.returns import LegState
from postpurchase.service_layer.returns.tracking import advance

T = datetime(2026, 11, 10, 9, tzinfo=UTC)
amounts = st.decimals(min_value=0, max_value=5000, places=2)
S = ReturnStatus


def usd(v: object) -> Money:
    return Money(Decimal(str(v)), "USD")


def a_return(resolution: Resolution = Resolution.REFUND, status: S = S.LABEL_ISSUED) -> Return:
    ret = Return(
        id="r1", merchant_id="m1", order_id="o1", number="1001-R1",
        lines=[ReturnLine("L1", "MUG", 1, "too_small", usd("10.00"), "window")],
        resolution=resolution, currency="USD", refund=usd("10.00"), bonus=usd("0"),
        fees=usd("0"), policy_version=1, created_at=T,
    )  # fmt: skip
    ret.approve(T)
    if status is not S.APPROVED:
        ret.issue_label(T, "ups", "1Z")
    return ret


# ---- the return leg ---------------------------------------------------------------------------

# The folded states a leg passes through (the fold never loses a hand-over or a delivery).
LEG_STATES = [
    LegState(None, None),
    LegState(T + timedelta(hours=5), None),
    LegState(T + timedelta(hours=5), T + timedelta(days=2)),
]


@given(order=st.permutations(range(3)), repeat=st.lists(st.integers(0, 2), max_size=4))
def test_the_return_ends_where_its_parcel_is_whatever_order_the_moves_come_in(
    order: list[int], repeat: list[int]
) -> None:
    ret = a_return()
    for i in [*order, *repeat]:
        advance(ret, LEG_STATES[i], T + timedelta(days=3))
    assert ret.status is S.RECEIVED
    steps = [s for s, _ in ret.history]
    assert steps[-2:] == [S.IN_TRANSIT, S.RECEIVED]
    times = [at for _, at in ret.history]
    assert times == sorted(times)  # never dated before the step it follows


def test_a_scan_dates_the_step_and_paperwork_moves_nothing() -> None:
    ret = a_return()
    assert advance(ret, LEG_STATES[0], T) == []
    assert advance(ret, LEG_STATES[1], T + timedelta(days=1)) == [S.IN_TRANSIT]
    assert ret.history[-1] == (S.IN_TRANSIT, T + timedelta(hours=5))
    assert advance(ret, LEG_STATES[1], T + timedelta(days=1)) == []  # a replay


def test_a_parcel_moves_neither_a_rejected_nor_an_inspected_return() -> None:
    ret = a_return(status=S.APPROVED)
    ret.receive(T)
    ret.inspect(T, {"L1": Grade.RESELLABLE})
    assert advance(ret, LEG_STATES[2], T) == []
    assert ret.status is S.INSPECTED


# ---- refund timing ----------------------------------------------------------------------------


def test_each_timing_pays_at_its_moment_and_never_an_exchange_or_keep_it() -> None:
    refund = a_return()
    assert due_early(RefundTiming.FIRST_SCAN, [S.IN_TRANSIT], refund)
    assert due_early(RefundTiming.FIRST_SCAN, [S.RECEIVED], refund)  # no scan came first
    assert not due_early(RefundTiming.ARRIVAL, [S.IN_TRANSIT], refund)
    assert due_early(RefundTiming.ARRIVAL, [S.RECEIVED], refund)
    assert not due_early(RefundTiming.INSPECTION, [S.IN_TRANSIT, S.RECEIVED], refund)
    assert due_early(RefundTiming.ARRIVAL, [S.RECEIVED], a_return(Resolution.STORE_CREDIT))
    assert not due_early(RefundTiming.FIRST_SCAN, [S.IN_TRANSIT], a_return(Resolution.EXCHANGE))


def test_refund_timing_round_trips_and_defaults_to_inspection() -> None:
    assert policy_from_dict({}).refund_timing is RefundTiming.INSPECTION
    doc = policy_to_dict(policy_from_dict({"refund_timing": "first_scan"}))
    assert doc["refund_timing"] == "first_scan"
    assert policy_from_dict(doc).refund_timing is RefundTiming.FIRST_SCAN


@given(
    country=st.sampled_from(["DE", "FR", "NO", "US", "BR", None]),
    sent=st.one_of(st.none(), st.integers(0, 40)),
    received=st.one_of(st.none(), st.integers(0, 40)),
)  # fmt: skip
def test_the_statutory_deadline_is_14_days_from_the_request_or_once_the_goods_move(
    country: str | None, sent: int | None, received: int | None
) -> None:
    at = {k: (T + timedelta(days=v) if v is not None else None) for k, v in
          {"sent": sent, "received": received}.items()}  # fmt: skip
    d = statutory_refund_deadline(country, T, sent_at=at["sent"], received_at=at["received"])
    assert "\n" not in d.explanation and d.explanation
    if country not in ("DE", "FR", "NO"):
        assert d.due_by is None and d.rule == "refund.merchant"
    elif sent is None and received is None:
        assert d.due_by is None and d.rule == "statutory.refund_withheld"
    else:
        first = min(v for v in (at["sent"], at["received"]) if v is not None)
        assert d.due_by == max(T + timedelta(days=14), first)


# ---- money: exchanged items, lines and totals --------------------------------------------------


@given(worth=amounts, price=amounts, qty=st.integers(1, 5), data=st.data())
def test_an_exchanged_item_refunds_at_most_what_was_paid_for_it(
    worth: Decimal, price: Decimal, qty: int, data: st.DataObject
) -> None:
    """The first return carried ``worth`` (what the original units cost) into an exchange
    order line of ``price``; the shopper paid any upsell difference and got any cheaper
    difference back. Returning the new item then gives back at most what they paid, in all."""
    line_price = usd(price) * qty
    carried = usd(worth) if usd(worth) <= line_price else line_price  # exchange_command
    charge = line_price - carried  # what the exchange order asked on top
    cheaper_back = usd(worth) - carried  # refunded with the first return
    cap = exchange_line_cap(
        unit_price=usd(price), quantity=qty, carried=carried, tax=None, taxes_included=True
    )
    assert not cap.is_negative()
    assert cap <= line_price
    assert cap + cheaper_back <= usd(worth) + charge  # never more than was paid, in all
    assert cap == line_price  # and exactly the item's price: nothing paid is lost
    plain = line_refund_cap(
        unit_price=usd(price), quantity=qty, discount=carried, tax=None, taxes_included=True
    )
    assert plain <= cap  # a plain discount would have refunded only the difference


@given(
    caps=st.lists(amounts, min_size=1, max_size=6), fee=amounts,
    restock=st.decimals(min_value=0, max_value=1, places=2),
    resolution=st.sampled_from([Resolution.REFUND, Resolution.STORE_CREDIT]),
)  # fmt: skip
def test_the_lines_add_up_to_the_return_and_fees_never_make_it_negative(
    caps: list[Decimal], fee: Decimal, restock: Decimal, resolution: Resolution
) -> None:
    delivered = T - timedelta(days=2)
    lines = tuple(
        LineRequest(
            line_id=f"L{i}", sku=f"SKU{i}", quantity=1, reason_code="too_small", line_quantity=1,
            delivered=1, already_returned=0, cap=usd(c), already_refunded=usd(0),
            delivered_at=delivered,
        )
        for i, c in enumerate(caps)
    )  # fmt: skip
    policy = ReturnPolicy(
        reasons=DEFAULT_REASONS, return_fee={"USD": fee}, restocking_fee_rate=restock
    )
    q = evaluate(
        policy,
        ReturnRequestContext(
            currency="USD", now=T, zone=ZoneInfo("UTC"), destination_country="US",
            resolution=resolution, lines=lines,
        ),
    )  # fmt: skip
    assert sum((x.refund.amount for x in q.lines), Decimal(0)) == q.items.amount
    assert q.items.amount == sum(caps, Decimal(0))  # whole lines: exactly what was paid
    assert Decimal(0) <= q.refund.amount <= q.items.amount

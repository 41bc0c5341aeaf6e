"""Keep-it advice per SKU: the resale rate measured from inspection grades, the policy's
label and handling costs, and whether returning one unit loses money."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.money import Money
from postpurchase.domain.returns import Grade, KeepIt, Resolution, Return, ReturnLine, SkuCosts
from postpurchase.domain.returns.keep_it_advice import advise

T0 = datetime(2026, 11, 1, tzinfo=UTC)
COSTS = KeepIt(SkuCosts(Decimal("6.00"), Decimal("3.00"), Decimal("0.80")))


def graded(sku: str, price: str, *grades: Grade, rejected: bool = False) -> Return:
    lines = [
        ReturnLine(f"L{i}", sku, 1, "too_small", Money(Decimal(price), "USD"), "window", grade=g)
        for i, g in enumerate(grades)
    ]
    r = Return(
        id=f"r-{sku}-{len(grades)}", merchant_id="m1", order_id="o1", number="R-1",
        currency="USD", lines=lines, resolution=Resolution.REFUND,
        refund=Money(Decimal(price) * len(grades), "USD"), bonus=Money.zero("USD"),
        fees=Money.zero("USD"), policy_version=1, created_at=T0,
    )  # fmt: skip
    if rejected:
        r.reject(T0, "no")
    return r


def test_a_cheap_sku_that_comes_back_damaged_is_suggested_for_keep_it() -> None:
    socks = graded("SOCKS", "12.00", Grade.DAMAGED, Grade.REFURBISH, Grade.RESELLABLE,
                   Grade.DAMAGED)  # fmt: skip
    jacket = graded("JACKET", "90.00", Grade.RESELLABLE, Grade.RESELLABLE, Grade.RESELLABLE)
    advice = {a.sku: a for a in advise([socks, jacket], COSTS)}
    s = advice["SOCKS"]
    # (1 + 0.5) / 4 graded units = 0.375 → 0.38; 6 + 3 − 12 × 0.38 = 4.44 > 0
    assert s.measured and s.graded_units == 4
    assert s.costs == SkuCosts(Decimal("6.00"), Decimal("3.00"), Decimal("0.38"))
    assert s.unit_price == Money(Decimal("12.00"), "USD")
    assert s.cost_to_serve == Money(Decimal("4.44"), "USD") and s.keep_it
    j = advice["JACKET"]
    assert j.costs.resale_rate == Decimal("1.00") and not j.keep_it
    assert j.cost_to_serve == Money(Decimal("-81.00"), "USD")
    # Where returning loses most first.
    assert [a.sku for a in advise([jacket, socks], COSTS)] == ["SOCKS", "JACKET"]


def test_too_few_graded_units_keep_the_policys_rate_and_rejected_returns_do_not_count() -> None:
    few = graded("MUG", "10.00", Grade.DAMAGED)
    refused = graded("MUG", "10.00", Grade.DAMAGED, Grade.DAMAGED, rejected=True)
    (a,) = advise([few, refused], COSTS)
    assert not a.measured and a.graded_units == 1
    assert a.costs.resale_rate == Decimal("0.80")  # the policy's, not measured
    assert advise([], COSTS) == []


@given(st.lists(st.sampled_from(list(Grade)), min_size=1, max_size=30))
def test_the_measured_rate_is_a_share_and_keep_it_follows_the_cost(grades: list[Grade]) -> None:
    (a,) = advise([graded("X", "20.00", *grades)], COSTS, min_graded=1)
    assert Decimal(0) <= a.costs.resale_rate <= Decimal(1)
    assert a.keep_it == (a.cost_to_serve.amount > 0)


def labelled(sku: str, price: str, cost: Money | None, *grades: Grade, rid: str) -> Return:
    r = graded(sku, price, *grades)
    r.id, r.label_cost = rid, cost
    return r


def test_the_label_cost_is_measured_from_bought_labels_shared_per_unit() -> None:
    # Three parcels of one unit at 7.20, 7.80 and 8.10, one of two units at 9.00 (4.50 each):
    # (7.20 + 7.80 + 8.10 + 4.50 + 4.50) / 5 units = 6.42.
    usd = [Money(Decimal(x), "USD") for x in ("7.20", "7.80", "8.10")]
    rets = [labelled("MUG", "10.00", m, Grade.DAMAGED, rid=f"r{i}") for i, m in enumerate(usd)]
    rets.append(labelled("MUG", "10.00", Money(Decimal("9.00"), "USD"), Grade.DAMAGED,
                         Grade.REFURBISH, rid="r9"))  # fmt: skip
    (a,) = advise(rets, COSTS)
    assert a.label_measured and a.label_units == 5
    assert a.costs.label == Decimal("6.42") and a.costs.handling == Decimal("3.00")
    # 6.42 + 3 − 10 × 0.10 = 8.42
    assert a.cost_to_serve == Money(Decimal("8.42"), "USD")


def test_unpriced_foreign_or_too_few_labels_keep_the_policys_label_figure() -> None:
    eur = labelled("MUG", "10.00", Money(Decimal("5.00"), "EUR"), Grade.DAMAGED, rid="a")
    none = labelled("MUG", "10.00", None, Grade.DAMAGED, rid="b")
    one = labelled("MUG", "10.00", Money(Decimal("1.00"), "USD"), Grade.DAMAGED, rid="c")
    (a,) = advise([eur, none, one], COSTS)
    assert not a.label_measured and a.label_units == 1
    assert a.costs.label == Decimal("6.00")  # the policy's, too few priced units
    (b,) = advise([eur, none, one], COSTS, min_graded=1)
    assert b.label_measured and b.costs.label == Decimal("1.00")  # the EUR label is left out


@given(st.lists(st.decimals(min_value=0, max_value=500, places=2), min_size=1, max_size=20))
def test_the_measured_label_lies_between_the_cheapest_and_dearest(costs: list[Decimal]) -> None:
    rets = [
        labelled("X", "20.00", Money(c, "USD"), Grade.RESELLABLE, rid=f"r{i}")
        for i, c in enumerate(costs)
    ]
    (a,) = advise(rets, COSTS, min_graded=1)
    assert min(costs) - Decimal("0.01") <= a.costs.label <= max(costs) + Decimal("0.01")

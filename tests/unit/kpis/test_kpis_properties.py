"""Properties every KPI must keep, whatever the orders (hypothesis).

Rates stay in 0..1, counts add up, the answer does not depend on row order, and the KPIs
move the right way: a later delivery is never more on time, one more live order never
makes fewer repeat customers, a canceled one never makes more.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.kpis.kpi_builders import SP

from postpurchase.domain.kpis import (
    KpiOrder,
    OrderState,
    Punctuality,
    quantile,
    repeat_cohorts,
    summarise,
    wilson_interval,
)

START = datetime(2017, 1, 1, tzinfo=SP)
RATES = [
    "on_time_rate",
    "late_rate",
    "repeat_purchase_rate_90d_on_time",
    "repeat_purchase_rate_90d_late",
]


@st.composite
def orders(draw: st.DrawFn, *, promised: bool | None = None) -> KpiOrder:
    """An order in a 400-day span: a few customers so that repeats happen."""
    bought = START + timedelta(minutes=draw(st.integers(0, 400 * 24 * 60)))
    state = draw(st.sampled_from(OrderState))
    delivered = None
    if draw(st.booleans()):
        delivered = bought + timedelta(minutes=draw(st.integers(0, 60 * 24 * 60)))
    has_promise = draw(st.booleans()) if promised is None else promised
    promise: date | None = None
    if has_promise:
        promise = (bought + timedelta(days=draw(st.integers(0, 40)))).date()
    return KpiOrder(
        order_id=draw(st.uuids()).hex,
        customer_key=draw(st.one_of(st.none(), st.sampled_from("abcdefgh"))),
        state=state,
        purchased_at=bought,
        delivered_at=delivered,
        promised_on=promise,
        review_scores=tuple(draw(st.lists(st.integers(1, 5), max_size=3))),
    )


order_lists = st.lists(orders(), max_size=40)


@given(order_lists)
def test_rates_are_fractions_and_counts_add_up(batch: list[KpiOrder]) -> None:
    summary = summarise(batch)
    figures = summary.as_dict()
    for key in RATES:
        value = figures[key]
        assert value is None or 0.0 <= value <= 1.0, key
    for key in ("review_score_on_time", "review_score_late"):
        assert figures[key] is None or 1.0 <= figures[key] <= 5.0
    delivered = figures["delivered_orders"]
    assert delivered == sum(o.is_delivered for o in batch)
    assert (
        figures["on_time_orders"] + figures["late_orders"] + figures["delivered_without_promise"]
        == delivered
    )
    assert figures["reviewed_on_time_orders"] <= figures["on_time_orders"]
    assert figures["reviewed_late_orders"] <= figures["late_orders"]
    bands = figures["review_score_by_days_late"]
    assert bands[0]["reviewed_orders"] == figures["reviewed_on_time_orders"]
    assert sum(b["reviewed_orders"] for b in bands[1:]) == figures["reviewed_late_orders"]
    for key in ("low_score_rate_on_time", "low_score_rate_late"):
        assert figures[key] is None or 0.0 <= figures[key] <= 1.0
    assert sum(m["delivered_orders"] for m in figures["on_time_rate_by_purchase_month"]) == (
        delivered
    )
    if delivered:
        median, p90 = figures["median_click_to_door_days"], figures["p90_click_to_door_days"]
        days = summary.click_to_door_days
        assert min(days) <= median <= p90 <= max(days)
    # every customer with a delivered order is in exactly one place
    customers = {o.customer_key for o in batch if o.is_delivered and o.customer_key}
    repeat = summary.repeat
    assert (
        repeat.size(Punctuality.ON_TIME) + repeat.size(Punctuality.LATE)
        + repeat.too_recent + repeat.no_promise
        == len(customers)
    )  # fmt: skip
    for cohort in Punctuality:
        assert 0 <= repeat.repeaters(cohort) <= repeat.size(cohort)


@given(st.lists(orders(promised=True), max_size=40))
def test_with_promises_on_time_and_late_make_up_the_delivered(batch: list[KpiOrder]) -> None:
    figures = summarise(batch).as_dict()
    assert figures["on_time_orders"] + figures["late_orders"] == figures["delivered_orders"]
    if figures["delivered_orders"]:
        assert math.isclose(figures["on_time_rate"] + figures["late_rate"], 1.0)


@given(order_lists, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(batch: list[KpiOrder], rnd: object) -> None:
    shuffled = list(batch)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    left, right = summarise(batch).as_dict(), summarise(shuffled).as_dict()
    for key in ("median_click_to_door_days", "p90_click_to_door_days", "mean_click_to_door_days"):
        a, b = left.pop(key), right.pop(key)
        assert a == b or math.isclose(a, b)  # a float sum may round differently by order
    for key in ("review_score_on_time", "review_score_late"):
        a, b = left.pop(key), right.pop(key)
        assert a == b or math.isclose(a, b)
        left.pop(f"{key}_ci95"), right.pop(f"{key}_ci95")
    assert left == right


@given(order_lists, st.data())
def test_a_later_delivery_is_never_more_on_time(batch: list[KpiOrder], data: st.DataObject) -> None:
    delivered = [i for i, o in enumerate(batch) if o.is_delivered]
    if not delivered:
        return
    i = data.draw(st.sampled_from(delivered))
    later = list(batch)
    old = batch[i].delivered_at
    assert old is not None
    later[i] = replace(batch[i], delivered_at=old + timedelta(hours=data.draw(st.integers(1, 999))))
    before, after = summarise(batch), summarise(later)
    assert after.on_time_orders <= before.on_time_orders
    assert after.judged_orders == before.judged_orders
    assert sum(after.click_to_door_days) > sum(before.click_to_door_days)


@given(order_lists, st.data())
def test_one_more_live_order_never_makes_fewer_repeat_customers(
    batch: list[KpiOrder], data: st.DataObject
) -> None:
    keyed = [o for o in batch if o.customer_key is not None]
    if not keyed:
        return
    horizon = max(o.purchased_at for o in batch)
    customer = data.draw(st.sampled_from([o.customer_key for o in keyed]))
    # placed no later than the last purchase, so nobody's eligibility changes; not delivered,
    # so nobody's first delivered order changes either
    extra = KpiOrder(
        order_id="extra",
        customer_key=customer,
        state=OrderState.OPEN,
        purchased_at=horizon - timedelta(minutes=data.draw(st.integers(0, 400 * 24 * 60))),
    )
    before, after = repeat_cohorts(batch), repeat_cohorts([*batch, extra])
    for cohort in Punctuality:
        assert after.size(cohort) == before.size(cohort)
        assert after.repeaters(cohort) >= before.repeaters(cohort)
    # ...and a canceled one changes nothing
    void = repeat_cohorts([*batch, replace(extra, state=OrderState.VOID)])
    assert void.members == before.members


@given(order_lists, st.data())
def test_canceling_an_open_order_never_makes_more_repeat_customers(
    batch: list[KpiOrder], data: st.DataObject
) -> None:
    live = [i for i, o in enumerate(batch) if o.state is OrderState.OPEN]
    if not live:
        return
    i = data.draw(st.sampled_from(live))
    canceled = list(batch)
    canceled[i] = replace(batch[i], state=OrderState.VOID)
    before, after = repeat_cohorts(batch), repeat_cohorts(canceled)
    for cohort in Punctuality:
        assert after.size(cohort) == before.size(cohort)
        assert after.repeaters(cohort) <= before.repeaters(cohort)


@given(order_lists, st.integers(1, 200), st.integers(0, 200))
def test_a_longer_window_never_makes_fewer_repeat_customers(
    batch: list[KpiOrder], days: int, more: int
) -> None:
    until = START + timedelta(days=2000)  # everyone's window fully observed under both
    short = repeat_cohorts(batch, timedelta(days=days), observed_until=until)
    long = repeat_cohorts(batch, timedelta(days=days + more), observed_until=until)
    for cohort in Punctuality:
        assert long.size(cohort) == short.size(cohort)
        assert long.repeaters(cohort) >= short.repeaters(cohort)


@settings(max_examples=200)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_quantiles_are_monotone_and_bounded(values: list[float], q1: float, q2: float) -> None:
    low, high = sorted((q1, q2))
    a, b = quantile(values, low), quantile(values, high)
    assert a is not None and b is not None
    assert min(values) <= a <= b <= max(values)


@given(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_holds_the_rate_inside_0_1(pair: tuple[int, int]) -> None:
    hits, total = pair
    interval = wilson_interval(hits, total)
    if total == 0:
        assert interval is None
        return
    assert interval is not None
    low, high = interval
    assert 0.0 <= low <= hits / total <= high <= 1.0

"""The KPI definitions on tiny datasets whose answers were worked out by hand.

Every expected number below is written out with the arithmetic that gives it, so a reader
can check the definition (docs/kpis.md) against the test without running anything.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from tests.unit.kpis.kpi_builders import DELIVERED, OPEN, SP, VOID, at, order

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.kpis import (
    REQUIRED_KEYS,
    KpiOrder,
    OrderState,
    Punctuality,
    click_to_door_days,
    days_late,
    first_delivered,
    lateness_band,
    punctuality,
    quantile,
    rate,
    repeat_cohorts,
    review_score,
    summarise,
    wilson_interval,
)

ON, LATE = Punctuality.ON_TIME, Punctuality.LATE


# --- one order ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delivered", "expected"),
    [
        ("2017-03-09 08:00", ON),  # a day early
        ("2017-03-10 00:00", ON),  # the first second of the promised day
        ("2017-03-10 23:59:59", ON),  # the last second of it: by calendar date, still on time
        ("2017-03-11 00:00", LATE),  # the next day
    ],
)
def test_on_time_is_judged_by_calendar_date(delivered: str, expected: Punctuality) -> None:
    o = order("o", "c", "2017-03-01 10:00", delivered=delivered, promised="2017-03-10")
    assert punctuality(o) is expected


def test_the_calendar_is_the_zone_the_times_carry() -> None:
    # 23:30 in São Paulo on the promised day is 02:30 UTC the day after: still on time,
    # because the shopper's calendar, not UTC's, judges the promise.
    o = order("o", "c", "2017-03-01 10:00", delivered="2017-03-10 23:30", promised="2017-03-10")
    assert o.delivered_at is not None and o.delivered_at.astimezone(UTC).day == 11
    assert punctuality(o) is ON


@pytest.mark.parametrize(
    ("delivered", "late_by", "band"),
    [
        ("2017-03-08 12:00", -2, "on time"),
        ("2017-03-10 23:59", 0, "on time"),
        ("2017-03-11 00:01", 1, "1-3"),
        ("2017-03-13 12:00", 3, "1-3"),
        ("2017-03-14 00:00", 4, "4-7"),
        ("2017-03-17 12:00", 7, "4-7"),
        ("2017-03-18 00:00", 8, "8+"),
    ],
)
def test_days_late_count_calendar_days_after_the_promise(
    delivered: str, late_by: int, band: str
) -> None:
    o = order("o", "c", "2017-03-01 10:00", delivered=delivered, promised="2017-03-10")
    assert days_late(o) == late_by
    assert lateness_band(late_by) == band


def test_only_delivered_orders_with_a_date_and_a_promise_have_a_punctuality() -> None:
    no_date = order("a", "c", "2017-03-01 10:00", promised="2017-03-10")
    canceled_after_delivery = order(
        "b", "c", "2017-03-01 10:00", VOID, delivered="2017-03-05 10:00", promised="2017-03-10"
    )
    no_promise = order("c", "c", "2017-03-01 10:00", delivered="2017-03-05 10:00")
    assert not no_date.is_delivered and not canceled_after_delivery.is_delivered
    assert no_promise.is_delivered
    assert [punctuality(o) for o in (no_date, canceled_after_delivery, no_promise)] == [None] * 3
    assert click_to_door_days(no_date) is None
    assert click_to_door_days(canceled_after_delivery) is None
    assert click_to_door_days(no_promise) == 4.0
    assert [days_late(o) for o in (no_date, canceled_after_delivery, no_promise)] == [None] * 3


def test_click_to_door_is_fractional_days_of_real_elapsed_time() -> None:
    # 2 days and 12 hours
    o = order("o", "c", "2017-03-01 10:00", delivered="2017-03-03 22:00")
    assert click_to_door_days(o) == 2.5
    # São Paulo left daylight saving at midnight 2017-02-19 (clocks went from 00:00 back to
    # 23:00): noon to noon across it is 25 hours, not 24.
    dst = order("o", "c", "2017-02-18 12:00", delivered="2017-02-19 12:00")
    assert click_to_door_days(dst) == pytest.approx(25 / 24)


def test_an_orders_review_score_is_the_mean_of_its_reviews() -> None:
    assert review_score(order("o", "c", "2017-03-01 10:00", reviews=(4.0, 5.0, 1.0))) == 10 / 3
    assert review_score(order("o", "c", "2017-03-01 10:00")) is None


def test_bad_records_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as naive:
        KpiOrder("o", "c", DELIVERED, at("2017-03-01 10:00").replace(tzinfo=None))
    assert naive.value.field == "purchased_at"
    with pytest.raises(InvalidInput) as backwards:
        order("o", "c", "2017-03-05 10:00", delivered="2017-03-01 10:00")
    assert backwards.value.field == "delivered_at"


# --- the summary -------------------------------------------------------------------------

# Five delivered orders, all bought 2017-03-01 00:00, plus three that are not delivered.
SMALL = [
    # 2.00 days, promise kept by two days; one five-star review
    order("o1", "c1", "2017-03-01 00:00", delivered="2017-03-03 00:00", promised="2017-03-05",
          reviews=(5,)),
    # 4.75 days, delivered on the promised day at 18:00: on time; reviews 4 and 5 -> 4.5
    order("o2", "c2", "2017-03-01 00:00", delivered="2017-03-05 18:00", promised="2017-03-05",
          reviews=(4, 5)),
    # 5.25 days, the morning after the promised day: late; one one-star review
    order("o3", "c3", "2017-03-01 00:00", delivered="2017-03-06 06:00", promised="2017-03-05",
          reviews=(1,)),
    # 10.00 days, late, no review: left out of the late score average
    order("o4", "c4", "2017-03-01 00:00", delivered="2017-03-11 00:00", promised="2017-03-07"),
    # 3.50 days, on time; three stars
    order("o5", "c5", "2017-03-01 00:00", delivered="2017-03-04 12:00", promised="2017-03-10",
          reviews=(3,)),
    # status delivered but no delivery date: not a delivered order
    order("o6", "c6", "2017-03-01 00:00", DELIVERED, promised="2017-03-10", reviews=(1,)),
    # canceled although a delivery date was recorded: not a delivered order
    order("o7", "c7", "2017-03-01 00:00", VOID, delivered="2017-03-02 00:00",
          promised="2017-03-10"),
    # shipped, on its way
    order("o8", "c8", "2017-03-01 00:00", OPEN, promised="2017-03-10"),
]  # fmt: skip


def test_summary_of_a_small_dataset_worked_out_by_hand() -> None:
    figures = summarise(SMALL).as_dict()
    assert tuple(figures)[: len(REQUIRED_KEYS)] == REQUIRED_KEYS
    assert figures["orders"] == 8
    assert figures["delivered_orders"] == 5
    assert figures["delivered_status_without_date"] == 1
    assert figures["void_orders"] == 1
    assert (figures["on_time_orders"], figures["late_orders"]) == (3, 2)  # o1 o2 o5 | o3 o4
    assert figures["on_time_rate"] == 3 / 5
    assert figures["late_rate"] == 2 / 5
    # click-to-door sorted: 2.0, 3.5, 4.75, 5.25, 10.0
    assert figures["median_click_to_door_days"] == 4.75
    # P90: position (5 - 1) * 0.9 = 3.6 -> 5.25 + 0.6 * (10.0 - 5.25) = 8.1
    assert figures["p90_click_to_door_days"] == pytest.approx(8.1)
    assert figures["mean_click_to_door_days"] == pytest.approx(25.5 / 5)
    # on time: o1 5, o2 4.5, o5 3 -> 12.5 / 3; late: o3 1 (o4 has no review)
    assert figures["review_score_on_time"] == pytest.approx(12.5 / 3)
    assert figures["reviewed_on_time_orders"] == 3
    assert figures["review_score_late"] == 1.0
    assert figures["reviewed_late_orders"] == 1
    assert figures["review_score_late_ci95"] is None  # one review: no spread to measure
    # Every purchase is the data's last purchase: every customer is too recent for 90 days.
    assert figures["repeat_purchase_rate_90d_on_time"] is None
    assert figures["repeat_purchase_rate_90d_late"] is None
    assert figures["repeat_left_out_too_recent"] == 5
    # o1 o2 o5 reviewed on time: none at 2 stars or less; late: o3 (1 star) is the only one
    assert (figures["low_score_rate_on_time"], figures["low_score_rate_late"]) == (0.0, 1.0)
    # o3: delivered 03-06, promised 03-05 -> 1 day late; o4 (4 days late) has no review
    assert figures["review_score_by_days_late"] == [
        {"days_late": "on time", "reviewed_orders": 3, "review_score": pytest.approx(12.5 / 3),
         "low_score_rate": 0.0},
        {"days_late": "1-3", "reviewed_orders": 1, "review_score": 1.0, "low_score_rate": 1.0},
        {"days_late": "4-7", "reviewed_orders": 0, "review_score": None, "low_score_rate": None},
        {"days_late": "8+", "reviewed_orders": 0, "review_score": None, "low_score_rate": None},
    ]  # fmt: skip
    assert figures["on_time_rate_by_purchase_month"] == [
        {"month": "2017-03", "delivered_orders": 5, "on_time_rate": 0.6}
    ]


def test_nothing_to_measure_is_null_not_zero() -> None:
    figures = summarise([order("o", "c", "2017-03-01 10:00", OPEN)]).as_dict()
    assert figures["delivered_orders"] == 0
    for key in REQUIRED_KEYS[1:]:
        assert figures[key] is None, key


# --- repeat purchase ---------------------------------------------------------------------

# B = 2017-01-01 12:00 in São Paulo, still on daylight-saving time (-02:00). Exactly 90 days
# (90 x 24 h) later is 2017-04-01 11:00 local (-03:00): the clocks went back in February.
# The data's last purchase is Z1, 2017-06-30 12:00, which is exactly 90 days after
# 2017-04-01 12:00 (both -03:00).
B = "2017-01-01 12:00"
COHORTS = [
    # A: on time; another order exactly 90 days later (inclusive end) -> repeats
    order("A1", "cA", B, delivered="2017-01-05 12:00", promised="2017-01-10"),
    order("A2", "cA", "2017-04-01 11:00", OPEN),
    # B: late; other orders one second past 90 days, and 90 days by the wall clock -> no
    order("B1", "cB", B, delivered="2017-01-20 12:00", promised="2017-01-10"),
    order("B2", "cB", "2017-04-01 11:00:01", delivered="2017-04-05 12:00",
          promised="2017-04-20"),
    order("B3", "cB", "2017-04-01 12:00", OPEN),
    # C: on time; the only later orders were canceled or unavailable -> no
    order("C1", "cC", B, delivered="2017-01-05 12:00", promised="2017-01-10"),
    order("C2", "cC", "2017-01-15 12:00", VOID),
    order("C3", "cC", "2017-02-01 12:00", VOID),
    # D: on time; an order *before* the first delivered one does not count -> no
    order("D0", "cD", "2016-12-01 12:00", OPEN),
    order("D1", "cD", B, delivered="2017-01-05 12:00", promised="2017-01-10"),
    # E: the first delivered order is the earliest *purchase* (E1, late) even though E2 was
    # delivered sooner; E2 is another order within 90 days -> late cohort, repeats
    order("E1", "cE", B, delivered="2017-02-10 12:00", promised="2017-01-20"),
    order("E2", "cE", "2017-01-05 12:00", delivered="2017-01-08 12:00", promised="2017-01-20"),
    # F: first delivered order 89 days before the last purchase -> left out (too recent)
    order("F1", "cF", "2017-04-02 12:00", delivered="2017-04-05 12:00", promised="2017-04-20"),
    order("F2", "cF", "2017-04-10 12:00", OPEN),
    # G: exactly 90 days before the last purchase -> kept; no other order -> no
    order("G1", "cG", "2017-04-01 12:00", delivered="2017-04-05 12:00", promised="2017-04-20"),
    # H: first delivered order has no promised date -> in neither cohort
    order("H1", "cH", B, delivered="2017-01-05 12:00"),
    order("H2", "cH", "2017-01-10 12:00", OPEN),
    # I: never delivered (shipped; delivered status without a date) -> not a member
    order("I1", "cI", B, OPEN),
    order("I2", "cI", "2017-01-10 12:00", DELIVERED, promised="2017-01-20"),
    # J: two delivered orders bought in the same second: the smaller id (J1, late) is the
    # first; J2 is not *after* it -> late cohort, no repeat
    order("J2", "cJ", B, delivered="2017-01-05 12:00", promised="2017-01-10"),
    order("J1", "cJ", B, delivered="2017-01-25 12:00", promised="2017-01-10"),
    # unknown customer: no cohort, whatever they did
    order("N1", None, B, delivered="2017-01-05 12:00", promised="2017-01-10"),
    order("N2", None, "2017-01-10 12:00", OPEN),
    # Z: sets the data's last purchase; never delivered
    order("Z1", "cZ", "2017-06-30 12:00", OPEN),
]  # fmt: skip


def test_repeat_cohorts_worked_out_by_hand() -> None:
    cohorts = repeat_cohorts(COHORTS)
    assert cohorts.observed_until == at("2017-06-30 12:00")
    members = {m.customer_key: (m.first_order_id, m.cohort, m.repeated) for m in cohorts.members}
    assert members == {
        "cA": ("A1", ON, True),
        "cB": ("B1", LATE, False),
        "cC": ("C1", ON, False),
        "cD": ("D1", ON, False),
        "cE": ("E1", LATE, True),
        "cG": ("G1", ON, False),
        "cJ": ("J1", LATE, False),
    }
    assert (cohorts.too_recent, cohorts.no_promise) == (1, 1)  # cF | cH
    assert (cohorts.size(ON), cohorts.repeaters(ON), cohorts.rate(ON)) == (4, 1, 1 / 4)
    assert (cohorts.size(LATE), cohorts.repeaters(LATE), cohorts.rate(LATE)) == (3, 1, 1 / 3)
    figures = summarise(COHORTS).as_dict()
    assert figures["repeat_purchase_rate_90d_on_time"] == 1 / 4
    assert figures["repeat_purchase_rate_90d_late"] == 1 / 3
    assert figures["repeat_cohort_on_time"] == 4 and figures["repeat_customers_late"] == 1


def test_the_90_days_are_real_elapsed_time() -> None:
    first = at(B)
    boundary = (first.astimezone(UTC) + timedelta(days=90)).astimezone(SP)
    assert boundary == at("2017-04-01 11:00")  # not 12:00: daylight saving ended in between


def test_the_data_horizon_counts_every_order_even_void_and_anonymous() -> None:
    first = order("A1", "cA", B, delivered="2017-01-05 12:00", promised="2017-01-10")
    # 89 days of data after A1's purchase: too recent
    short = repeat_cohorts([first, order("X", None, "2017-03-31 12:00", VOID)])
    assert short.too_recent == 1 and not short.members
    # a canceled order of an unknown customer 100 days later extends the horizon
    long = repeat_cohorts([first, order("X", None, "2017-04-11 12:00", VOID)])
    assert [m.customer_key for m in long.members] == ["cA"]
    # and a caller may judge a subset against a longer horizon
    given = repeat_cohorts([first], observed_until=at("2017-05-01 00:00"))
    assert given.size(ON) == 1 and given.too_recent == 0


def test_first_delivered_ignores_undelivered_and_breaks_ties_by_id() -> None:
    orders = [
        order("b", "c", B, delivered="2017-01-05 12:00"),
        order("a", "c", B, delivered="2017-01-09 12:00"),
        order("0", "c", "2016-12-01 12:00", OPEN),
    ]
    found = first_delivered(orders)
    assert found is not None and found.order_id == "a"
    assert first_delivered([order("x", "c", B, OPEN)]) is None


# --- the small statistics ----------------------------------------------------------------


def test_quantiles_interpolate_between_order_statistics() -> None:
    assert quantile([3.0, 1.0, 2.0, 4.0], 0.5) == 2.5  # even count: mean of the middle two
    assert quantile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert quantile([10.0, 20.0], 0.9) == pytest.approx(19.0)
    assert quantile([7.0], 0.9) == 7.0
    assert quantile([], 0.5) is None
    with pytest.raises(ValueError):
        quantile([1.0], 1.5)


def test_rates_and_their_intervals() -> None:
    assert rate(0, 0) is None
    assert rate(3, 4) == 0.75
    with pytest.raises(ValueError):
        rate(5, 4)
    # Wilson interval for 1 of 4 at 95%: a textbook value (0.0456, 0.6994)
    low, high = wilson_interval(1, 4) or (0.0, 0.0)
    assert (round(low, 4), round(high, 4)) == (0.0456, 0.6994)
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(0, 50) or (1.0, 1.0)
    assert low == 0.0 and high == pytest.approx(0.0714, abs=1e-4)  # z^2 / (n + z^2)
    assert wilson_interval(50, 50) == (pytest.approx(1 - 0.0714, abs=1e-4), 1.0)


def test_order_state_names_are_the_documented_ones() -> None:
    assert [s.value for s in OrderState] == ["delivered", "open", "void"]

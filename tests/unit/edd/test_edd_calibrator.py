"""The calibrator: weighted quantiles, coverage on exchangeable data, no peeking ahead."""

from __future__ import annotations

import math
import random

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.adapters.edd.learned import Calibrator, upper_base, weighted_quantile


@given(st.lists(st.floats(0, 100), min_size=1, max_size=50), st.floats(0, 1))
def test_weighted_quantile_with_equal_weights_is_an_order_statistic(
    values: list[float], level: float
) -> None:
    v = np.array(values)
    q = weighted_quantile(v, np.ones(len(v)), level)
    assert q in values
    assert (v <= q).mean() >= level - 1e-9


def test_weights_pull_the_quantile_towards_heavy_scores() -> None:
    v = np.array([1.0, 2.0, 3.0, 10.0])
    assert weighted_quantile(v, np.array([1, 1, 1, 1.0]), 0.5) == 2.0
    assert weighted_quantile(v, np.array([1, 1, 1, 100.0]), 0.5) == 10.0


def test_upper_base_is_between_median_and_q90() -> None:
    assert upper_base(9.0, 9.0) == 10.0
    assert 10.0 < upper_base(9.0, 19.0) < 20.0
    assert upper_base(9.0, 5.0) == 10.0  # crossing repaired: q90 never below q50


def simulate(cal: Calibrator, rng: random.Random, start: float, days: int, scale: float) -> None:
    for day in range(days):
        for _ in range(20):
            q50 = rng.uniform(5, 20)
            actual = q50 * scale * math.exp(rng.gauss(0, 0.4))
            cal.add(start + day + 0.5, actual, q50, q50 * 1.6)


def test_promises_hold_at_the_stated_level_on_exchangeable_data() -> None:
    rng = random.Random(3)
    cal = Calibrator(window_days=60, tau_days=0, min_scores=50)
    simulate(cal, rng, 0.0, 60, 1.0)
    kept = 0
    n = 4000
    for _ in range(n):
        q50 = rng.uniform(5, 20)
        actual = q50 * math.exp(rng.gauss(0, 0.4))
        days = cal.days((0.1, 0.5, 0.9, 0.95), q50, q50 * 1.6, now=60.0)
        assert days is not None
        assert days[0] <= days[1] <= days[2] <= days[3]
        kept += actual <= days[3]
    assert 0.93 <= kept / n <= 0.975


def test_a_slowdown_in_recent_deliveries_widens_the_promise() -> None:
    rng = random.Random(5)
    cal = Calibrator(window_days=30, tau_days=0, min_scores=50)
    simulate(cal, rng, 0.0, 30, 1.0)
    before = cal.days((0.95,), 10.0, 16.0, now=30.0)
    simulate(cal, rng, 30.0, 30, 1.6)
    after = cal.days((0.95,), 10.0, 16.0, now=60.0)
    assert before is not None and after is not None
    assert after[0] > before[0] * 1.3


def test_scores_at_or_after_now_and_outside_the_window_are_ignored() -> None:
    cal = Calibrator(window_days=10, tau_days=0, min_scores=3)
    for t in (1.0, 2.0, 3.0):
        cal.add(t, 10.0, 10.0, 12.0)
    assert cal.days((0.95,), 10.0, 12.0, now=3.0) is None  # only two scores before day 3
    assert cal.days((0.95,), 10.0, 12.0, now=3.5) is not None
    assert cal.days((0.95,), 10.0, 12.0, now=20.0) is None  # all older than the window
    cal.add(100.0, 1000.0, 10.0, 12.0)  # a future score cannot move today's answer
    assert cal.days((0.95,), 10.0, 12.0, now=3.5) == cal.days((0.95,), 10.0, 12.0, now=3.5)


def test_round_trip_and_pruning() -> None:
    cal = Calibrator(window_days=5, tau_days=2, min_scores=1)
    for t in range(10):
        cal.add(float(t), 5.0 + t, 5.0, 8.0)
    copy = Calibrator.from_dict(cal.to_dict())
    assert copy.days((0.5, 0.95), 5.0, 8.0, 9.5) == cal.days((0.5, 0.95), 5.0, 8.0, 9.5)
    cal.prune(9.5)
    assert min(cal.times) >= 4.5


def test_per_region_calibration_widens_only_the_slipping_region() -> None:
    rng = random.Random(8)
    pooled = Calibrator(window_days=30, tau_days=0, min_scores=50)
    split = Calibrator(window_days=30, tau_days=0, min_scores=50, other_weight=0.05)
    for day in range(30):
        for _ in range(30):
            q50 = rng.uniform(5, 20)
            region = "RJ" if rng.random() < 0.2 else "SP"
            slow = 2.0 if region == "RJ" else 1.0
            actual = q50 * slow * math.exp(rng.gauss(0, 0.3))
            for cal in (pooled, split):
                cal.add(day + 0.5, actual, q50, q50 * 1.5, region)
    sp, rj = split.days((0.95,), 10, 15, 30.0, "SP"), split.days((0.95,), 10, 15, 30.0, "RJ")
    both = pooled.days((0.95,), 10, 15, 30.0, "SP")
    assert sp is not None and rj is not None and both is not None
    assert rj[0] > both[0] > sp[0]
    assert pooled.days((0.95,), 10, 15, 30.0, "RJ") == both  # pooled ignores the group

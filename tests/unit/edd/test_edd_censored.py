"""Censoring-aware calibration: Kaplan-Meier quantiles and the purchase-window calibrator."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postpurchase.adapters.edd.censored import CensoredCalibrator, CensoredSample, km_quantiles
from postpurchase.adapters.edd.learned import weighted_quantile

LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99)


@settings(deadline=None)  # a loaded CI machine is not a slow algorithm
@given(st.lists(st.floats(0, 100), min_size=1, max_size=60), st.floats(0.01, 1))
def test_without_censoring_it_is_the_weighted_quantile(values: list[float], level: float) -> None:
    v = np.array(values)
    w = np.ones(len(v))
    found = km_quantiles(v, np.ones(len(v), dtype=bool), w, [level])
    assert found == [weighted_quantile(v, w, level)]


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 50), st.booleans(), st.floats(0.01, 5)), min_size=1),
    st.lists(st.floats(0.01, 0.999), min_size=2, max_size=6),
)
def test_quantiles_never_decrease_with_the_level(
    rows: list[tuple[float, bool, float]], levels: list[float]
) -> None:
    v, e, w = (np.array(c) for c in zip(*rows, strict=True))
    found = km_quantiles(v, e.astype(bool), w, sorted(levels))
    if not e.any():
        assert found is None
        return
    assert found is not None
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(found))


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 50), st.floats(0, 20)), min_size=3, max_size=40),
    st.floats(0.5, 0.99),
)
def test_an_open_order_never_makes_the_promise_shorter_than_ignoring_its_lateness(
    rows: list[tuple[float, float]], level: float
) -> None:
    """Knowing an order is still open can only move the quantile up against dropping it:
    censoring at c says "at least c", and dropping it would say nothing about the tail."""
    values = np.array([r[0] for r in rows])
    observed = np.ones(len(values), dtype=bool)
    base = km_quantiles(values, observed, np.ones(len(values)), [level])
    late = np.append(values, values.max() + 1.0 + rows[0][1])  # open beyond every delivery
    with_open = km_quantiles(late, np.append(observed, False), np.ones(len(late)), [level])
    assert base is not None and with_open is not None
    assert with_open[0] >= base[0]


def test_kaplan_meier_recovers_the_true_quantiles_under_heavy_censoring() -> None:
    rng = np.random.default_rng(5)
    truth = rng.exponential(size=20_000)
    censor = rng.exponential(scale=2.0, size=truth.size)
    seen = np.minimum(truth, censor)
    found = km_quantiles(seen, truth <= censor, np.ones(truth.size), [0.5, 0.9])
    naive = np.quantile(seen[truth <= censor], [0.5, 0.9])  # dropping the open ones
    assert found is not None
    for got, level, biased in zip(found, (0.5, 0.9), naive, strict=True):
        exact = -math.log(1 - level)
        assert abs(got - exact) < 0.06 * exact
        assert biased < exact * 0.9  # what a delivered-only sample would have said


def make_sample(
    clock: float, rng: np.random.Generator, scale: float = 1.0, n_days: int = 90
) -> CensoredSample:
    """20 orders a day; actual = q50 * lognormal * scale, open when not delivered by clock."""
    start = np.repeat(np.arange(clock - n_days, clock), 20).astype(float)
    q50 = rng.uniform(5, 20, start.size)
    actual = np.round(q50 * scale * np.exp(rng.normal(0, 0.4, start.size)))
    actual = np.where(start + actual < clock, actual, np.nan)
    groups = np.array(["SP"] * start.size, dtype=object)
    return CensoredSample(clock, start, q50, q50 * 1.6, actual, groups)


def test_coverage_is_monotone_in_confidence_and_near_the_stated_level() -> None:
    rng = np.random.default_rng(11)
    sample = make_sample(200.0, rng)
    cal = CensoredCalibrator(lambda clock: sample, window_days=90, min_scores=50)
    q50 = rng.uniform(5, 20, 5000)
    actual = np.round(q50 * np.exp(rng.normal(0, 0.4, q50.size)))
    kept = []
    for level in LEVELS:
        promised = np.array([cal.days([level], q, q * 1.6, 200.0) or [math.nan] for q in q50])
        kept.append(float(np.mean(actual <= np.ceil(promised[:, 0] - 1e-9))))
    assert kept == sorted(kept)
    assert 0.93 <= kept[LEVELS.index(0.95)] <= 0.975


def test_a_slowdown_shows_before_the_slow_orders_are_delivered() -> None:
    """Orders placed in the last 20 days run 60% slower and most are still open: the
    censored calibrator widens the promise; dropping the open orders would narrow it."""
    rng = np.random.default_rng(2)
    calm = make_sample(200.0, rng)
    recent = calm.start >= 180.0
    slow_actual = np.round(calm.q50 * 1.6 * np.exp(rng.normal(0, 0.4, calm.start.size)))
    actual = np.where(recent, np.where(calm.start + slow_actual < 200.0, slow_actual, np.nan),
                      calm.actual)  # fmt: skip
    slow = CensoredSample(200.0, calm.start, calm.q50, calm.q90, actual, calm.groups)
    before = CensoredCalibrator(lambda c: calm, 90, tau_days=20, min_scores=50)
    after = CensoredCalibrator(lambda c: slow, 90, tau_days=20, min_scores=50)
    f_before, f_after = before.factors([0.95], 200.0), after.factors([0.95], 200.0)
    assert f_before is not None and f_after is not None
    assert f_after[0] > f_before[0]


def test_too_few_deliveries_and_orders_outside_the_window_give_no_calibration() -> None:
    rng = np.random.default_rng(3)
    sample = make_sample(200.0, rng, n_days=3)  # 60 orders, few delivered within 3 days
    assert CensoredCalibrator(lambda c: sample, 90, min_scores=50).factors([0.95], 200.0) is None
    old = make_sample(100.0, rng)  # every order placed more than 90 days before 200
    moved = CensoredSample(200.0, old.start, old.q50, old.q90, old.actual, old.groups)
    assert CensoredCalibrator(lambda c: moved, 90, min_scores=50).factors([0.95], 200.0) is None


def test_the_sample_is_read_once_per_day_until_invalidated() -> None:
    rng = np.random.default_rng(4)
    sample = make_sample(200.0, rng)
    calls: list[float] = []

    def source(clock: float) -> CensoredSample:
        calls.append(clock)
        return sample

    cal = CensoredCalibrator(source, 90, min_scores=50)
    cal.factors([0.95], 200.0)
    cal.factors([0.9], 200.4)
    assert calls == [200.0]
    cal.invalidate()
    cal.factors([0.95], 200.4)
    cal.factors([0.95], 200.97)  # summer-time midnight of the next day rounds to 201
    assert calls == [200.0, 200.0, 201.0]


def step_sample(rng: np.random.Generator, slow_from: float, scale: float) -> CensoredSample:
    """Orders placed from ``slow_from`` on take ``scale`` times longer; clock at 200."""
    calm = make_sample(200.0, rng)
    slow = np.round(calm.q50 * scale * np.exp(rng.normal(0, 0.4, calm.start.size)))
    actual = np.where(calm.start >= slow_from, slow, np.round(calm.q50 * np.exp(
        rng.normal(0, 0.4, calm.start.size))))  # fmt: skip
    actual = np.where(calm.start + actual < 200.0, actual, np.nan)
    return CensoredSample(200.0, calm.start, calm.q50, calm.q90, actual, calm.groups)


def always(sample: CensoredSample) -> Callable[[float], CensoredSample]:
    return lambda clock: sample


def settled_sample(rng: np.random.Generator, scale: float) -> CensoredSample:
    """Every order of the window ``scale`` times slower and delivered: what the step becomes."""
    calm = make_sample(200.0, rng)
    actual = np.round(calm.q50 * scale * np.exp(rng.normal(0, 0.4, calm.start.size)))
    return CensoredSample(500.0, calm.start + 300.0, calm.q50, calm.q90, actual, calm.groups)


@settings(deadline=None, max_examples=15)
@given(st.floats(0.5, 0.8), st.integers(0, 10_000))
def test_level_tracking_follows_a_step_in_either_direction(scale: float, seed: int) -> None:
    """Three weeks after deliveries speed up (or slow down, 1/scale), the tracked promise
    has moved closer to where it settles than the window's own tail has."""
    for factor in (scale, 1.0 / scale):
        sample = step_sample(np.random.default_rng(seed), 179.0, factor)
        settled = settled_sample(np.random.default_rng(seed + 1), factor)
        plain = CensoredCalibrator(always(sample), 90, min_scores=50)
        tracked = CensoredCalibrator(always(sample), 90, min_scores=50, drift_days=21)
        target = CensoredCalibrator(always(settled), 90, min_scores=50)
        p = plain.factors([0.95], 200.0)
        t = tracked.factors([0.95], 200.0)
        goal = target.factors([0.95], 500.0)
        assert p is not None and t is not None and goal is not None
        assert abs(t[0] - goal[0]) < abs(p[0] - goal[0])


def test_live_promises_allow_a_share_of_the_purchase_misses() -> None:
    from postpurchase.adapters.edd.engine import EddEngine, EngineConfig

    engine = EddEngine(EngineConfig())
    assert engine.live_confidence(0.95) == pytest.approx(0.96)
    levels = [engine.live_confidence(c) for c in (0.5, 0.8, 0.9, 0.95, 0.99)]
    assert levels == sorted(levels) and all(lv <= 0.999 for lv in levels)
    assert EddEngine(EngineConfig(live_miss_ratio=1.0)).live_confidence(0.9) == pytest.approx(0.9)


def test_a_config_written_before_censored_calibration_keeps_its_meaning() -> None:
    from postpurchase.adapters.edd.engine import EngineConfig

    old = EngineConfig().to_dict()
    for key in ("calibration", "calibration_drift_days", "live_miss_ratio"):
        old.pop(key)
    loaded = EngineConfig.from_dict(old)
    assert (loaded.calibration, loaded.calibration_drift_days, loaded.live_miss_ratio) == (
        "delivered",
        0.0,
        1.0,
    )
    assert EngineConfig.from_dict(EngineConfig().to_dict()) == EngineConfig()


def test_a_served_model_reads_the_world_as_of_its_last_known_delivery() -> None:
    """After training nothing new is delivered until the platform says so: later days are
    read as of the cut-off (one sample, no open order mistaken for a late one)."""
    from postpurchase.adapters.edd.engine import EddEngine, EngineConfig

    engine = EddEngine(EngineConfig())
    assert engine._clock(150.0) == 150.0
    engine.known_until = 100.0
    assert engine._clock(150.0) == 100.0 and engine._clock(90.0) == 90.0
    assert EddEngine(EngineConfig(calibration="delivered"))._clock(150.0) == 150.0
    with pytest.raises(ValueError, match="calibration"):
        EngineConfig(calibration="magic")

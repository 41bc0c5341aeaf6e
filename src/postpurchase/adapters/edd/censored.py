"""Censoring-aware conformal calibration: every recent order counts, delivered or not.

The delivered-window calibrator (``learned.Calibrator``) keeps the ratio scores of orders
*delivered* in the last 90 days. Outcomes arrive weeks late, so that sample lags the
world in both directions: when deliveries speed up it is full of slow stragglers bought
months ago (the promise stays padded: 97.8% on time with 15.6 days of slack in March to
August 2018), and when they slow down the slow orders are simply not delivered yet.

Here the sample is the orders *placed* in the window instead, and an order that is still
open is not missing: at time *t* we know it took at least ``t - start`` days, so its score
is right-censored at ``(elapsed + 1) / base``. The score distribution is the weighted
Kaplan-Meier estimate over delivered (events) and open (censored) orders. This uses only
what the platform knows at *t* (which orders exist, which were delivered and when), and a
broken promise is counted the day it breaks, not the day the parcel finally arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from postpurchase.adapters.edd.learned import Array


def km_quantiles(
    values: Array, events: NDArray[Any], weights: Array, levels: Sequence[float]
) -> list[float] | None:
    """Weighted Kaplan-Meier quantiles of right-censored ``values`` at each level.

    ``events[i]`` is True when ``values[i]`` was observed, False when the true value is
    only known to be at least ``values[i]``. A level the curve never reaches (the tail is
    all censored) gets the largest value seen: the most the data can vouch for.
    Returns None without any observed value.
    """
    observed = events.astype(bool)
    if not observed.any():
        return None
    # Events before censorings at equal values: an order still open at t was at risk at t.
    order = np.lexsort((~observed, values))
    v, e, w = values[order], observed[order], weights[order]
    at_risk = np.cumsum(w[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(e & (at_risk > 0), 1.0 - w / np.where(at_risk > 0, at_risk, 1.0), 1.0)
        survival = np.cumprod(np.clip(step, 0.0, 1.0))
    cdf = 1.0 - survival
    ev = np.flatnonzero(e)
    out = []
    for level in levels:
        hit = ev[cdf[ev] >= level - 1e-12]
        out.append(float(v[hit[0]]) if hit.size else float(v.max()))
    return out


def _km_cdf_at(values: Array, events: NDArray[Any], weights: Array, at: float) -> float:
    """The weighted Kaplan-Meier CDF at ``at`` (0 without events up to it)."""
    observed = events.astype(bool)
    order = np.lexsort((~observed, values))
    v, e, w = values[order], observed[order], weights[order]
    at_risk = np.cumsum(w[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(e & (at_risk > 0), 1.0 - w / np.where(at_risk > 0, at_risk, 1.0), 1.0)
    upto = v <= at
    return float(1.0 - np.prod(np.clip(step[upto], 0.0, 1.0)))


@dataclass(frozen=True, slots=True)
class CensoredSample:
    """Orders started (placed, or handed over) recently, as known at ``clock``.

    ``actual`` is NaN for an order not delivered by ``clock``; ``start`` and ``clock`` are
    local day numbers (``features.local_day_number``).
    """

    clock: float
    start: Array
    q50: Array
    q90: Array
    actual: Array
    groups: Array  # object array of region codes
    # Days an open order is known to have taken so far, in the unit of ``actual`` (None:
    # whole calendar days since ``start``). Business-day engines pass business days.
    elapsed: Array | None = None

    @staticmethod
    def empty(clock: float) -> CensoredSample:
        z = np.empty(0)
        return CensoredSample(clock, z, z, z, z, np.empty(0, dtype=object))


SampleSource = Callable[[float], CensoredSample]
MAX_DAYS = 64  # samples kept per calibrator (one per local day asked about)


@dataclass(slots=True)
class CensoredCalibrator:
    """Kaplan-Meier conformal calibration on ratio scores over a purchase-time window.

    Same scores and same reading of them as ``learned.Calibrator`` (the median ratio for
    levels up to 0.5, the ratio to ``upper_base`` above; weights decaying with
    ``tau_days`` of order age; a soft per-region split with ``other_weight`` < 1), but the
    sample is every order started in the last ``window_days`` and the open ones are
    censored instead of missing. The sample comes from ``source`` (the engine's orders),
    refreshed once per day.
    """

    source: SampleSource
    window_days: float = 90.0
    tau_days: float = 0.0
    min_scores: int = 60
    other_weight: float = 1.0
    drift_days: float = 0.0
    cohort_days: float = 7.0
    _samples: dict[float, CensoredSample] = field(default_factory=dict, repr=False)
    _cache: dict[tuple[float, tuple[float, ...], str], list[float] | None] = field(
        default_factory=dict, repr=False
    )

    def invalidate(self) -> None:
        """Something the samples were built from changed (a delivery was observed)."""
        self._samples.clear()
        self._cache.clear()

    def _at(self, now: float) -> CensoredSample:
        """The sample as of ``now``'s local day, built once per day (a batch of orders from
        many days, e.g. an import, reuses the last ``MAX_DAYS`` of them)."""
        day = float(np.floor(now + 0.05))  # local midnight, summer time included
        sample = self._samples.get(day)
        if sample is None:
            if len(self._samples) >= MAX_DAYS:
                self._samples.pop(next(iter(self._samples)))
            sample = self._samples[day] = self.source(day)
        return sample

    def factors(self, levels: Sequence[float], now: float, group: str = "") -> list[float] | None:
        """Multipliers per level (on q50 + 1 up to 0.5, on ``upper_base`` above)."""
        sample = self._at(now)
        key = (sample.clock, tuple(levels), group if self.other_weight < 1.0 else "")
        if key not in self._cache:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = self._factors(sample, levels, group)
        return self._cache[key]

    def _factors(
        self, s: CensoredSample, levels: Sequence[float], group: str
    ) -> list[float] | None:
        keep = (s.start < s.clock) & (s.start >= s.clock - self.window_days)
        actual = s.actual[keep]
        known = ~np.isnan(actual)
        if int(known.sum()) < self.min_scores:
            return None
        age = s.clock - s.start[keep]
        weights = np.exp(-age / self.tau_days) if self.tau_days > 0 else np.ones(len(age))
        if self.other_weight < 1.0:
            weights = weights * np.where(s.groups[keep] == group, 1.0, self.other_weight)
        if s.elapsed is not None:
            elapsed = np.maximum(s.elapsed[keep], 0.0)
        else:
            elapsed = np.maximum(np.round(age), 0.0)
        days = np.where(known, actual, elapsed)
        q50 = np.maximum(s.q50[keep], 0.0)
        q90 = np.maximum(s.q90[keep], q50)
        lower = (days + 1.0) / (q50 + 1.0)
        upper = (days + 1.0) / np.sqrt((q50 + 1.0) * (q90 + 1.0))
        n_eff = float(weights.sum() ** 2 / (weights**2).sum())
        high = [lv for lv in levels if lv > 0.5]
        low = [max(lv, 0.0) for lv in levels if lv <= 0.5]
        adjusted = [min(1.0, lv + (1.0 - lv) / (n_eff + 1.0)) for lv in high]
        if self.drift_days > 0:
            up = self._tracked(upper, known, weights, adjusted, age) if high else []
            down = self._tracked(lower, known, weights, low, age) if low else []
        else:
            up = km_quantiles(upper, known, weights, adjusted) if high else []
            down = km_quantiles(lower, known, weights, low) if low else []
        if up is None or down is None:
            return None
        ups, downs = iter(up), iter(down)
        return [next(ups) if lv > 0.5 else next(downs) for lv in levels]

    def _tracked(
        self, scores: Array, known: Array, weights: Array, levels: Sequence[float], age: Array
    ) -> list[float] | None:
        """Quantiles as (current median) x (quantile of scores relative to their cohort's).

        The tail of a 95% promise is only resolved once orders are a month old, so a tail
        read off the window lags any drift by that month. The median is resolved within
        about ten days. Each order's score is divided by the median of its purchase week
        (``cohort_days``), which leaves the *shape* of the tail, read over the whole
        window; the level comes from the median of the last ``drift_days`` of orders.
        Weeks whose median is not resolved yet are left out of the shape.
        """
        recent = age <= self.drift_days
        now_median = km_quantiles(scores[recent], known[recent], weights[recent], [0.5])
        if now_median is None or not self._resolved(scores[recent], known[recent], weights[recent]):
            return km_quantiles(scores, known, weights, levels)
        cohort = np.floor(age / self.cohort_days)
        relative = np.full(scores.shape, np.nan)
        for c in np.unique(cohort):
            rows = cohort == c
            if not self._resolved(scores[rows], known[rows], weights[rows]):
                continue
            med = km_quantiles(scores[rows], known[rows], weights[rows], [0.5])
            if med is not None and med[0] > 0:
                relative[rows] = scores[rows] / med[0]
        use = ~np.isnan(relative)
        if int(known[use].sum()) < self.min_scores:
            return km_quantiles(scores, known, weights, levels)
        shape = km_quantiles(relative[use], known[use], weights[use], levels)
        if shape is None:
            return None
        return [now_median[0] * f for f in shape]

    @staticmethod
    def _resolved(scores: Array, known: Array, weights: Array) -> bool:
        """Whether the Kaplan-Meier curve of these scores reaches its median."""
        if not known.any():
            return False
        return _km_cdf_at(scores, known, weights, float(scores[known].max())) >= 0.5

    def days(
        self, levels: Sequence[float], q50: float, q90: float, now: float, group: str = ""
    ) -> list[float] | None:
        """Calibrated days at each level for one order, or None without enough scores."""
        found = self.factors(levels, now, group)
        if found is None:
            return None
        lower = max(q50, 0.0) + 1.0
        upper = float(np.sqrt(lower * (max(q90, q50, 0.0) + 1.0)))
        return [
            (upper if level > 0.5 else lower) * f - 1.0
            for level, f in zip(levels, found, strict=True)
        ]

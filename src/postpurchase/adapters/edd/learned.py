"""Layer 2 building blocks: quantile gradient boosting and recency-weighted conformal calibration.

Why both: a quantile GBM ranks orders well (which lane, which seller, which week is slow)
but its stated levels drift as soon as the world moves; on Olist its "95%" quantile held
only about 85% of the time one month later. The calibrator fixes the level: it keeps the
ratio ``(actual + 1) / (predicted median + 1)`` of recently delivered orders, each scored
with the prediction that was made for it *before* it was delivered, and reads the promise
off a recency-weighted quantile of those ratios. A slowdown shows up in the ratios of the
orders being delivered now, so the promise widens within days instead of after a refit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class GbmParams:
    """Small, regularised trees: a merchant's history is thousands of rows, not millions."""

    n_estimators: int = 150
    learning_rate: float = 0.07
    num_leaves: int = 15
    min_child_samples: int = 25
    subsample: float = 0.8
    colsample: float = 0.8
    reg_lambda: float = 1.0
    threads: int = 1  # small data: a second thread buys little and spins under contention
    seed: int = 7

    def lgb_params(self, alpha: float) -> dict[str, Any]:
        return {
            "objective": "quantile",
            "alpha": alpha,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_child_samples,
            "bagging_fraction": self.subsample,
            "bagging_freq": 1,
            "feature_fraction": self.colsample,
            "lambda_l2": self.reg_lambda,
            "num_threads": self.threads,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        }


@dataclass(slots=True)
class QuantileGBM:
    """One LightGBM booster per quantile, trained on log(1 + days).

    The log target makes trees model multiplicative effects (a far lane is slower by a
    factor, not by a constant), and quantiles survive the monotone transform unchanged.
    """

    quantiles: tuple[float, ...]
    params: GbmParams = field(default_factory=GbmParams)
    boosters: list[lgb.Booster] = field(default_factory=list)
    feature_names: tuple[str, ...] = ()

    def fit(
        self,
        x: Array,
        y: Array,
        weight: Array | None,
        feature_names: Sequence[str],
        categorical: Sequence[int],
    ) -> QuantileGBM:
        names = [n.replace(" ", "_") for n in feature_names]
        target = np.log1p(np.maximum(y, 0.0))
        data = lgb.Dataset(
            x,
            label=target,
            weight=weight,
            feature_name=names,
            categorical_feature=list(categorical),
            free_raw_data=False,
            params={"verbose": -1, "max_bin": 63, "min_data_in_bin": 5},
        )
        self.boosters = [
            lgb.train(self.params.lgb_params(a), data, num_boost_round=self.params.n_estimators)
            for a in self.quantiles
        ]
        self.feature_names = tuple(names)
        return self

    @property
    def fitted(self) -> bool:
        return len(self.boosters) == len(self.quantiles)

    def predict_log(self, x: Array) -> Array:
        """log(1 + days) at each quantile, shape (n, len(quantiles))."""
        if x.shape[0] == 0:
            return np.empty((0, len(self.quantiles)))
        return np.column_stack(
            [b.predict(x, num_threads=self.params.threads) for b in self.boosters]
        )

    def predict(self, x: Array) -> Array:
        """Days at each quantile, shape (n, len(quantiles)); crossings repaired by sorting."""
        return to_days(self.predict_log(x))

    def to_dict(self) -> dict[str, Any]:
        return {
            "quantiles": list(self.quantiles),
            "params": {k: getattr(self.params, k) for k in GbmParams.__dataclass_fields__},
            "feature_names": list(self.feature_names),
            "boosters": [b.model_to_string() for b in self.boosters],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuantileGBM:
        model = cls(tuple(data["quantiles"]), GbmParams(**data["params"]))
        model.boosters = [lgb.Booster(model_str=s) for s in data["boosters"]]
        model.feature_names = tuple(data["feature_names"])
        return model


def to_days(log_days: Array) -> Array:
    return np.sort(np.expm1(np.maximum(log_days, 0.0)), axis=1)


def weighted_quantile(values: Array, weights: Array, level: float) -> float:
    """The smallest value whose weighted CDF reaches ``level`` (the conservative side)."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    index = int(np.searchsorted(cdf, level - 1e-12, side="left"))
    return float(v[min(index, len(v) - 1)])


def upper_base(q50: float, q90: float) -> float:
    """Scale for the upper levels: geometric mean of (median + 1) and (90% quantile + 1).

    The median alone ignores how uncertain the model thinks an order is; the 90% quantile
    alone is noisier. Their geometric mean gave the tightest promises at equal coverage on
    Olist (docs/edd.md), i.e. it ranks risky orders best.
    """
    return math.sqrt((max(q50, 0.0) + 1.0) * (max(q90, q50, 0.0) + 1.0))


@dataclass(slots=True)
class Calibrator:
    """Recency-weighted split-conformal calibration on ratio scores.

    For each delivered order that had a prediction made *before* its delivery, two ratios
    are kept: ``(actual + 1) / (q50 + 1)`` (for the lower levels and the median) and
    ``(actual + 1) / upper_base(q50, q90)`` (for p90 and the promise). A level's multiplier
    is a weighted quantile of the ratios of orders delivered in the last ``window_days``
    (weights decay with ``tau_days``; 0 means flat), with the usual finite-sample
    correction ``level + (1 - level) / (n + 1)`` on the upper side.

    Selecting by *delivery* time matters: among orders *purchased* recently only the fast
    ones are delivered yet, so a purchase-time window would be optimistic exactly when
    things slow down. A slowdown shows up in the ratios of the orders being delivered now,
    so the promise widens within days instead of after the next refit.

    Each score carries a group (the destination region). With ``other_weight`` < 1 the
    quantile for an order weighs scores of its own group fully and the others by
    ``other_weight`` (a soft Mondrian split): a region whose deliveries are slipping gets
    wider promises without widening everyone else's, and a region with few deliveries
    still borrows from the pool.

    Scores can be *logged* (each order scored with the prediction it was given, the
    default) or *re-scored* by the current model at each refit (see ``LearnedTarget``).
    """

    window_days: float = 90.0
    tau_days: float = 0.0
    min_scores: int = 60
    other_weight: float = 1.0
    times: list[float] = field(default_factory=list)
    median_scores: list[float] = field(default_factory=list)
    upper_scores: list[float] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    _cache: dict[tuple[float, tuple[float, ...], str], list[float] | None] = field(
        default_factory=dict, repr=False
    )

    def add(self, at: float, actual: float, q50: float, q90: float, group: str = "") -> None:
        self._cache.clear()
        self.times.append(at)
        self.median_scores.append((actual + 1.0) / (max(q50, 0.0) + 1.0))
        self.upper_scores.append((actual + 1.0) / upper_base(q50, q90))
        self.groups.append(group)

    def reset(self) -> None:
        self._cache.clear()
        self.times, self.median_scores, self.upper_scores, self.groups = [], [], [], []

    def _recent(self, now: float, group: str) -> tuple[Array, Array, Array]:
        t = np.asarray(self.times, dtype=np.float64)
        keep = (t < now) & (t >= now - self.window_days)
        age = now - t[keep]
        weights = np.exp(-age / self.tau_days) if self.tau_days > 0 else np.ones(len(age))
        if self.other_weight < 1.0:
            same = np.asarray(self.groups, dtype=object)[keep] == group
            weights = weights * np.where(same, 1.0, self.other_weight)
        return (
            np.asarray(self.median_scores, dtype=np.float64)[keep],
            np.asarray(self.upper_scores, dtype=np.float64)[keep],
            weights,
        )

    def days(
        self, levels: Sequence[float], q50: float, q90: float, now: float, group: str = ""
    ) -> list[float] | None:
        """Calibrated days at each level for one order, or None without enough recent scores."""
        found = self.factors(levels, now, group)
        if found is None:
            return None
        lower, upper = q50 + 1.0, upper_base(q50, q90)
        return [
            (upper if level > 0.5 else lower) * f - 1.0
            for level, f in zip(levels, found, strict=True)
        ]

    def factors(self, levels: Sequence[float], now: float, group: str = "") -> list[float] | None:
        """Multipliers per level (on q50 + 1 up to 0.5, on ``upper_base`` above)."""
        key = (now, tuple(levels), group if self.other_weight < 1.0 else "")
        if key in self._cache:
            return self._cache[key]
        found = self._factors(levels, now, group)
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[key] = found
        return found

    def _factors(self, levels: Sequence[float], now: float, group: str) -> list[float] | None:
        med, up, w = self._recent(now, group)
        if len(w) < self.min_scores:
            return None
        n_eff = float(w.sum() ** 2 / (w**2).sum())
        out = []
        for level in levels:
            if level > 0.5:
                adjusted = min(1.0, level + (1.0 - level) / (n_eff + 1.0))
                out.append(weighted_quantile(up, w, adjusted))
            else:
                out.append(weighted_quantile(med, w, max(level, 0.0)))
        return out

    def prune(self, now: float) -> None:
        """Forget scores older than the window (they can never be used again)."""
        cut = now - self.window_days
        keep = [i for i, t in enumerate(self.times) if t >= cut]
        if len(keep) < len(self.times):
            self._cache.clear()
            self.times = [self.times[i] for i in keep]
            self.median_scores = [self.median_scores[i] for i in keep]
            self.upper_scores = [self.upper_scores[i] for i in keep]
            self.groups = [self.groups[i] for i in keep]

    def to_dict(self) -> dict[str, Any]:
        return {
            "window_days": self.window_days,
            "tau_days": self.tau_days,
            "min_scores": self.min_scores,
            "other_weight": self.other_weight,
            "times": self.times,
            "median_scores": self.median_scores,
            "upper_scores": self.upper_scores,
            "groups": self.groups,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibrator:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "_cache"}
        cal = cls(**known)
        if len(cal.groups) != len(cal.times):  # written before scores carried a group
            cal.groups = [""] * len(cal.times)
        return cal


def ceil_days(value: float) -> int:
    return max(0, math.ceil(value - 1e-9))

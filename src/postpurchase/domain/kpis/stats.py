"""Small, exact statistics the KPIs share: rates, means, percentiles and their uncertainty.

Everything returns ``None`` rather than 0 when there is nothing to measure, so that "no
late deliveries to rate" is never shown as "late deliveries scored 0". Intervals are given
so a reader can tell a real difference from the noise of a small cohort.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Z_95 = 1.959963984540054  # two-sided 95% quantile of the standard normal


def rate(hits: int, total: int) -> float | None:
    """``hits / total`` as a fraction in 0..1, ``None`` when ``total`` is 0."""
    if total < 0 or not 0 <= hits <= total:
        raise ValueError(f"rate needs 0 <= hits <= total, got {hits}/{total}")
    return hits / total if total else None


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, ``None`` for no values."""
    return math.fsum(values) / len(values) if values else None


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-quantile by linear interpolation between order statistics.

    This is Hyndman & Fan's definition 7 (NumPy's default, spreadsheets' PERCENTILE.INC):
    position ``(n - 1) * q`` in the sorted values, interpolated between its neighbours.
    ``q = 0.5`` is the ordinary median (the mean of the middle two for an even count).
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile q must be in [0, 1], got {q}")
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    fraction = position - below
    low, high = ordered[below], ordered[above]
    if not fraction:
        return low
    return min(high, max(low, low + (high - low) * fraction))  # no float overshoot


def wilson_interval(hits: int, total: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion: sound for small cohorts and rates near 0 or 1,
    where the textbook ``p ± z·sqrt(p(1-p)/n)`` collapses or leaves 0..1."""
    if rate(hits, total) is None:
        return None
    p = hits / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    low = 0.0 if hits == 0 else max(0.0, centre - half)  # exact ends, no float residue
    high = 1.0 if hits == total else min(1.0, centre + half)
    return (low, high)


def mean_interval(values: Sequence[float], z: float = Z_95) -> tuple[float, float] | None:
    """Normal-approximation interval of a mean (``mean ± z·s/√n``); needs two values."""
    n = len(values)
    centre = mean(values)
    if centre is None or n < 2:
        return None
    variance = math.fsum((v - centre) ** 2 for v in values) / (n - 1)
    half = z * math.sqrt(variance / n)
    return (centre - half, centre + half)

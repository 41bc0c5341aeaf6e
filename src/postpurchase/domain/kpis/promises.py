"""Promise accuracy: every promise shown, checked against what happened (issue 14).

Why pure: "delivered within the promise" for a window (earliest..latest) and the bias in
days are judgements the console, the API and the CSV must make alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from postpurchase.domain.kpis.stats import mean, rate


@dataclass(frozen=True, slots=True)
class ShownPromise:
    """One promise as shown, with the order's outcome and the last promise it was shown."""

    latest: date
    delivered_on: date | None
    earliest: date | None = None
    final_latest: date | None = None  # the last promise shown on any surface for the order


def verdict(p: ShownPromise) -> str | None:
    """``early`` (before the window), ``within``, ``late``; ``None`` while undelivered."""
    if p.delivered_on is None:
        return None
    if p.earliest is not None and p.delivered_on < p.earliest:
        return "early"
    return "within" if p.delivered_on <= p.latest else "late"


def bias_days(p: ShownPromise) -> int | None:
    """Delivery date minus the promised (latest) date: negative early, positive late."""
    return (p.delivered_on - p.latest).days if p.delivered_on is not None else None


def drift_days(p: ShownPromise) -> int | None:
    """How far the promise moved after this one was shown (last shown − this)."""
    return (p.final_latest - p.latest).days if p.final_latest is not None else None


@dataclass(frozen=True, slots=True)
class Accuracy:
    shown: int
    delivered: int
    within: int
    early: int
    late: int
    within_rate: float | None
    mean_bias_days: float | None
    mean_drift_days: float | None
    moved_rate: float | None  # share of shown promises later changed


def accuracy(promises: Iterable[ShownPromise]) -> Accuracy:
    items = list(promises)
    verdicts = [verdict(p) for p in items]
    biases = [float(b) for p in items if (b := bias_days(p)) is not None]
    drifts = [float(d) for p in items if (d := drift_days(p)) is not None]
    delivered = sum(v is not None for v in verdicts)
    within = verdicts.count("within")
    return Accuracy(
        shown=len(items),
        delivered=delivered,
        within=within,
        early=verdicts.count("early"),
        late=verdicts.count("late"),
        within_rate=rate(within, delivered),
        mean_bias_days=mean(biases),
        mean_drift_days=mean(drifts),
        moved_rate=rate(sum(d != 0 for d in drifts), len(drifts)),
    )

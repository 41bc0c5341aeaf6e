"""Scoring estimates against what happened, with the names the issue's contract fixes.

Days are calendar days between dates in the shopper's (São Paulo) time. A promise is kept
when delivery is on or before the promise date; slack is ``promise - delivery`` averaged
over the orders delivered on time (a broken promise has no slack, it has a shopper waiting).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from postpurchase.adapters.edd.engine import Scored
from postpurchase.adapters.edd.features import local_date

CONTRACT_FIELDS: tuple[str, ...] = (
    "orders",
    "p50_mae_days",
    "within_1d",
    "within_3d",
    "promise_on_time_rate",
    "mean_promise_slack_days",
    "live_on_time_rate",
    "live_mean_slack_days",
    "olist_on_time_rate",
    "olist_mean_slack_days",
)


@dataclass(frozen=True, slots=True)
class PromiseScore:
    on_time_rate: float | None
    mean_slack_days: float | None


def promise_score(pairs: Sequence[tuple[date, date]]) -> PromiseScore:
    """(promise, delivered) pairs -> on-time rate and mean slack over on-time orders."""
    if not pairs:
        return PromiseScore(None, None)
    slack = [(p - d).days for p, d in pairs if d <= p]
    return PromiseScore(len(slack) / len(pairs), sum(slack) / len(slack) if slack else None)


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def contract_metrics(scored: Sequence[Scored]) -> dict[str, float | int | None]:
    """The one JSON line ``postpurchase edd evaluate`` prints, in the contract's field order.

    An order without a hand-over scan has no live re-estimate; its purchase-time promise
    stands in for it (that is what the shopper would still be shown).
    """
    n = len(scored)
    delivered = [local_date(s.record.delivered_at) for s in scored]
    errors = [abs((s.purchase.p50 - d).days) for s, d in zip(scored, delivered, strict=True)]
    promise = promise_score(
        [(s.purchase.promise, d) for s, d in zip(scored, delivered, strict=True)]
    )
    live = promise_score(
        [((s.live or s.purchase).promise, d) for s, d in zip(scored, delivered, strict=True)]
    )
    olist = promise_score(
        [
            (s.record.quoted_promise, d)
            for s, d in zip(scored, delivered, strict=True)
            if s.record.quoted_promise is not None
        ]
    )
    return {
        "orders": n,
        "p50_mae_days": _r(sum(errors) / n if n else None),
        "within_1d": _r(sum(e <= 1 for e in errors) / n if n else None),
        "within_3d": _r(sum(e <= 3 for e in errors) / n if n else None),
        "promise_on_time_rate": _r(promise.on_time_rate),
        "mean_promise_slack_days": _r(promise.mean_slack_days),
        "live_on_time_rate": _r(live.on_time_rate),
        "live_mean_slack_days": _r(live.mean_slack_days),
        "olist_on_time_rate": _r(olist.on_time_rate),
        "olist_mean_slack_days": _r(olist.mean_slack_days),
    }


@dataclass(frozen=True, slots=True)
class CurvePoint:
    stated: float
    on_time_rate: float
    mean_slack_days: float | None
    orders: int


def calibration_curve(scored: Sequence[Scored], live: bool = False) -> list[CurvePoint]:
    """Stated confidence vs observed on-time rate (and the slack it costs), per level.

    Only orders with a learned estimate have a curve; rules fall-backs are left out.
    """
    from postpurchase.adapters.edd.engine import CURVE_LEVELS

    points = []
    for i, level in enumerate(CURVE_LEVELS):
        pairs = []
        for s in scored:
            curve = s.live_curve if live else s.curve
            if curve is None:
                continue
            if live:
                if s.record.handed_over_at is None:
                    continue
                start = local_date(s.record.handed_over_at)
            else:
                start = local_date(s.record.ordered_at)
            pairs.append((start + timedelta(days=curve[i]), local_date(s.record.delivered_at)))
        score = promise_score(pairs)
        if score.on_time_rate is not None:
            points.append(CurvePoint(level, score.on_time_rate, score.mean_slack_days, len(pairs)))
    return points

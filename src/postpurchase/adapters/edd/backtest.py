"""Rolling back-test of the delivery-date engine: month by month, against the marketplace.

A back-test trains on everything placed before a cut-off and then *lives* the following
months exactly as production would (``replay``: deliveries are learned as they happen,
models refit weekly, the calibration moves daily). Every month after the cut-off is
therefore scored by an engine that only knew what had been delivered before each order
was placed, which is what a rolling monthly back-test means here: one cut-off per day,
reported per month.

Why per month: coverage is a band, not a floor. A period average of 96% can hide a month
at 91% and another at 99%; the issue's target is met only if each month sits in the band.
The frontier (on-time rate against slack for several stated confidences) is what a
merchant chooses from when the band cannot be reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from postpurchase.adapters.edd.engine import EngineConfig, Scored
from postpurchase.adapters.edd.evaluation import CurvePoint, calibration_curve, promise_score
from postpurchase.adapters.edd.features import local_date
from postpurchase.adapters.edd.records import DeliveredShipmentRecord
from postpurchase.adapters.edd.replay import ProgressFn, replay, train_from_records
from postpurchase.domain.edd.geo import PostalCentroids


@dataclass(frozen=True, slots=True)
class MonthRow:
    """One month of orders (by purchase date): the engine's figures beside the marketplace's."""

    month: str  # YYYY-MM, or "all"
    orders: int
    p50_mae_days: float | None
    promise_on_time_rate: float | None
    promise_slack_days: float | None
    live_on_time_rate: float | None
    live_slack_days: float | None
    market_on_time_rate: float | None
    market_slack_days: float | None
    market_mae_days: float | None  # |marketplace date - delivery|: how far its date is off
    # |live P50 - delivery| once the carrier has the parcel (orders with a hand-over scan)
    live_p50_mae_days: float | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def month_row(label: str, scored: Sequence[Scored]) -> MonthRow:
    delivered = [local_date(s.record.delivered_at) for s in scored]
    pairs = list(zip(scored, delivered, strict=True))
    promise = promise_score([(s.purchase.promise, d) for s, d in pairs])
    live = promise_score([((s.live or s.purchase).promise, d) for s, d in pairs])
    quoted = [(s.record.quoted_promise, d) for s, d in pairs if s.record.quoted_promise]
    market = promise_score([(q, d) for q, d in quoted if q is not None])
    return MonthRow(
        label,
        len(scored),
        _mean([abs((s.purchase.p50 - d).days) for s, d in pairs]),
        promise.on_time_rate,
        promise.mean_slack_days,
        live.on_time_rate,
        live.mean_slack_days,
        market.on_time_rate,
        market.mean_slack_days,
        _mean([abs((q - d).days) for q, d in quoted if q is not None]),
        _mean([abs((s.live.p50 - d).days) for s, d in pairs if s.live is not None]),
    )


def monthly_table(scored: Sequence[Scored]) -> list[MonthRow]:
    """One row per purchase month, then an "all" row over every scored order."""
    months: dict[str, list[Scored]] = {}
    for s in scored:
        months.setdefault(local_date(s.record.ordered_at).strftime("%Y-%m"), []).append(s)
    rows = [month_row(m, months[m]) for m in sorted(months)]
    rows.append(month_row("all", scored))
    return rows


@dataclass(frozen=True, slots=True)
class Frontier:
    """On-time rate against slack at each stated confidence, at purchase and live."""

    purchase: list[CurvePoint]
    live: list[CurvePoint]
    market: MonthRow


def frontier(scored: Sequence[Scored]) -> Frontier:
    return Frontier(
        calibration_curve(scored), calibration_curve(scored, live=True), month_row("all", scored)
    )


def run_backtest(
    records: Iterable[DeliveredShipmentRecord],
    since: datetime,
    *,
    until: datetime | None = None,
    config: EngineConfig | None = None,
    centroids: PostalCentroids | None = None,
    progress: ProgressFn | None = None,
    checkout: bool = False,
) -> list[Scored]:
    """Train on orders placed before ``since``, then replay and score ``[since, until)``
    (``checkout``: scored without the store's promise, see ``replay``)."""
    recs = list(records)
    engine = train_from_records(
        [r for r in recs if r.ordered_at < since], config, until=since, centroids=centroids
    )
    return replay(
        engine, recs, score_from=since, score_until=until, progress=progress, checkout=checkout
    )


def band_misses(rows: Sequence[MonthRow], low: float, high: float) -> list[str]:
    """Months whose promise on-time rate falls outside ``[low, high]``."""
    return [
        r.month
        for r in rows
        if r.month != "all"
        and r.promise_on_time_rate is not None
        and not low <= r.promise_on_time_rate <= high
    ]

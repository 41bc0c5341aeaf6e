"""The delivery-experience KPIs of a set of orders, in one pass, with the counts behind them.

``summarise(orders)`` answers the question the product is built on (DESIGN.md): is an
on-time delivery rated better, and does it bring the customer back? Every rate is a
fraction in 0..1 and comes with its numerator and denominator; a rate or mean with nothing
to measure is ``None`` (JSON ``null``), never 0. See docs/kpis.md for the definitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from postpurchase.domain.kpis.orders import (
    KpiOrder,
    OrderState,
    Punctuality,
    click_to_door_days,
    days_late,
    punctuality,
    review_score,
)
from postpurchase.domain.kpis.repeat import REPEAT_WINDOW, RepeatCohorts, repeat_cohorts
from postpurchase.domain.kpis.stats import mean, mean_interval, quantile, rate, wilson_interval

# The keys issue 14 requires, in this order, at the head of the JSON object.
REQUIRED_KEYS = (
    "delivered_orders",
    "on_time_rate",
    "median_click_to_door_days",
    "review_score_on_time",
    "review_score_late",
    "repeat_purchase_rate_90d_on_time",
    "repeat_purchase_rate_90d_late",
)
# How late, in calendar days after the promised date, for the review-score breakdown:
# (band, last day in it); the last band is open-ended.
LATENESS_BANDS: tuple[tuple[str, int | None], ...] = (
    ("on time", 0),
    ("1-3", 3),
    ("4-7", 7),
    ("8+", None),
)
LOW_SCORE = 2.0  # an order whose review averages 2 stars or less is an unhappy customer


def lateness_band(days: int) -> str:
    """The band of ``LATENESS_BANDS`` that ``days`` late falls in (0 or less: on time)."""
    for name, last in LATENESS_BANDS:
        if last is None or days <= last:
            return name
    raise AssertionError("the last band is open-ended")


@dataclass(slots=True)
class MonthFigures:
    """Deliveries of the orders purchased in one calendar month."""

    delivered: int = 0
    on_time: int = 0
    late: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.on_time + self.late)


@dataclass(frozen=True, slots=True)
class KpiSummary:
    """What ``summarise`` found; ``as_dict`` is the JSON contract of ``kpis olist --json``."""

    orders: int
    first_purchase: datetime | None
    last_purchase: datetime | None
    delivered_orders: int
    delivered_status_without_date: int
    void_orders: int
    on_time_orders: int
    late_orders: int
    click_to_door_days: tuple[float, ...]
    scores: dict[Punctuality, tuple[float, ...]]
    repeat: RepeatCohorts
    scores_by_lateness: dict[str, tuple[float, ...]] = field(default_factory=dict)
    by_month: dict[str, MonthFigures] = field(default_factory=dict)

    @property
    def judged_orders(self) -> int:
        """Delivered orders with a promise: the denominator of the on-time rate."""
        return self.on_time_orders + self.late_orders

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time_orders, self.judged_orders)

    def review_score(self, cohort: Punctuality) -> float | None:
        return mean(self.scores.get(cohort, ()))

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: required keys first, then the counts and the extras."""
        on, late = Punctuality.ON_TIME, Punctuality.LATE
        days = self.click_to_door_days
        months = sorted(self.by_month.items())
        return {
            "delivered_orders": self.delivered_orders,
            "on_time_rate": self.on_time_rate,
            "median_click_to_door_days": quantile(days, 0.5),
            "review_score_on_time": self.review_score(on),
            "review_score_late": self.review_score(late),
            "repeat_purchase_rate_90d_on_time": self.repeat.rate(on),
            "repeat_purchase_rate_90d_late": self.repeat.rate(late),
            "orders": self.orders,
            "first_purchase": _iso(self.first_purchase),
            "last_purchase": _iso(self.last_purchase),
            "void_orders": self.void_orders,
            "delivered_status_without_date": self.delivered_status_without_date,
            "on_time_orders": self.on_time_orders,
            "late_orders": self.late_orders,
            "delivered_without_promise": self.delivered_orders - self.judged_orders,
            "late_rate": rate(self.late_orders, self.judged_orders),
            "on_time_rate_ci95": _pair(wilson_interval(self.on_time_orders, self.judged_orders)),
            "mean_click_to_door_days": mean(days),
            "p90_click_to_door_days": quantile(days, 0.9),
            "reviewed_on_time_orders": len(self.scores.get(on, ())),
            "reviewed_late_orders": len(self.scores.get(late, ())),
            "review_score_on_time_ci95": _pair(mean_interval(self.scores.get(on, ()))),
            "review_score_late_ci95": _pair(mean_interval(self.scores.get(late, ()))),
            "low_score_rate_on_time": _low(self.scores.get(on, ())),
            "low_score_rate_late": _low(self.scores.get(late, ())),
            "review_score_by_days_late": [
                {
                    "days_late": band,
                    "reviewed_orders": len(self.scores_by_lateness.get(band, ())),
                    "review_score": mean(self.scores_by_lateness.get(band, ())),
                    "low_score_rate": _low(self.scores_by_lateness.get(band, ())),
                }
                for band, _ in LATENESS_BANDS
            ],
            "repeat_window_days": self.repeat.window / timedelta(days=1),
            "repeat_cohort_on_time": self.repeat.size(on),
            "repeat_cohort_late": self.repeat.size(late),
            "repeat_customers_on_time": self.repeat.repeaters(on),
            "repeat_customers_late": self.repeat.repeaters(late),
            "repeat_purchase_rate_90d_on_time_ci95": _pair(self.repeat.interval(on)),
            "repeat_purchase_rate_90d_late_ci95": _pair(self.repeat.interval(late)),
            "repeat_left_out_too_recent": self.repeat.too_recent,
            "repeat_left_out_no_promise": self.repeat.no_promise,
            "on_time_rate_by_purchase_month": [
                {
                    "month": month,
                    "delivered_orders": figures.delivered,
                    "on_time_rate": figures.on_time_rate,
                }
                for month, figures in months
            ],
        }


def _low(scores: tuple[float, ...]) -> float | None:
    return rate(sum(1 for s in scores if s <= LOW_SCORE), len(scores))


def _pair(value: tuple[float, float] | None) -> list[float] | None:
    return list(value) if value is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def summarise(orders: Iterable[KpiOrder], *, window: timedelta = REPEAT_WINDOW) -> KpiSummary:
    """Every KPI of ``orders`` (each order once; duplicates are the adapter's to drop)."""
    everything = list(orders)
    delivered = without_date = void = on_time = late = 0
    days: list[float] = []
    scores: dict[Punctuality, list[float]] = {p: [] for p in Punctuality}
    months: dict[str, MonthFigures] = {}
    by_lateness: dict[str, list[float]] = {band: [] for band, _ in LATENESS_BANDS}
    first: datetime | None = None
    last: datetime | None = None
    for order in everything:
        if first is None or order.purchased_at < first:
            first = order.purchased_at
        if last is None or order.purchased_at > last:
            last = order.purchased_at
        if order.state is OrderState.VOID:
            void += 1
        if not order.is_delivered:
            without_date += order.state is OrderState.DELIVERED
            continue
        delivered += 1
        elapsed = click_to_door_days(order)
        if elapsed is not None:
            days.append(elapsed)
        bought = order.purchased_at
        month = months.setdefault(f"{bought.year:04d}-{bought.month:02d}", MonthFigures())
        month.delivered += 1
        cohort = punctuality(order)
        if cohort is None:
            continue
        if cohort is Punctuality.ON_TIME:
            on_time += 1
            month.on_time += 1
        else:
            late += 1
            month.late += 1
        score = review_score(order)
        if score is not None:
            scores[cohort].append(score)
            late_by = days_late(order)
            if late_by is not None:
                by_lateness[lateness_band(late_by)].append(score)
    return KpiSummary(
        orders=len(everything),
        first_purchase=first,
        last_purchase=last,
        delivered_orders=delivered,
        delivered_status_without_date=without_date,
        void_orders=void,
        on_time_orders=on_time,
        late_orders=late,
        click_to_door_days=tuple(days),
        scores={p: tuple(v) for p, v in scores.items()},
        repeat=repeat_cohorts(everything, window),
        scores_by_lateness={band: tuple(v) for band, v in by_lateness.items()},
        by_month=months,
    )

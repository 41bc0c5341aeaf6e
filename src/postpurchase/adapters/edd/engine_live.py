"""The engine's live layer: once the carrier has the parcel, the transit model (or the
rules table) and the scans give a new estimate. Kept apart from engine.py, which learns and
promises at purchase; these functions read the engine's fitted state and never change it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from postpurchase.adapters.edd.calendars import business_calendar
from postpurchase.adapters.edd.engine_parts import BUSINESS_TO_CALENDAR
from postpurchase.adapters.edd.features import OrderFacts, facts_of, local_day_number
from postpurchase.adapters.edd.records import SAO_PAULO
from postpurchase.domain.edd.live import LiveInputs, TransitQuantiles, live_estimate
from postpurchase.domain.edd.rules import lane_of
from postpurchase.domain.edd.types import Estimate, EstimateRequest, Layer
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingState

if TYPE_CHECKING:
    from postpurchase.adapters.edd.engine import EddEngine


def transit_quantiles(
    self: EddEngine,
    raw: Sequence[float] | None,
    now: float,
    lane_days: float,
    group: str = "",
    confidence: float | None = None,
) -> TransitQuantiles:
    """Transit distribution for the live layer: calibrated model, else rules (calendar days)."""
    confidence = confidence or self.config.confidence
    if raw is None:
        low, typical, high = (lane_days * k for k in (0.5, 1.0, 2.0))
        conf = high * 1.3
        return TransitQuantiles.from_values(
            [0.0, 0.1, 0.5, 0.9, confidence, 1.0],
            [0.0, low, typical, high, conf, conf * 1.5 + 3],
            "rules",
        )
    days, _ = self.calibrated_days(raw, self.transit, now, group, confidence)
    return _from_days(days, confidence, self.model_name)


def _from_days(days: Sequence[float], confidence: float, model: str) -> TransitQuantiles:
    """(p10, p50, p90, promise) transit days at ``confidence`` -> the live quantile function."""
    top = max(days[3] * 1.5, days[3] + 7.0)
    return TransitQuantiles.from_values(
        [0.0, 0.1, 0.5, 0.9, confidence, 1.0],
        [0.0, max(0.0, days[0]), max(0.0, days[1]), days[2], days[3], top],
        model,
    )


def live(
    self: EddEngine,
    request: EstimateRequest,
    state: TrackingState,
    now: datetime,
    purchase: Estimate | None = None,
) -> Estimate:
    """Live re-estimate from scan state (status, time since hand-over, last hub)."""
    facts = facts_of(request, self.centroids)
    raw = None
    if state.handed_over_at is not None and self.transit.fitted:
        t = local_day_number(now)
        row = self.space.purchase_row(facts, self.history, t) + self.space.live_extra(
            facts, state.handed_over_at
        )
        predicted = self.predict_transit([row])
        raw = None if predicted is None else tuple(float(v) for v in predicted[0])
    return live_from_raw(self, request, facts, state, now, raw, purchase)


def live_from_raw(
    self: EddEngine,
    request: EstimateRequest,
    facts: OrderFacts,
    state: TrackingState,
    now: datetime,
    raw: Sequence[float] | None,
    purchase: Estimate | None,
    transit: TransitQuantiles | None = None,
    level: float | None = None,
) -> Estimate:
    """The live estimate from the transit model's raw quantiles (``transit`` and ``level``
    given: that quantile function at that level instead, as ``live_promise_curve`` asks)."""
    t = local_day_number(now)
    if level is None:
        level = self.live_confidence(request.confidence)
    if transit is None:
        lane = lane_of(request.origin, request.destination, self.centroids)
        typical = self.table.lookup(request.carrier, request.service, lane.zone).typical
        transit = transit_quantiles(
            self, raw, t, typical * BUSINESS_TO_CALENDAR, facts.dest_region or "", level
        )
    dest = request.destination
    inputs = LiveInputs(
        transit,
        level,
        business_calendar(dest.country, dest.region),
        destination_region=facts.dest_region,
        round_p50=self.config.live_p50_rounding == "round",
    )
    est = live_estimate(state, now.astimezone(SAO_PAULO), inputs, purchase)
    if (
        self.config.live_closed_day_promise
        and est.layer is Layer.LIVE
        and state.status is not ShipmentStatus.DELIVERED
    ):
        moved = inputs.calendar.roll_back(est.promise, est.p50)
        if moved != est.promise:
            est = dataclasses.replace(est, promise=moved)
    if raw is None and est.reason is None and state.status is not ShipmentStatus.DELIVERED:
        est = est.with_reason("no live model: transit from the rules table")
    return est


def live_promise_curve(
    self: EddEngine,
    request: EstimateRequest,
    facts: OrderFacts,
    state: TrackingState,
    now: datetime,
    raw: Sequence[float],
    levels: Sequence[float],
) -> list[int] | None:
    """Days from the hand-over date to the live promise at each level, made exactly as the
    live layer makes it (conditioned on the time since hand-over, moved off a closed day).

    This is the live frontier: what each live level buys in on-time rate and slack, measured
    on the promises a shopper would have been shown, not on the raw transit quantiles.
    """
    if state.handed_over_at is None:
        return None
    t = local_day_number(now)
    days = self.calibrator(self.transit).days(
        (0.1, 0.5, 0.9, *levels), raw[0], raw[1], self._clock(t), facts.dest_region or ""
    )
    if days is None:
        return None
    if not self.config.calibrate_median:
        days[1] = raw[0]
    start = state.handed_over_at.astimezone(SAO_PAULO).date()
    out = []
    for i, level in enumerate(levels):
        transit = _from_days((days[0], days[1], days[2], days[3 + i]), level, self.model_name)
        est = live_from_raw(self, request, facts, state, now, raw, None, transit, level)
        out.append((est.promise - start).days)
    return out

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
    probs = [0.0, 0.1, 0.5, 0.9, confidence, 1.0]
    if raw is None:
        low, typical, high = (lane_days * k for k in (0.5, 1.0, 2.0))
        conf = high * 1.3
        return TransitQuantiles.from_values(
            probs, [0.0, low, typical, high, conf, conf * 1.5 + 3], "rules"
        )
    days, _ = self.calibrated_days(raw, self.transit, now, group, confidence)
    top = max(days[3] * 1.5, days[3] + 7.0)
    return TransitQuantiles.from_values(
        probs,
        [0.0, max(0.0, days[0]), max(0.0, days[1]), days[2], days[3], top],
        self.model_name,
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
) -> Estimate:
    t = local_day_number(now)
    lane = lane_of(request.origin, request.destination, self.centroids)
    typical = self.table.lookup(request.carrier, request.service, lane.zone).typical
    level = self.live_confidence(request.confidence)
    transit = transit_quantiles(
        self, raw, t, typical * BUSINESS_TO_CALENDAR, facts.dest_region or "", level
    )
    dest = request.destination
    inputs = LiveInputs(
        transit,
        level,
        business_calendar(dest.country, dest.region),
        destination_region=facts.dest_region,
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

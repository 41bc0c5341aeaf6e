"""The delivery-date engine: rules, learned and live layers behind one object.

Everything learned is learned by *replaying* history in time order: ``train_from_records``
and ``replay`` are in the ``replay`` module. The engine's tunables, per-order state and
learned targets are in ``engine_parts``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import partial

import numpy as np

from postpurchase.adapters.edd import engine_live
from postpurchase.adapters.edd.calendars import (
    add_business_days,
    business_calendar,
    business_days_between,
)
from postpurchase.adapters.edd.censored import CensoredCalibrator, CensoredSample
from postpurchase.adapters.edd.engine_parts import (
    CURVE_LEVELS,
    ENGINE_VERSION,
    MIN_HISTORY,
    UNCALIBRATED_WIDENING,
    EngineConfig,
    LearnedTarget,
    OrderState,
    Scored,
    day_start,
    elapsed_business,
    hide_columns,
    local_date_of,
    masked,
    transit_of,
)
from postpurchase.adapters.edd.features import (
    FeatureSpace,
    OrderFacts,
    as_matrix,
    facts_of,
    local_date,
    local_day_number,
)
from postpurchase.adapters.edd.history import History, Outcome
from postpurchase.adapters.edd.learned import Array, Calibrator
from postpurchase.domain.edd.geo import PostalCentroids
from postpurchase.domain.edd.live import TransitQuantiles
from postpurchase.domain.edd.rules import DEFAULT_TABLE, TransitTable, rules_estimate
from postpurchase.domain.edd.types import Estimate, EstimateRequest, Layer
from postpurchase.domain.tracking import TrackingState


class EddEngine:
    """Three layers with fall-backs; state that grows as deliveries are observed."""

    def __init__(
        self,
        config: EngineConfig | None = None,
        *,
        space: FeatureSpace | None = None,
        table: TransitTable = DEFAULT_TABLE,
        centroids: PostalCentroids | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        # The seller columns are part of the layout, so they follow the config (a model
        # loaded from its artefact gets the layout it was trained with).
        self.space = dataclasses.replace(
            space or FeatureSpace(),
            seller_recent=self.config.seller_features,
            network=self.config.network_features,
            store_promise=self.config.store_promise_feature,
        )
        self.table = table
        self.centroids = centroids
        self.history = History()
        self.orders: dict[str, OrderState] = {}
        self.purchase = LearnedTarget(
            self.space.purchase_names, self.space.categorical_indices(), self.config
        )
        self.transit = LearnedTarget(
            self.space.live_names, self.space.categorical_indices(live=True), self.config
        )
        self._unscored: list[OrderState] = []
        self.last_fit: float | None = None
        self.trained_until: datetime | None = None
        # Deliveries are known up to this local day number (the replay moves it daily; a
        # loaded artefact knows up to its cut-off): open orders are censored here, not at
        # ``now``, so a model nobody feeds does not read silence as lateness.
        self.known_until: float | None = None
        self.fit_count = 0
        cfg = self.config
        self._censored = {
            id(target): CensoredCalibrator(
                partial(self._sample, live=live),
                cfg.calibration_window_days,
                cfg.calibration_tau_days,
                cfg.min_calibration_scores,
                cfg.group_other_weight
                if not live or cfg.live_group_other_weight is None
                else cfg.live_group_other_weight,
                cfg.calibration_drift_days
                if not live or cfg.live_calibration_drift_days is None
                else cfg.live_calibration_drift_days,
            )
            for target, live in ((self.purchase, False), (self.transit, True))
        }

    @property
    def business(self) -> bool:
        """Whether the purchase model counts business days at the destination."""
        return self.config.day_count == "business"

    def total_units(self, state: OrderState) -> float:
        """Order-to-delivery time in the purchase model's unit (calendar or business days)."""
        if state.outcome is None:
            return math.nan
        if not self.business or state.delivered_at is None:
            return state.outcome.total_days
        f = state.facts
        return float(
            business_days_between(
                f.dest_country, f.dest_region, f.order_day, local_date(state.delivered_at)
            )
        )

    def date_after(self, facts: OrderFacts, units: int) -> date:
        """The date ``units`` purchase-model days after the order (business days: at the
        destination, rolled forward from the order day)."""
        if self.business:
            return add_business_days(facts.dest_country, facts.dest_region, facts.order_day, units)
        return facts.order_day + timedelta(days=max(0, units))

    def promise_date(self, facts: OrderFacts, units: int, p50_units: int) -> date:
        """The promise date for a count of units, moved off a closed day at the destination
        when ``closed_day_promise`` is "earlier" (never before the P50)."""
        day = self.date_after(facts, units)
        if self.config.closed_day_promise == "earlier":
            cal = business_calendar(facts.dest_country, facts.dest_region)
            day = cal.roll_back(day, self.date_after(facts, p50_units))
        return day

    def calibrator(self, target: LearnedTarget) -> CensoredCalibrator | Calibrator:
        """The calibration in use for ``target`` (see ``EngineConfig.calibration``)."""
        if self.config.calibration == "censored":
            return self._censored[id(target)]
        return target.calibrator

    def _clock(self, now: float) -> float:
        """When censored calibration reads the world: ``now``, or the last day deliveries
        are known for (a served model asked about later days reuses one sample)."""
        if self.config.calibration == "censored" and self.known_until is not None:
            return min(now, self.known_until)
        return now

    def _sample(self, clock: float, live: bool) -> CensoredSample:
        """Orders placed (or handed over, ``live``) in the calibration window, as of ``clock``."""
        if self.known_until is not None:
            clock = min(clock, self.known_until)
        today = local_date_of(clock)
        oldest = today - timedelta(days=math.ceil(self.config.calibration_window_days) + 1)
        rows: list[tuple[float, float, float, float, str, float]] = []
        business = self.business and not live
        for s in self.orders.values():
            raw = s.raw_live if live else s.raw
            if raw is None:
                continue
            if live:
                if s.handed_over_at is None:
                    continue
                day = local_date(s.handed_over_at)
            else:
                day = s.facts.order_day
            if day < oldest:
                continue
            start = day_start(day)
            actual = elapsed = math.nan
            known = s.delivered_at is not None and local_date(s.delivered_at) < today
            if known and s.outcome is not None:
                actual = s.outcome.transit_days if live else self.total_units(s)
            elif business:
                elapsed = elapsed_business(s.facts, today)
            rows.append((start, raw[0], raw[1], actual, s.facts.dest_region or "", elapsed))
        if not rows:
            return CensoredSample.empty(clock)
        cols = list(zip(*rows, strict=True))
        return CensoredSample(
            clock,
            np.asarray(cols[0], dtype=np.float64),
            np.asarray(cols[1], dtype=np.float64),
            np.asarray(cols[2], dtype=np.float64),
            np.asarray(cols[3], dtype=np.float64),
            np.asarray(cols[4], dtype=object),
            np.asarray(cols[5], dtype=np.float64) if business else None,
        )

    def promise_curve(
        self,
        raw: Sequence[float],
        target: LearnedTarget,
        now: float,
        levels: Sequence[float],
        group: str = "",
        facts: OrderFacts | None = None,
    ) -> list[int] | None:
        """Promise days at several confidence levels (for the stated-vs-observed plot).

        Calendar days from the start; with ``facts`` (purchase target) a business-day
        engine's counts are turned into calendar days from the order date.
        """
        days = self.calibrator(target).days(levels, raw[0], raw[1], self._clock(now), group)
        if days is None:
            return None
        p50 = round(raw[0])
        units = [max(p50, math.ceil(d - 1e-9)) for d in days]
        if facts is None or (not self.business and self.config.closed_day_promise == "keep"):
            return units
        return [(self.promise_date(facts, u, p50) - facts.order_day).days for u in units]

    def live_confidence(self, confidence: float) -> float:
        """The live layer's level for a promise at ``confidence`` at purchase.

        Once the carrier has the parcel the engine knows more, so it keeps more of its
        promises: it allows ``live_miss_ratio`` of the purchase promise's misses
        (0.95 at purchase -> 0.96 live with the default 0.8).
        """
        return min(0.999, 1.0 - (1.0 - confidence) * self.config.live_miss_ratio)

    @property
    def model_name(self) -> str:
        return f"gbm-conformal/{ENGINE_VERSION}#{self.fit_count}"

    # --- learning -----------------------------------------------------------------------

    def observe(self, state: OrderState, delivered_at: datetime, outcome: Outcome) -> None:
        """A delivery happened: update the history and queue the order for calibration."""
        state.outcome = outcome
        state.delivered_at = delivered_at
        for calibrator in self._censored.values():
            calibrator.invalidate()
        self.history.observe(state.facts, outcome, delivered_at)
        if self.config.rescore:
            self._unscored.append(state)
            return
        at = local_day_number(delivered_at)
        if state.raw is not None:
            self.purchase.calibrator.add(
                at,
                self.total_units(state),
                state.raw[0],
                state.raw[1],
                state.facts.dest_region or "",
            )
        if state.raw_live is not None and not math.isnan(outcome.transit_days):
            self.transit.calibrator.add(
                at,
                outcome.transit_days,
                state.raw_live[0],
                state.raw_live[1],
                state.facts.dest_region or "",
            )

    def _score(self, states: Sequence[OrderState]) -> None:
        """Add calibration scores for delivered orders, predicted out of fold by today's models."""
        k = self.config.folds
        for target, live in ((self.purchase, False), (self.transit, True)):
            if not target.fitted:
                continue
            chosen = [
                s
                for s in states
                if s.outcome is not None
                and s.delivered_at is not None
                and (s.live_row if live else s.purchase_row) is not None
                and not (live and math.isnan(s.outcome.transit_days))
            ]
            if not chosen:
                continue
            width = len(target.names)
            x = as_matrix([(s.live_row if live else s.purchase_row) or [] for s in chosen], width)
            q = target.predict_out_of_fold(x, [s.fold(k) for s in chosen])
            for s, (q50, q90) in zip(chosen, q, strict=True):
                assert s.outcome is not None and s.delivered_at is not None
                actual = s.outcome.transit_days if live else self.total_units(s)
                target.calibrator.add(
                    local_day_number(s.delivered_at), actual, q50, q90, s.facts.dest_region or ""
                )

    def flush_scores(self) -> None:
        """Score deliveries observed since the last call (batched: one model call per day)."""
        if self._unscored:
            pending, self._unscored = self._unscored, []
            self._score(pending)

    def refit(self, now: float) -> bool:
        """Fit both targets on mature deliveries before ``now``; False if too little history.

        Only orders placed at least ``mature_days`` ago are used: among younger orders only
        the fast ones are delivered yet, and a model trained on them learns "recent means
        fast" and under-predicts exactly the orders it is asked about next.
        """
        horizon = now - self.config.mature_days
        done = [
            s
            for s in self.orders.values()
            if s.outcome is not None
            and s.delivered_at is not None
            and s.purchase_row is not None
            and day_start(s.facts.order_day) <= horizon
        ]
        if len(done) < self.config.min_history:
            return False
        k = self.config.folds
        hl = self.config.train_half_life_days
        ages = np.array([now - local_day_number(s.delivered_at) for s in done if s.delivered_at])
        weights = 0.5 ** (ages / hl) if hl > 0 else None
        share, cols = self.config.store_promise_mask, self.space.quote_indices
        hide = [masked(s.order_id, share) for s in done]
        x = hide_columns(
            as_matrix([s.purchase_row or [] for s in done], len(self.purchase.names)), cols, hide
        )
        y = np.array([self.total_units(s) for s in done], dtype=np.float64)
        self.purchase.fit(x, y, weights, [s.fold(k) for s in done])
        live = [
            i
            for i, s in enumerate(done)
            if s.live_row is not None and s.outcome and not math.isnan(s.outcome.transit_days)
        ]
        if len(live) >= self.config.min_history:
            lx = as_matrix([done[i].live_row or [] for i in live], len(self.transit.names))
            lx = hide_columns(lx, cols, [hide[i] for i in live])
            ly = np.array([transit_of(done[i]) for i in live])
            lw = weights[live] if weights is not None else None
            self.transit.fit(lx, ly, lw, [done[i].fold(k) for i in live])
        self.last_fit = now
        self.fit_count += 1
        if self.config.rescore:
            self._unscored = []
            window = now - self.config.calibration_window_days
            recent = [
                s
                for s in self.orders.values()
                if s.delivered_at is not None and local_day_number(s.delivered_at) >= window
            ]
            self.purchase.calibrator.reset()
            self.transit.calibrator.reset()
            self._score(recent)
        else:
            self.purchase.calibrator.prune(now)
            self.transit.calibrator.prune(now)
        return True

    # --- predicting ---------------------------------------------------------------------

    def _rules(self, request: EstimateRequest, reason: str) -> Estimate:
        dest = request.destination
        origin = request.origin
        return rules_estimate(
            request,
            table=self.table,
            origin_calendar=business_calendar(origin.country, origin.region) if origin else None,
            destination_calendar=business_calendar(dest.country, dest.region),
            centroids=self.centroids,
            reason=reason,
        )

    def calibrated_days(
        self,
        raw: Sequence[float],
        target: LearnedTarget,
        now: float,
        group: str = "",
        confidence: float | None = None,
    ) -> tuple[list[float], str | None]:
        """Days for (p10, p50, p90, promise) from raw (q50, q90), calibrated when possible.

        ``group`` is the destination region (used when per-region calibration is on);
        ``confidence`` is the request's (default: the engine's).
        """
        q50, q90 = raw[0], raw[1]
        levels = (0.1, 0.5, 0.9, confidence or self.config.confidence)
        days = self.calibrator(target).days(levels, q50, q90, self._clock(now), group)
        if days is None:
            # Not enough recent deliveries to vouch for the level: widen the raw quantiles
            # the way the plain model needed on Olist, and say so.
            spread = (q90 + 1.0) / (q50 + 1.0)
            promise = (q90 + 1.0) * UNCALIBRATED_WIDENING - 1.0
            return [(q50 + 1.0) / spread - 1.0, q50, q90, promise], (
                "too few recent deliveries to calibrate the promise"
            )
        if not self.config.calibrate_median:
            days[1] = q50
        return days, None

    def purchase_estimate(
        self, facts: OrderFacts, raw: Sequence[float], now: float, confidence: float
    ) -> Estimate:
        """Dates from the order's local date and calibrated days."""
        days, reason = self.calibrated_days(
            raw, self.purchase, now, facts.dest_region or "", confidence
        )
        p10 = max(0, math.floor(days[0]))
        p50 = max(p10, round(days[1]))
        p90 = max(p50, math.ceil(days[2] - 1e-9))
        promise = max(p50, math.ceil(days[3] - 1e-9))
        reasons = [r for r in (reason, *facts.reasons) if r]
        return Estimate(
            self.date_after(facts, p10),
            self.date_after(facts, p50),
            self.date_after(facts, p90),
            self.promise_date(facts, promise, p50),
            confidence,
            Layer.LEARNED,
            self.model_name,
            "; ".join(reasons) if reasons else None,
        )

    def predict_purchase(self, rows: Sequence[Sequence[float]]) -> Array | None:
        if not self.purchase.fitted or not rows:
            return None
        self.flush_scores()
        return self.purchase.predict(as_matrix(rows, len(self.purchase.names)))

    def predict_transit(self, rows: Sequence[Sequence[float]]) -> Array | None:
        if not self.transit.fitted or not rows:
            return None
        self.flush_scores()
        return self.transit.predict(as_matrix(rows, len(self.transit.names)))

    def estimate(self, request: EstimateRequest, now: datetime | None = None) -> Estimate:
        """Purchase-time estimate: learned when trained and calibrated, else rules (with reason)."""
        return self.estimate_many([request], now)[0]

    def estimate_many(
        self, requests: Sequence[EstimateRequest], now: datetime | None = None
    ) -> list[Estimate]:
        """Batched estimates (one model call for all rows: this is where throughput comes from)."""
        if not self.purchase.fitted:
            reason = f"learned layer not trained (needs {self.config.min_history} deliveries)"
            return [self._rules(r, reason) for r in requests]
        facts = [facts_of(r, self.centroids) for r in requests]
        stamps = [local_day_number(now) if now else day_start(f.order_day) for f in facts]
        rows = [
            self.space.purchase_row(f, self.history, t) for f, t in zip(facts, stamps, strict=True)
        ]
        raw = self.predict_purchase(rows)
        assert raw is not None
        return [
            self.purchase_estimate(f, q, t, r.confidence)
            for r, f, t, q in zip(requests, facts, stamps, raw, strict=True)
        ]

    def transit_quantiles(
        self,
        raw: Sequence[float] | None,
        now: float,
        lane_days: float,
        group: str = "",
        confidence: float | None = None,
    ) -> TransitQuantiles:
        """Transit distribution for the live layer (engine_live.py)."""
        return engine_live.transit_quantiles(self, raw, now, lane_days, group, confidence)

    def live(
        self,
        request: EstimateRequest,
        state: TrackingState,
        now: datetime,
        purchase: Estimate | None = None,
    ) -> Estimate:
        """Live re-estimate from scan state (engine_live.py)."""
        return engine_live.live(self, request, state, now, purchase)

    def live_from_raw(
        self,
        request: EstimateRequest,
        facts: OrderFacts,
        state: TrackingState,
        now: datetime,
        raw: Sequence[float] | None,
        purchase: Estimate | None,
    ) -> Estimate:
        """The live estimate from the transit model's raw quantiles (engine_live.py)."""
        return engine_live.live_from_raw(self, request, facts, state, now, raw, purchase)


__all__ = [
    "CURVE_LEVELS",
    "ENGINE_VERSION",
    "MIN_HISTORY",
    "EddEngine",
    "EngineConfig",
    "OrderState",
    "Scored",
]

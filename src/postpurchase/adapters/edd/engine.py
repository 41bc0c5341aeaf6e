"""The delivery-date engine: rules, learned and live layers behind one object, and the replay.

Everything learned is learned by *replaying* history in time order, exactly as production
would have lived it: on each day the engine first hears about the deliveries that happened
before that day, refits on a schedule, then predicts the day's orders and hand-overs.
Training (``train_from_records``) and evaluation (``replay`` on a later period) are the
same loop, which is what makes the evaluation honest: a prediction can only use what had
been delivered before it was made.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from postpurchase.adapters.edd.calendars import business_calendar
from postpurchase.adapters.edd.features import (
    FeatureSpace,
    History,
    OrderFacts,
    Outcome,
    as_matrix,
    facts_of,
    local_date,
    local_day_number,
    outcome_of,
)
from postpurchase.adapters.edd.learned import Array, Calibrator, GbmParams, QuantileGBM, to_days
from postpurchase.adapters.edd.records import SAO_PAULO, DeliveredShipmentRecord
from postpurchase.domain.edd.geo import PostalCentroids
from postpurchase.domain.edd.live import LiveInputs, TransitQuantiles, live_estimate
from postpurchase.domain.edd.rules import DEFAULT_TABLE, TransitTable, lane_of, rules_estimate
from postpurchase.domain.edd.types import Estimate, EstimateRequest, Layer
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingState

ENGINE_VERSION = "edd-1"
# Below this many delivered shipments the learned layer is not trained and the engine stays
# on rules: fewer rows than this cannot support per-lane quantiles, and the calibrator would
# have too few recent scores to vouch for a 95% promise.
MIN_HISTORY = 300
QUANTILES = (0.5, 0.9)  # p10 and the promise come from calibrated ratios on these
BUSINESS_TO_CALENDAR = 7.0 / 5.0
CURVE_LEVELS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)
UNCALIBRATED_WIDENING = 1.35  # raw 90% quantile x this when too few scores (plain model's need)


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Tunables; the defaults are the ones evaluated in docs/edd.md."""

    confidence: float = 0.95
    min_history: int = MIN_HISTORY
    refit_every_days: int = 7
    train_refit_every_days: int = 14  # cadence inside the training replay (cheaper, older)
    fit_window_days: int = 110  # the training replay starts fitting this long before the end
    train_half_life_days: float = 180.0
    mature_days: float = 45.0  # train only on orders at least this old (see ``refit``)
    # Calibrate on the predictions each order was actually given (False), or re-score recent
    # deliveries with the current model at every refit, cross-fitted over ``folds`` (True).
    # docs/edd.md compares both; logged scores held the stated level better on Olist.
    rescore: bool = False
    folds: int = 1
    calibration_window_days: float = 90.0
    calibration_tau_days: float = 0.0
    min_calibration_scores: int = 60
    group_other_weight: float = 1.0  # < 1: calibrate per destination region (soft Mondrian)
    calibrate_median: bool = False
    gbm: GbmParams = field(default_factory=GbmParams)

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in EngineConfig.__dataclass_fields__ if k != "gbm"}
        out["gbm"] = {k: getattr(self.gbm, k) for k in GbmParams.__dataclass_fields__}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EngineConfig:
        data = dict(data)
        gbm = GbmParams(**data.pop("gbm", {}))
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(gbm=gbm, **known)


def _transit(state: OrderState) -> float:
    return state.outcome.transit_days if state.outcome is not None else math.nan


def fold_of(order_id: str, folds: int) -> int:
    """A stable fold per order (hash, not position: refits must agree on it)."""
    if folds <= 1:
        return 0
    digest = hashlib.blake2b(order_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % folds


@dataclass(slots=True)
class OrderState:
    """What the engine knows about one order, from purchase to delivery."""

    order_id: str
    facts: OrderFacts
    purchase_row: list[float] | None = None
    live_row: list[float] | None = None
    raw: tuple[float, ...] | None = None  # logged purchase quantiles (days from order date)
    raw_live: tuple[float, ...] | None = None  # logged transit quantiles (days from hand-over)
    promise_days: int | None = None  # the promise given at purchase (days from order date)
    live_promise_days: int | None = None  # the promise given at hand-over (days from it)
    outcome: Outcome | None = None
    delivered_at: datetime | None = None
    handed_over_at: datetime | None = None

    def fold(self, folds: int) -> int:
        return fold_of(self.order_id, folds)


@dataclass(slots=True)
class Scored:
    """One order's purchase-time and live estimates, for the evaluation."""

    record: DeliveredShipmentRecord
    purchase: Estimate
    live: Estimate | None = None
    curve: list[int] | None = None  # promise days from the order date at ``CURVE_LEVELS``
    live_curve: list[int] | None = None  # promise days from the hand-over date


def day_start(day: date) -> float:
    return local_day_number(datetime(day.year, day.month, day.day, tzinfo=SAO_PAULO))


class LearnedTarget:
    """One learned quantity (order->delivery, or hand-over->delivery) and its calibration.

    With ``folds`` = K > 1 the rows are split by a hash of the order id and model k is
    trained without fold k; an order in fold k is scored by model k (out of sample), and a
    new order gets the average of all K in log space. This is what lets the calibrator be
    rebuilt for the *current* model at every refit instead of trusting ratios earned by
    older models.
    """

    def __init__(self, names: Sequence[str], categorical: Sequence[int], config: EngineConfig):
        self.names = tuple(names)
        self.categorical = list(categorical)
        self.config = config
        self.models: list[QuantileGBM] = []
        self.calibrator = Calibrator(
            config.calibration_window_days,
            config.calibration_tau_days,
            config.min_calibration_scores,
            config.group_other_weight,
        )

    @property
    def fitted(self) -> bool:
        return bool(self.models)

    def fit(self, x: Array, y: Array, weights: Array | None, folds: Sequence[int]) -> None:
        k = max(1, self.config.folds)
        fold_ids = np.asarray(folds)
        models = []
        for i in range(k):
            keep = fold_ids != i if k > 1 else np.ones(len(y), dtype=bool)
            w = weights[keep] if weights is not None else None
            models.append(
                QuantileGBM(QUANTILES, self.config.gbm).fit(
                    x[keep], y[keep], w, self.names, self.categorical
                )
            )
        self.models = models

    def predict(self, x: Array) -> Array:
        """Days at (q50, q90) from the average of the fold models (in log space)."""
        logs = [m.predict_log(x) for m in self.models]
        return to_days(np.mean(logs, axis=0))

    def predict_out_of_fold(self, x: Array, folds: Sequence[int]) -> Array:
        """Row i predicted by the model that did not train on fold ``folds[i]``."""
        if len(self.models) == 1:
            return self.predict(x)
        out = np.empty((x.shape[0], len(QUANTILES)))
        fold_ids = np.asarray(folds)
        for k, model in enumerate(self.models):
            rows = fold_ids == k
            if rows.any():
                out[rows] = model.predict(x[rows])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "models": [m.to_dict() for m in self.models],
            "calibrator": self.calibrator.to_dict(),
        }

    def load(self, data: dict[str, Any]) -> None:
        self.models = [QuantileGBM.from_dict(m) for m in data["models"]]
        self.calibrator = Calibrator.from_dict(data["calibrator"])


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
        self.space = space or FeatureSpace()
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
        self.fit_count = 0

    def promise_curve(
        self,
        raw: Sequence[float],
        target: LearnedTarget,
        now: float,
        levels: Sequence[float],
        group: str = "",
    ) -> list[int] | None:
        """Promise days at several confidence levels (for the stated-vs-observed plot)."""
        days = target.calibrator.days(levels, raw[0], raw[1], now, group)
        if days is None:
            return None
        return [max(round(raw[0]), math.ceil(d - 1e-9)) for d in days]

    @property
    def model_name(self) -> str:
        return f"gbm-conformal/{ENGINE_VERSION}#{self.fit_count}"

    # --- learning -----------------------------------------------------------------------

    def observe(self, state: OrderState, delivered_at: datetime, outcome: Outcome) -> None:
        """A delivery happened: update the history and queue the order for calibration."""
        state.outcome = outcome
        state.delivered_at = delivered_at
        self.history.observe(state.facts, outcome, delivered_at)
        if self.config.rescore:
            self._unscored.append(state)
            return
        at = local_day_number(delivered_at)
        if state.raw is not None:
            self.purchase.calibrator.add(
                at, outcome.total_days, state.raw[0], state.raw[1], state.facts.dest_region or ""
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
                actual = s.outcome.transit_days if live else s.outcome.total_days
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
        x = as_matrix([s.purchase_row or [] for s in done], len(self.purchase.names))
        y = np.array([s.outcome.total_days for s in done if s.outcome], dtype=np.float64)
        self.purchase.fit(x, y, weights, [s.fold(k) for s in done])
        live = [
            i
            for i, s in enumerate(done)
            if s.live_row is not None and s.outcome and not math.isnan(s.outcome.transit_days)
        ]
        if len(live) >= self.config.min_history:
            lx = as_matrix([done[i].live_row or [] for i in live], len(self.transit.names))
            ly = np.array([_transit(done[i]) for i in live])
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
        days = target.calibrator.days(levels, q50, q90, now, group)
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
        base = facts.order_day
        reasons = [r for r in (reason, *facts.reasons) if r]
        return Estimate(
            base + timedelta(days=p10),
            base + timedelta(days=p50),
            base + timedelta(days=p90),
            base + timedelta(days=promise),
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
        self,
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
        return self.live_from_raw(request, facts, state, now, raw, purchase)

    def live_from_raw(
        self,
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
        transit = self.transit_quantiles(
            raw, t, typical * BUSINESS_TO_CALENDAR, facts.dest_region or "", request.confidence
        )
        dest = request.destination
        inputs = LiveInputs(
            transit,
            request.confidence,
            business_calendar(dest.country, dest.region),
            destination_region=facts.dest_region,
        )
        est = live_estimate(state, now.astimezone(SAO_PAULO), inputs, purchase)
        if raw is None and est.reason is None and state.status is not ShipmentStatus.DELIVERED:
            est = est.with_reason("no live model: transit from the rules table")
        return est


# --- the replay ------------------------------------------------------------------------------


ProgressFn = Callable[[int, int], None]


@dataclass(slots=True)
class _Timeline:
    """The replay's events, bucketed by local day."""

    purchases: dict[date, list[DeliveredShipmentRecord]] = field(default_factory=dict)
    handovers: dict[date, list[DeliveredShipmentRecord]] = field(default_factory=dict)
    deliveries: list[tuple[datetime, str]] = field(default_factory=list)

    def days(self) -> list[date]:
        delivered = {local_date(d) + timedelta(days=1) for d, _ in self.deliveries}
        return sorted(set(self.purchases) | set(self.handovers) | delivered)


def _timeline(
    engine: EddEngine, records: Sequence[DeliveredShipmentRecord], until: datetime | None
) -> _Timeline:
    line = _Timeline()
    for r in records:
        known = engine.orders.get(r.record_id)
        if known is not None and known.outcome is not None:
            continue  # already learned from (e.g. the training part of the same directory)
        if until is not None and r.ordered_at >= until:
            continue
        if known is None or known.purchase_row is None:
            line.purchases.setdefault(local_date(r.ordered_at), []).append(r)
        handed = r.handed_over_at
        pending_live = known is None or known.live_row is None
        if handed is not None and (until is None or handed < until) and pending_live:
            line.handovers.setdefault(local_date(handed), []).append(r)
        if until is None or r.delivered_at < until:
            line.deliveries.append((r.delivered_at, r.record_id))
    line.deliveries.sort()
    return line


def _in_window(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment < end)


def replay(
    engine: EddEngine,
    records: Iterable[DeliveredShipmentRecord],
    *,
    until: datetime | None = None,
    fit_from: date | None = None,
    score_from: datetime | None = None,
    score_until: datetime | None = None,
    refit_every: int | None = None,
    progress: ProgressFn | None = None,
) -> list[Scored]:
    """Walk forward through ``records`` day by day, as production would have lived them.

    On each local day D: (1) deliveries dated before D are observed; (2) models are refitted
    when due (from ``fit_from`` on, and not after ``score_until``); (3) orders placed on D
    are predicted with the history and models of (1)-(2); (4) hand-overs on D get a live
    estimate likewise. Nothing at or after ``until`` is seen. Orders placed in
    ``[score_from, score_until)`` are returned with their estimates.
    """
    cfg = engine.config
    recs = list(records)
    by_id = {r.record_id: r for r in recs}
    line = _timeline(engine, recs, until)
    every = refit_every or cfg.refit_every_days
    stop_fitting = local_day_number(score_until) if score_until else math.inf
    scored: dict[str, Scored] = {}
    requests: dict[str, EstimateRequest] = {}
    days = line.days()
    di = 0
    for step, day in enumerate(days):
        now = day_start(day)
        while di < len(line.deliveries) and local_date(line.deliveries[di][0]) < day:
            when, rid = line.deliveries[di]
            di += 1
            rec = by_id[rid]
            state = engine.orders.get(rid)
            if state is None:  # placed before this replay and never seen: facts at first sight
                state = engine.orders[rid] = OrderState(
                    rid, facts_of(rec.request(cfg.confidence), engine.centroids)
                )
                state.purchase_row = engine.space.purchase_row(state.facts, engine.history, now)
            state.handed_over_at = rec.handed_over_at
            engine.observe(state, when, outcome_of(rec))
        due = engine.last_fit is None or now - engine.last_fit >= every - 1e-9
        if (fit_from is None or day >= fit_from) and now < stop_fitting and due:
            engine.refit(now)
        _purchases(
            engine, line.purchases.get(day, []), now, requests, scored, score_from, score_until
        )
        _handovers(engine, line.handovers.get(day, []), now, requests, scored)
        if progress is not None:
            progress(step + 1, len(days))
    if until is not None:
        engine.trained_until = until
    elif recs:
        last = max(r.delivered_at for r in recs)
        engine.trained_until = max(last, engine.trained_until) if engine.trained_until else last
    return list(scored.values())


def _purchases(
    engine: EddEngine,
    todays: Sequence[DeliveredShipmentRecord],
    now: float,
    requests: dict[str, EstimateRequest],
    scored: dict[str, Scored],
    score_from: datetime | None,
    score_until: datetime | None,
) -> None:
    if not todays:
        return
    cfg = engine.config
    states: list[OrderState] = []
    for r in todays:
        req = requests[r.record_id] = r.request(cfg.confidence)
        state = engine.orders.get(r.record_id)
        if state is None:
            state = engine.orders[r.record_id] = OrderState(
                r.record_id, facts_of(req, engine.centroids)
            )
        state.purchase_row = engine.space.purchase_row(state.facts, engine.history, now)
        states.append(state)
    raw = engine.predict_purchase([s.purchase_row or [] for s in states])
    for i, (r, state) in enumerate(zip(todays, states, strict=True)):
        req = requests[r.record_id]
        if raw is not None:
            state.raw = (float(raw[i][0]), float(raw[i][1]))
            est = engine.purchase_estimate(state.facts, state.raw, now, req.confidence)
            state.promise_days = (est.promise - state.facts.order_day).days
        else:
            est = engine._rules(req, "learned layer not trained yet")
        if _in_window(r.ordered_at, score_from, score_until):
            curve = None
            if state.raw is not None:
                curve = engine.promise_curve(
                    state.raw, engine.purchase, now, CURVE_LEVELS, state.facts.dest_region or ""
                )
            scored[r.record_id] = Scored(r, est, curve=curve)


def _handovers(
    engine: EddEngine,
    todays: Sequence[DeliveredShipmentRecord],
    now: float,
    requests: dict[str, EstimateRequest],
    scored: dict[str, Scored],
) -> None:
    pairs: list[tuple[DeliveredShipmentRecord, OrderState]] = []
    for r in todays:
        state = engine.orders.get(r.record_id)
        if state is None or r.handed_over_at is None:
            continue
        state.handed_over_at = r.handed_over_at
        state.live_row = engine.space.purchase_row(
            state.facts, engine.history, now
        ) + engine.space.live_extra(state.facts, r.handed_over_at)
        pairs.append((r, state))
    if not pairs:
        return
    raw = engine.predict_transit([s.live_row or [] for _, s in pairs])
    for i, (r, state) in enumerate(pairs):
        q = None if raw is None else (float(raw[i][0]), float(raw[i][1]))
        state.raw_live = q
        if q is not None:
            days, _ = engine.calibrated_days(q, engine.transit, now, state.facts.dest_region or "")
            state.live_promise_days = math.ceil(days[3] - 1e-9)
        if r.record_id not in scored or r.handed_over_at is None:
            continue
        req = requests.get(r.record_id) or r.request(engine.config.confidence)
        tracking = TrackingState(
            status=ShipmentStatus.IN_TRANSIT,
            status_at=r.handed_over_at,
            handed_over_at=r.handed_over_at,
            last_event_at=r.handed_over_at,
        )
        scored[r.record_id].live = engine.live_from_raw(
            req, state.facts, tracking, r.handed_over_at, q, None
        )
        if q is not None:
            scored[r.record_id].live_curve = engine.promise_curve(
                q, engine.transit, now, CURVE_LEVELS, state.facts.dest_region or ""
            )


def train_from_records(
    records: Iterable[DeliveredShipmentRecord],
    config: EngineConfig | None = None,
    *,
    until: datetime | None = None,
    centroids: PostalCentroids | None = None,
    progress: ProgressFn | None = None,
) -> EddEngine:
    """Train from the platform's own delivered shipments (or any source of records).

    The records are replayed in time order; models are fitted over the last
    ``fit_window_days`` before ``until`` (so the replay also exercises the calibrator),
    then a final fit uses everything known at ``until``. With fewer than ``MIN_HISTORY``
    deliveries the engine stays on rules and every estimate says so.
    """
    engine = EddEngine(config, centroids=centroids)
    recs = sorted(records, key=lambda r: (r.ordered_at, r.record_id))
    if not recs:
        return engine
    end = until or max(r.delivered_at for r in recs) + timedelta(seconds=1)
    fit_from = local_date(end) - timedelta(days=engine.config.fit_window_days)
    replay(
        engine,
        recs,
        until=end,
        fit_from=fit_from,
        refit_every=engine.config.train_refit_every_days,
        progress=progress,
    )
    engine.refit(local_day_number(end))
    engine.trained_until = end
    return engine

"""The replay: training and evaluating the delivery-date engine by walking through history.

Everything learned is learned by *replaying* history in time order, exactly as production
would have lived it: on each day the engine first hears about the deliveries that happened
before that day, refits on a schedule, then predicts the day's orders and hand-overs.
Training (``train_from_records``) and evaluation (``replay`` on a later period) are the
same loop, which is what makes the evaluation honest: a prediction can only use what had
been delivered before it was made.

Kept apart from ``engine`` (the estimator itself) because it drives the engine rather than
being part of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from postpurchase.adapters.edd import engine_live
from postpurchase.adapters.edd.engine import EddEngine
from postpurchase.adapters.edd.engine_parts import (
    CURVE_LEVELS,
    EngineConfig,
    OrderState,
    Scored,
    day_start,
    hide_columns,
)
from postpurchase.adapters.edd.features import as_matrix, facts_of, local_date, local_day_number
from postpurchase.adapters.edd.history import outcome_of
from postpurchase.adapters.edd.records import DeliveredShipmentRecord
from postpurchase.domain.edd.geo import PostalCentroids
from postpurchase.domain.edd.types import EstimateRequest
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingState

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
    checkout: bool = False,
) -> list[Scored]:
    """Walk forward through ``records`` day by day, as production would have lived them.

    On each local day D: (1) deliveries dated before D are observed; (2) models are refitted
    when due (from ``fit_from`` on, and not after ``score_until``); (3) orders placed on D
    are predicted with the history and models of (1)-(2); (4) hand-overs on D get a live
    estimate likewise. Nothing at or after ``until`` is seen. Orders placed in
    ``[score_from, score_until)`` are returned with their estimates. ``checkout``: the
    scored estimates are made without the store's promise (as a checkout must), while the
    engine keeps each order's own prediction with it for its calibration and training.
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
                engine.history.note_order(state.facts)
                state.purchase_row = engine.space.purchase_row(state.facts, engine.history, now)
            state.handed_over_at = rec.handed_over_at
            engine.observe(state, when, outcome_of(rec))
        engine.known_until = now
        due = engine.last_fit is None or now - engine.last_fit >= every - 1e-9
        if (fit_from is None or day >= fit_from) and now < stop_fitting and due:
            engine.refit(now)
        _purchases(
            engine,
            line.purchases.get(day, []),
            now,
            requests,
            scored,
            (score_from, score_until),
            checkout,
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
    window: tuple[datetime | None, datetime | None],
    checkout: bool = False,
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
            engine.history.note_order(state.facts)
        state.purchase_row = engine.space.purchase_row(state.facts, engine.history, now)
        states.append(state)
    raw = engine.predict_purchase([s.purchase_row or [] for s in states])
    asked = raw
    if checkout and raw is not None and engine.space.quote_indices:
        bare = hide_columns(
            as_matrix([s.purchase_row or [] for s in states], len(engine.purchase.names)),
            engine.space.quote_indices,
            [True] * len(states),
        )
        asked = engine.purchase.predict(bare)
    for i, (r, state) in enumerate(zip(todays, states, strict=True)):
        req = requests[r.record_id]
        shown: tuple[float, float] | None = None
        if raw is not None and asked is not None:
            state.raw = (float(raw[i][0]), float(raw[i][1]))
            shown = (float(asked[i][0]), float(asked[i][1]))
            est = engine.purchase_estimate(state.facts, shown, now, req.confidence)
            state.promise_days = (est.promise - state.facts.order_day).days
        else:
            est = engine._rules(req, "learned layer not trained yet")
        if _in_window(r.ordered_at, *window):
            curve = None
            if shown is not None:
                curve = engine.promise_curve(
                    shown,
                    engine.purchase,
                    now,
                    CURVE_LEVELS,
                    state.facts.dest_region or "",
                    state.facts,
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
            level = engine.live_confidence(engine.config.confidence)
            days, _ = engine.calibrated_days(
                q, engine.transit, now, state.facts.dest_region or "", level
            )
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
            scored[r.record_id].live_curve = engine_live.live_promise_curve(
                engine, req, state.facts, tracking, r.handed_over_at, q, CURVE_LEVELS
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
    engine.known_until = local_day_number(end)
    return engine

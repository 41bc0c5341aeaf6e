"""The engine end to end on a simulated marketplace: layers, fall-backs, replay discipline."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from postpurchase.adapters.edd.artefact import ArtefactError, load_engine, save_engine
from postpurchase.adapters.edd.calendars import business_calendar
from postpurchase.adapters.edd.engine import EddEngine, EngineConfig
from postpurchase.adapters.edd.engine_live import live_promise_curve
from postpurchase.adapters.edd.evaluation import (
    CONTRACT_FIELDS,
    calibration_curve,
    contract_metrics,
)
from postpurchase.adapters.edd.features import facts_of, local_date, local_day_number
from postpurchase.adapters.edd.records import SAO_PAULO, DeliveredShipmentRecord
from postpurchase.adapters.edd.replay import replay, train_from_records
from postpurchase.domain.addresses import Address
from postpurchase.domain.edd.types import EstimateRequest, Layer
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import Location, TrackingState

CUT = datetime(2017, 6, 1, tzinfo=SAO_PAULO)  # day 150 of the market: the slowdown starts here


@pytest.fixture(scope="module")
def trained(market: list[DeliveredShipmentRecord], fast_config: EngineConfig) -> EddEngine:
    return train_from_records(market, fast_config, until=CUT)


def order(**kw: object) -> EstimateRequest:
    base: dict[str, object] = {
        "destination": Address("BR", "20231", "RJ"),
        "origin": Address("BR", "01310", "SP"),
        "origin_id": "s001",
        "ordered_at": datetime(2017, 6, 2, 10, tzinfo=SAO_PAULO),
        "weight_grams": 500.0,
    }
    base.update(kw)
    return EstimateRequest(**base)  # type: ignore[arg-type]


def test_below_the_minimum_history_the_engine_stays_on_rules_and_says_so(
    market: list[DeliveredShipmentRecord], fast_config: EngineConfig
) -> None:
    engine = train_from_records(market[:100], fast_config)
    est = engine.estimate(order())
    assert est.layer is Layer.RULES
    assert est.reason is not None and "needs 150 deliveries" in est.reason
    assert not engine.purchase.fitted


def test_trained_engine_gives_ordered_learned_dates(trained: EddEngine) -> None:
    est = trained.estimate(order())
    assert est.layer is Layer.LEARNED and est.model.startswith("gbm-conformal/edd-1")
    assert est.p10 <= est.p50 <= est.p90 <= est.promise
    assert est.reason is None
    far = trained.estimate(order(destination=Address("BR", "69005", "AM")))
    assert far.p50 > est.p50  # Manaus is further from São Paulo than Rio
    looser = trained.estimate(order(confidence=0.8))
    assert looser.confidence == 0.8 and looser.promise < est.promise  # the level is honoured
    batch = trained.estimate_many([order(), order(destination=Address("BR", "69005", "AM"))])
    assert [b.promise for b in batch] == [est.promise, far.promise]


def test_promises_are_moved_off_closed_days_at_the_destination(trained: EddEngine) -> None:
    """The default moves a weekend or holiday promise to the business day before it (never
    before the P50); "keep" leaves it; the live promise moves too when configured."""
    cal = business_calendar("BR", "RJ")
    orders = [order(ordered_at=datetime(2017, 6, 1, 10, tzinfo=SAO_PAULO) + timedelta(days=k))
              for k in range(21)]  # fmt: skip
    moved = trained.estimate_many(orders)
    kept_engine = load_engine_copy(trained)[0]
    kept_engine.config = replace(kept_engine.config, closed_day_promise="keep")
    kept = kept_engine.estimate_many(orders)
    assert any(not cal.is_business_day(k.promise) for k in kept)
    for m, k in zip(moved, kept, strict=True):
        assert m.p50 <= m.promise <= k.promise
        assert cal.is_business_day(m.promise) or m.promise == m.p50
        assert m.promise == k.promise or not cal.is_business_day(k.promise)
    live_engine = load_engine_copy(trained)[0]
    live_engine.config = replace(live_engine.config, live_closed_day_promise=True)
    for day in range(7):
        handed = datetime(2017, 6, 4, 15, tzinfo=SAO_PAULO) + timedelta(days=day)
        tracking = TrackingState(status=ShipmentStatus.IN_TRANSIT, handed_over_at=handed)
        live = live_engine.live(order(), tracking, handed)
        assert cal.is_business_day(live.promise) or live.promise == live.p50


def test_bad_input_falls_back_with_a_stated_reason_never_a_crash(trained: EddEngine) -> None:
    unknown = trained.estimate(
        order(destination=Address("BR", "XXXXX"), origin=None, weight_grams=None)
    )
    assert unknown.reason is not None
    for words in ("postal code unknown", "origin unknown", "weight unknown"):
        assert words in unknown.reason
    naive = trained.estimate(order(ordered_at=datetime(2017, 6, 2, 10)))
    assert naive.reason is not None and "time zone" in naive.reason


def test_live_layer_re_estimates_from_scans(trained: EddEngine) -> None:
    req = order()
    handed = datetime(2017, 6, 4, 15, tzinfo=SAO_PAULO)
    at_hand_over = trained.live(
        req, TrackingState(status=ShipmentStatus.IN_TRANSIT, handed_over_at=handed), handed
    )
    assert at_hand_over.layer is Layer.LIVE and at_hand_over.reason is None
    late_now = handed + timedelta(days=20)
    late = trained.live(
        req, TrackingState(status=ShipmentStatus.IN_TRANSIT, handed_over_at=handed), late_now
    )
    assert late.p50 >= local_date(late_now) and late.p50 > at_hand_over.p50
    ofd = trained.live(
        req,
        TrackingState(
            status=ShipmentStatus.OUT_FOR_DELIVERY,
            handed_over_at=handed,
            last_location=Location(region="RJ"),
        ),
        late_now,
    )
    assert ofd.p50 == local_date(late_now)


def test_the_live_frontier_is_read_off_the_live_promises_a_shopper_is_shown(
    trained: EddEngine,
) -> None:
    """``live_promise_curve`` (the back-test's live frontier) gives, at the live layer's own
    level, the promise ``live`` shows, and never an earlier promise at a higher level."""
    req = order()
    handed = datetime(2017, 6, 4, 15, tzinfo=SAO_PAULO)
    tracking = TrackingState(
        status=ShipmentStatus.IN_TRANSIT, status_at=handed, handed_over_at=handed
    )
    facts = facts_of(req, trained.centroids)
    t = local_day_number(handed)
    row = trained.space.purchase_row(facts, trained.history, t) + trained.space.live_extra(
        facts, handed
    )
    predicted = trained.predict_transit([row])
    assert predicted is not None
    raw = (float(predicted[0][0]), float(predicted[0][1]))
    shown = trained.live_from_raw(req, facts, tracking, handed, raw, None)
    level = trained.live_confidence(req.confidence)
    curve = live_promise_curve(trained, req, facts, tracking, handed, raw, [level])
    assert curve == [(shown.promise - local_date(handed)).days]
    levels = (0.8, 0.9, 0.93, 0.95, 0.96, 0.97, 0.99)
    full = live_promise_curve(trained, req, facts, tracking, handed, raw, levels)
    assert full is not None and full == sorted(full)


def test_replay_never_uses_a_delivery_before_it_happened(
    trained: EddEngine, market: list[DeliveredShipmentRecord]
) -> None:
    """Changing when a late order is delivered cannot change any earlier prediction."""
    window_end = CUT + timedelta(days=30)
    base = replay(load_engine_copy(trained)[0], market, score_from=CUT, score_until=window_end)
    victim = next(r for r in market if r.ordered_at >= CUT + timedelta(days=10))
    moved = replace(victim, delivered_at=victim.delivered_at + timedelta(days=40))
    altered = [moved if r.record_id == victim.record_id else r for r in market]
    # Training only saw deliveries before CUT, so the same trained engine starts both runs.
    again = replay(load_engine_copy(trained)[0], altered, score_from=CUT, score_until=window_end)
    before = {s.record.record_id: s.purchase for s in base}
    after = {s.record.record_id: s.purchase for s in again}
    first_delivery = local_date(victim.delivered_at)
    checked = 0
    for rid, est in before.items():
        rec = next(r for r in market if r.record_id == rid)
        if local_date(rec.ordered_at) <= first_delivery:
            assert after[rid] == est, rid
            checked += 1
    assert checked > 50


def test_evaluation_contract_and_drift_adaptation(
    trained: EddEngine, market: list[DeliveredShipmentRecord]
) -> None:
    engine, _ = load_engine_copy(trained)
    scored = replay(engine, market, score_from=CUT)
    metrics = contract_metrics(scored)
    assert tuple(metrics) == CONTRACT_FIELDS
    assert metrics["orders"] == len(scored) > 400
    assert metrics["p50_mae_days"] is not None and metrics["p50_mae_days"] < 5
    # The slowdown starts on the first evaluated day: the promise dips while the calibrator
    # has only pre-shock deliveries, then recovers once slow deliveries come in.
    assert metrics["promise_on_time_rate"] is not None and metrics["promise_on_time_rate"] >= 0.88
    assert metrics["live_on_time_rate"] is not None and metrics["live_on_time_rate"] >= 0.88
    late_half = [s for s in scored if s.record.ordered_at >= CUT + timedelta(days=25)]
    assert contract_metrics(late_half)["promise_on_time_rate"] >= 0.92  # type: ignore[operator]
    curve = calibration_curve(scored)
    rates = [p.on_time_rate for p in curve]
    assert rates == sorted(rates)  # a higher stated level never keeps fewer promises
    assert curve[0].stated == 0.5 and curve[-1].stated == 0.99


def load_engine_copy(engine: EddEngine) -> tuple[EddEngine, str]:
    """Round-trip through the artefact so the shared fixture is never mutated."""
    import tempfile

    path = Path(tempfile.mkdtemp()) / "m.edd.json.gz"
    save_engine(engine, path)
    return load_engine(path)


def test_artefact_round_trip_gives_identical_estimates(trained: EddEngine, tmp_path: Path) -> None:
    path = tmp_path / "model.json.gz"
    version = save_engine(trained, path)
    assert version.startswith("edd-1+20170601.")
    loaded, loaded_version = load_engine(path)
    assert loaded_version == version
    requests = [order(), order(destination=Address("BR", "69005", "AM"), weight_grams=None)]
    assert loaded.estimate_many(requests) == trained.estimate_many(requests)
    assert save_engine(loaded, tmp_path / "again.json.gz") == version  # content-addressed


def test_network_features_survive_the_artefact_and_see_the_open_orders(
    market: list[DeliveredShipmentRecord], fast_config: EngineConfig, tmp_path: Path
) -> None:
    engine = train_from_records(market, replace(fast_config, network_features=True), until=CUT)
    now = local_day_number(CUT)
    backlog = engine.history.network_features(now)
    assert 0.0 < backlog[0] < 1.0  # some orders placed 5-14 days before the cut-off are open
    save_engine(engine, tmp_path / "net.json.gz")
    loaded, _ = load_engine(tmp_path / "net.json.gz")
    assert loaded.config.network_features and loaded.space.network
    assert loaded.history.network_features(now) == backlog
    requests = [order(), order(destination=Address("BR", "69005", "AM"))]
    assert loaded.estimate_many(requests) == engine.estimate_many(requests)


def test_broken_artefacts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ArtefactError, match="not found"):
        load_engine(tmp_path / "missing")
    (tmp_path / "junk").write_bytes(b"not gzip")
    with pytest.raises(ArtefactError):
        load_engine(tmp_path / "junk")
    import gzip

    (tmp_path / "other.json.gz").write_bytes(gzip.compress(b'{"format": "x"}'))
    with pytest.raises(ArtefactError, match="not a postpurchase EDD model"):
        load_engine(tmp_path / "other.json.gz")

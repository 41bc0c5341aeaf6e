"""The worker's model jobs: re-calibration on the latest deliveries makes a new active
version; drift (promises kept outside the target band) raises one ops alert a day; each job
runs once even when two workers ask at the same moment."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import Engine, select, update

from postpurchase.adapters.db import edd_registry
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.edd import schedule
from postpurchase.adapters.edd.merchant_models import train_merchant
from postpurchase.domain.edd.types import DEFAULT_CONFIDENCE
from tests.edd_support import FAST, history, new_merchant, seed

RECORDS = history()
NOW = max(r.delivered_at for r in RECORDS).astimezone(UTC) + timedelta(days=1)
CADENCE = schedule.Cadence(drift_window=100)


def test_recalibration_learns_the_latest_deliveries_as_a_new_active_version(
    engine: Engine,
) -> None:
    merchant_id, _ = new_merchant(engine)
    cut = len(RECORDS) - 150
    seed(engine, merchant_id, RECORDS[:cut])
    m = t.merchants.c  # the merchant promises at 90%: the back-test promises at 90% too
    with engine.begin() as conn:
        conn.execute(
            update(t.merchants)
            .where(m.id == merchant_id)
            .values(settings={"checkout": {"promise_confidence": 0.9}})
        )
    first = train_merchant(engine, merchant_id, now=NOW, config=FAST)
    assert first.activated and first.metrics["confidence"] == 0.9
    seed(engine, merchant_id, RECORDS[cut:])  # deliveries since the model was trained
    result = schedule.recalibrate(engine, merchant_id, NOW, CADENCE, config=FAST)
    assert result["status"] == "done" and result["new_deliveries"] > 0, result
    with engine.connect() as conn:
        models = edd_registry.list_models(conn, merchant_id)
    assert [(m.version, m.source, m.active) for m in models] == [
        (2, "recalibration", True),
        (1, "database", False),
    ]
    assert models[0].metrics["recalibrated_from"] == 1
    assert models[0].trained_until is not None and models[1].trained_until is not None
    assert models[0].trained_until > models[1].trained_until


def test_drift_outside_the_band_raises_one_ops_alert_a_day(engine: Engine) -> None:
    merchant_id, _ = new_merchant(engine)
    seed(engine, merchant_id, RECORDS[-300:])
    # Our promises at purchase, all one day too early: none kept.
    o, s = t.orders.c, t.shipments.c
    with engine.begin() as conn:
        rows = conn.execute(
            select(o.id, s.delivered_at).join(t.shipments, s.order_id == o.id).where(
                o.merchant_id == merchant_id)
        ).all()  # fmt: skip
        for order_id, delivered in rows:
            conn.execute(
                update(t.orders)
                .where(o.id == order_id)
                .values(our_promise=(delivered - timedelta(days=2)).date())
            )
    for _ in range(2):
        drift = schedule.check_drift(engine, merchant_id, NOW, CADENCE)
    assert drift["coverage"] == 0.0 and drift["ok"] is False and "below" in drift["alert"]
    a = t.ops_alerts.c
    with engine.connect() as conn:
        alerts = conn.execute(select(a.kind, a.summary).where(a.merchant_id == merchant_id)).all()
    assert len(alerts) == 1 and alerts[0][0] == "edd_drift"
    # Inside the band: no alert.
    with engine.begin() as conn:
        for order_id, delivered in rows:
            conn.execute(
                update(t.orders)
                .where(o.id == order_id)
                .values(our_promise=(delivered + timedelta(days=3)).date())
            )
    kept = schedule.check_drift(engine, merchant_id, NOW + timedelta(days=1), CADENCE)
    assert kept["coverage"] == 1.0 and "alert" in kept  # 100% is padding: above the band


def test_a_due_job_runs_once_across_workers(engine: Engine) -> None:
    merchant_id, _ = new_merchant(engine)
    seed(engine, merchant_id, RECORDS[:40])  # too few: the job is refused, cheaply
    schedule.request_training(engine, merchant_id, NOW)
    first = schedule.run_due(engine, NOW, CADENCE, config=FAST)
    second = schedule.run_due(engine, NOW, CADENCE, config=FAST)
    assert f"{merchant_id}:train" in first and f"{merchant_id}:train" not in second
    status = schedule.job_status(engine, merchant_id, "train", NOW)
    assert status is not None and status["status"] == "refused"
    assert "rules layer stays active" in status["result"]["reason"]


def test_the_drift_band_follows_the_merchants_promise_confidence(engine: Engine) -> None:
    merchant_id, _ = new_merchant(engine)
    seed(engine, merchant_id, RECORDS[-150:])
    o, s = t.orders.c, t.shipments.c
    with engine.begin() as conn:
        rows = conn.execute(
            select(o.id, s.delivered_at).join(t.shipments, s.order_id == o.id)
            .where(o.merchant_id == merchant_id).order_by(s.delivered_at.desc())
        ).all()  # fmt: skip
        for i, (order_id, delivered) in enumerate(rows):  # 81 of the last 100 kept
            late = i < 100 and i % 100 >= 81
            day = (delivered + timedelta(days=-2 if late else 3)).date()
            conn.execute(update(t.orders).where(o.id == order_id).values(our_promise=day))
    default = schedule.check_drift(engine, merchant_id, NOW, CADENCE)
    band = [DEFAULT_CONFIDENCE, round(DEFAULT_CONFIDENCE + schedule.BAND_WIDTH, 4)]
    assert default["coverage"] == 0.81 and default["band"] == band
    assert "below" in default["alert"]
    m = t.merchants.c
    with engine.begin() as conn:
        conn.execute(
            update(t.merchants)
            .where(m.id == merchant_id)
            .values(settings={"checkout": {"promise_confidence": 0.8}})
        )
    chosen = schedule.check_drift(engine, merchant_id, NOW + timedelta(days=1), CADENCE)
    assert chosen["band"] == [0.8, 0.815] and chosen["ok"] is True and "alert" not in chosen
    fixed = schedule.Cadence(drift_window=100, target_low=0.95, target_high=0.965)
    assert schedule.check_drift(engine, merchant_id, NOW, fixed)["band"] == [0.95, 0.965]


def test_the_worker_plans_weekly_training_and_daily_recalibration(engine: Engine) -> None:
    from postpurchase.bootstrap import bootstrap
    from postpurchase.config import Settings
    from postpurchase.entrypoints import worker_edd

    merchant_id, _ = new_merchant(engine)
    seed(engine, merchant_id, RECORDS[:60])
    platform = bootstrap(Settings(), engine=engine, notifications=False)
    cadence = worker_edd.cadence(platform)  # the documented defaults: 7 days, 24 hours
    assert (cadence.retrain, cadence.recalibrate) == (timedelta(days=7), timedelta(hours=24))
    for when in (NOW, NOW + timedelta(hours=1)):  # planning again moves nothing
        schedule.plan(engine, when, cadence)
    with engine.connect() as conn:
        due = {r["job"]: r["due_at"] for r in edd_registry.jobs(conn, merchant_id)}
    assert {k: v.astimezone(UTC) for k, v in due.items()} == {
        "train": NOW + timedelta(days=7),
        "recalibrate": NOW + timedelta(hours=24),
    }

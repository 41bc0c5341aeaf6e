"""The worker's model jobs, once cluster-wide: re-train weekly, re-calibrate daily, watch for
drift, and run the trainings the API asked for.

Each (merchant, job) has a row in ``edd_jobs`` with when it is next due; a worker takes a
due job with one conditional UPDATE (a lease), so of several workers on several hosts
exactly one runs it, and a crashed worker's job is due again when its lease ends.

* ``train``: asked for by ``POST /api/v1/edd/models`` (due at once), or the weekly
  re-training (``POSTPURCHASE_EDD_RETRAIN_DAYS``): ``train_merchant``, which activates the
  new model only when its back-test beats the active one.
* ``recalibrate``: daily (``POSTPURCHASE_EDD_RECALIBRATE_HOURS``). The engine keeps its
  calibration scores with the model and has no cheaper public refit than a training, so
  re-calibrating means: load the active model, replay the deliveries since it was trained
  (the engine observes each one, adds its calibration score, prunes scores older than its
  window and refits on its weekly schedule), and store the result as a new version that
  becomes active (the newest 7 inactive re-calibrations are kept, older ones dropped; trained
  models all stay). The walk-forward is the same the training uses, so a re-calibrated model
  is what the old one would have become had it run in production since.
* drift: after each re-calibration, coverage of the active model's promises over the last
  ``POSTPURCHASE_EDD_DRIFT_WINDOW`` deliveries; outside the band raises an ops alert (the
  ops digest sends it). The band is the merchant's promise confidence to that plus
  :data:`BAND_WIDTH` (coverage is a band, not a floor: padding is a failure too), unless
  ``edd_target_low`` / ``edd_target_high`` fix it for every merchant.

Both jobs work at the merchant's promise confidence (``CheckoutSettings.promise_confidence``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, select

from postpurchase.adapters.db import edd_registry
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.sql import upsert_insert

log = logging.getLogger(__name__)

TRAIN, RECALIBRATE = "train", "recalibrate"
LEASE = timedelta(hours=2)  # a training of a large history takes minutes; a dead holder's job
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Cadence:
    retrain: timedelta = timedelta(days=7)
    recalibrate: timedelta = timedelta(hours=24)
    drift_window: int = 200
    target_low: float | None = None  # None: the merchant's promise confidence
    target_high: float | None = None  # None: that + BAND_WIDTH

    def band(self, confidence: float) -> tuple[float, float]:
        """The coverage band the drift check holds a merchant promising at ``confidence`` to."""
        low = self.target_low if self.target_low is not None else confidence
        high = self.target_high if self.target_high is not None else confidence + BAND_WIDTH
        return low, min(1.0, high)


BAND_WIDTH = 0.015


def request_training(db: Engine, merchant_id: str, now: datetime, force: bool = False) -> None:
    """Make the merchant's ``train`` job due now (the worker picks it up within a minute)."""
    queued = {"requested_at": now.isoformat(), "force": force, "status": "queued"}
    with db.connect().execution_options(write=True) as conn:
        stmt = upsert_insert(conn, t.edd_jobs).values(
            merchant_id=merchant_id, job=TRAIN, due_at=now, last_result=queued
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["merchant_id", "job"],
                set_={"due_at": now, "last_result": queued},
            )
        )
        conn.commit()


def job_status(db: Engine, merchant_id: str, job: str, now: datetime) -> dict[str, Any] | None:
    with db.connect() as conn:
        rows = [r for r in edd_registry.jobs(conn, merchant_id) if r["job"] == job]
    if not rows:
        return None
    row = rows[0]
    result = dict(row["last_result"] or {})
    if row["lease_until"] is not None and row["lease_until"] > now:
        status = "running"
    elif row["due_at"] <= now and result.get("status") == "queued":
        status = "queued"
    else:
        status = str(result.get("status") or "done")
    return {"job": job, "status": status, "due_at": row["due_at"], "result": result}


def _merchants_with_history(db: Engine) -> list[str]:
    s = t.shipments.c
    with db.connect() as conn:
        q = select(s.merchant_id).where(s.status == "delivered", s.return_id.is_(None)).distinct()
        return [r[0] for r in conn.execute(q)]


def plan(db: Engine, now: datetime, cadence: Cadence) -> None:
    """Give every merchant with deliveries its schedule rows (first re-training a cadence
    from now, so a new install is not swamped)."""
    merchants = _merchants_with_history(db)
    with db.connect().execution_options(write=True) as conn:
        for mid in merchants:
            edd_registry.ensure_job(conn, mid, TRAIN, now + cadence.retrain)
            edd_registry.ensure_job(conn, mid, RECALIBRATE, now + cadence.recalibrate)
        conn.commit()


def run_due(db: Engine, now: datetime, cadence: Cadence, *, config: Any = None) -> list[str]:
    """Run every due job this worker can claim; returns what ran (``merchant:job``)."""
    j = t.edd_jobs.c
    with db.connect() as conn:
        due = conn.execute(select(j.merchant_id, j.job).where(j.due_at <= now)).all()
    ran = []
    for merchant_id, job in due:
        if not edd_registry.claim_job(db, merchant_id, job, HOLDER, now, LEASE):
            continue  # another worker has it
        try:
            if job == TRAIN:
                result = _train(db, merchant_id, now, config)
                next_due = now + cadence.retrain
            else:
                result = recalibrate(db, merchant_id, now, cadence, config=config)
                next_due = now + cadence.recalibrate
        except Exception as exc:  # one merchant's failure must not stop the others
            log.exception("edd job %s for %s failed", job, merchant_id)
            result = {"status": "failed", "error": f"{exc.__class__.__name__}: {exc}"}
            next_due = now + (cadence.retrain if job == TRAIN else cadence.recalibrate)
        edd_registry.finish_job(db, merchant_id, job, HOLDER, now, next_due, result)
        ran.append(f"{merchant_id}:{job}")
    return ran


def _train(db: Engine, merchant_id: str, now: datetime, config: Any) -> dict[str, Any]:
    from postpurchase.adapters.edd.merchant_models import ModelRefused, train_merchant

    with db.connect() as conn:
        row = conn.execute(
            select(t.edd_jobs.c.last_result).where(
                t.edd_jobs.c.merchant_id == merchant_id, t.edd_jobs.c.job == TRAIN
            )
        ).scalar()
    force = bool((row or {}).get("force"))
    try:
        outcome = train_merchant(
            db, merchant_id, now=now, config=config, force=force, source="schedule"
        )
    except ModelRefused as exc:
        return {"status": "refused", "reason": str(exc)}
    return {
        "status": "done",
        "version": outcome.version,
        "activated": outcome.activated,
        "reason": outcome.reason,
        "metrics": outcome.metrics,
        "compared_with": outcome.compared_with,
    }


def recalibrate(
    db: Engine, merchant_id: str, now: datetime, cadence: Cadence, *, config: Any = None
) -> dict[str, Any]:
    """See the module docstring; then the drift check."""
    from postpurchase.adapters.edd.merchant_models import register_engine
    from postpurchase.adapters.edd.replay import replay
    from postpurchase.adapters.edd.store_records import delivered_records
    from postpurchase.adapters.model_serving import engine_from_bytes

    with db.connect() as conn:
        active = edd_registry.active_version(conn, merchant_id)
        row = edd_registry.get_model(conn, merchant_id, active) if active else None
        data = edd_registry.artefact(conn, merchant_id, active) if active else None
    drift = check_drift(db, merchant_id, now, cadence)  # of whichever layer made the promises
    if row is None or data is None:
        return {"status": "skipped", "reason": "no active model: rules answer", "drift": drift}
    since = row.trained_until
    with db.connect() as conn:
        records = list(delivered_records(conn, merchant_id))
    fresh = [r for r in records if since is None or r.delivered_at >= since]
    if not fresh:
        return {"status": "done", "new_deliveries": 0, "drift": drift}
    engine: Any = engine_from_bytes(data)[0]
    with db.connect() as conn:
        confidence = edd_registry.promise_confidence(conn, merchant_id)
    engine.config = dataclasses.replace(engine.config, confidence=confidence)
    replay(engine, records)
    version = register_engine(db, merchant_id, engine, now=now, based_on=row, records=records)
    return {"status": "done", "new_deliveries": len(fresh), "version": version, "drift": drift}


def check_drift(db: Engine, merchant_id: str, now: datetime, cadence: Cadence) -> dict[str, Any]:
    """Coverage of the promises we actually made (``orders.our_promise``, set at intake) over
    the merchant's last N deliveries; outside the target band, an ops alert (one a day)."""
    s, o, m = t.shipments.c, t.orders.c, t.merchants.c
    with db.connect() as conn:
        zone = conn.execute(select(m.timezone).where(m.id == merchant_id)).scalar() or "UTC"
        low, high = cadence.band(edd_registry.promise_confidence(conn, merchant_id))
        rows = conn.execute(
            select(s.delivered_at, o.our_promise)
            .join(t.orders, o.id == s.order_id)
            .where(
                s.merchant_id == merchant_id,
                o.merchant_id == merchant_id,
                s.status == "delivered",
                s.delivered_at.is_not(None),
                o.our_promise.is_not(None),
                s.return_id.is_(None),
            )
            .order_by(s.delivered_at.desc())
            .limit(cadence.drift_window)
        ).all()
    if len(rows) < min(cadence.drift_window, 50):
        return {"checked": len(rows), "coverage": None}
    try:
        tz: Any = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    kept = sum(1 for delivered, promise in rows if delivered.astimezone(tz).date() <= promise)
    coverage = kept / len(rows)
    inside = low <= coverage <= high
    out: dict[str, Any] = {
        "checked": len(rows),
        "coverage": round(coverage, 4),
        "band": [round(low, 4), round(high, 4)],
        "ok": inside,
    }
    if not inside:
        word = "below" if coverage < low else "above"
        summary = (
            f"Delivery-date drift: {coverage:.1%} of the last {len(rows)} deliveries arrived "
            f"by our promise, {word} the target band {low:.1%}-{high:.1%}. "
            "Re-train (postpurchase edd train) or check carriers."
        )
        with db.connect().execution_options(write=True) as conn:
            stmt = upsert_insert(conn, t.ops_alerts).values(
                merchant_id=merchant_id, dedupe_key=f"edd_drift:{now:%Y-%m-%d}",
                kind="edd_drift", summary=summary, created_at=now,
            )  # fmt: skip
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["merchant_id", "dedupe_key"]))
            conn.commit()
        out["alert"] = summary
    return out

"""The model registry on SQLite and PostgreSQL: versions per merchant, one active, tenants
apart, artefact bytes round-trip, and a scheduled job taken by exactly one worker."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from postpurchase.adapters.db import edd_registry as reg
from tests.edd_support import new_merchant

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _model(tag: str, on_time: float) -> reg.NewModel:
    return reg.NewModel(
        model_version=f"edd-1+20261130.{tag}",
        engine_version="edd-1",
        format_version=1,
        trained_from=AT - timedelta(days=200),
        trained_until=AT - timedelta(days=1),
        shipments=1234,
        source="database",
        features=["distance_km", "weekday"],
        metrics={"orders": 100, "promise_on_time_rate": on_time},
        artefact=f"bytes of {tag}".encode(),
    )


def test_versions_are_per_merchant_and_one_is_active(engine: Engine) -> None:
    a, _ = new_merchant(engine)
    b, _ = new_merchant(engine)
    with engine.begin() as conn:
        assert reg.add_model(conn, a, _model("a1", 0.95), AT) == 1
        assert reg.add_model(conn, a, _model("a2", 0.96), AT + timedelta(hours=1)) == 2
        assert reg.add_model(conn, b, _model("b1", 0.90), AT) == 1  # its own numbering
        assert reg.active_version(conn, a) is None  # registered is not active
        reg.activate(conn, a, 1, AT)
        reg.activate(conn, a, 2, AT + timedelta(hours=2))  # one upsert switches
    with engine.connect() as conn:
        listed = reg.list_models(conn, a)
        assert [(m.version, m.active) for m in listed] == [(2, True), (1, False)]
        assert listed[0].metrics["promise_on_time_rate"] == 0.96
        assert listed[0].features == ["distance_km", "weekday"]
        assert listed[0].size_bytes == len(b"bytes of a2")
        assert reg.artefact(conn, a, 2) == b"bytes of a2"
        # Tenants apart: B sees only its own model, and not A's active one.
        assert [m.model_version for m in reg.list_models(conn, b)] == ["edd-1+20261130.b1"]
        assert reg.active_version(conn, b) is None
        assert reg.get_model(conn, b, 2) is None and reg.artefact(conn, b, 2) is None
    with engine.begin() as conn:
        reg.deactivate(conn, a)
        assert reg.active_version(conn, a) is None


def test_a_due_job_is_taken_by_exactly_one_worker(engine: Engine) -> None:
    m, _ = new_merchant(engine)
    with engine.begin() as conn:
        reg.ensure_job(conn, m, "train", AT)
        reg.ensure_job(conn, m, "train", AT + timedelta(days=9))  # exists: unchanged
    lease = timedelta(minutes=5)
    assert not reg.claim_job(engine, m, "train", "w1", AT - timedelta(seconds=1), lease)  # not due
    assert reg.claim_job(engine, m, "train", "w1", AT, lease)
    assert not reg.claim_job(engine, m, "train", "w2", AT + timedelta(minutes=1), lease)
    # A dead holder's lease runs out and another worker takes the job.
    assert reg.claim_job(engine, m, "train", "w2", AT + lease + timedelta(seconds=1), lease)
    reg.finish_job(engine, m, "train", "w1", AT, AT + timedelta(days=7), {"status": "x"})
    with engine.connect() as conn:
        [row] = reg.jobs(conn, m)
    assert row["lease_until"] is not None  # w1 no longer holds it: its finish changed nothing
    reg.finish_job(engine, m, "train", "w2", AT, AT + timedelta(days=7), {"status": "done"})
    with engine.connect() as conn:
        [row] = reg.jobs(conn, m)
    assert row["lease_until"] is None and row["last_result"] == {"status": "done"}
    assert row["due_at"] == AT + timedelta(days=7)


def test_old_recalibrations_are_pruned_and_trained_models_kept(engine: Engine) -> None:
    m, _ = new_merchant(engine)
    with engine.begin() as conn:
        reg.add_model(conn, m, _model("trained", 0.95), AT)
        for i in range(4):
            v = reg.add_model(conn, m, replace(_model(f"r{i}", 0.95), source="recalibration"), AT)
            reg.activate(conn, m, v, AT)
        assert reg.prune(conn, m, "recalibration", keep=1) == 2
        left = [(r.version, r.source, r.active) for r in reg.list_models(conn, m)]
    assert left == [(5, "recalibration", True), (4, "recalibration", False), (1, "database", False)]

"""The delivery-date model registry: every trained model per merchant, and the active one.

Statements on a connection the caller owns (and commits), like the other table adapters.
The artefact bytes live in the row, so any API or worker process on any host can load the
active model; listing never reads them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, or_, select, update

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.sql import upsert_insert


@dataclass(frozen=True, slots=True)
class ModelRow:
    """One registered model, without its bytes."""

    merchant_id: str
    version: int
    model_version: str
    engine_version: str
    format_version: int
    created_at: datetime
    trained_from: datetime | None
    trained_until: datetime | None
    shipments: int
    source: str
    features: list[str]
    metrics: dict[str, Any]
    artefact_sha256: str
    size_bytes: int
    active: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "model_version": self.model_version,
            "engine_version": self.engine_version,
            "format_version": self.format_version,
            "created_at": self.created_at.isoformat(),
            "trained_from": self.trained_from.isoformat() if self.trained_from else None,
            "trained_until": self.trained_until.isoformat() if self.trained_until else None,
            "shipments": self.shipments,
            "source": self.source,
            "features": list(self.features),
            "metrics": dict(self.metrics),
            "artefact_sha256": self.artefact_sha256,
            "size_bytes": self.size_bytes,
            "active": self.active,
        }


@dataclass(frozen=True, slots=True)
class NewModel:
    """What a training run (or a registered file) hands the registry."""

    model_version: str
    engine_version: str
    format_version: int
    trained_from: datetime | None
    trained_until: datetime | None
    shipments: int
    source: str
    features: list[str]
    metrics: dict[str, Any]
    artefact: bytes


_m = t.edd_models.c
_LIST_COLUMNS = (
    _m.merchant_id,
    _m.version,
    _m.model_version,
    _m.engine_version,
    _m.format_version,
    _m.created_at,
    _m.trained_from,
    _m.trained_until,
    _m.shipments,
    _m.source,
    _m.features,
    _m.metrics,
    _m.artefact_sha256,
    func.length(_m.artefact).label("size_bytes"),
)


def _row(r: Any, active: int | None) -> ModelRow:
    return ModelRow(
        merchant_id=r["merchant_id"],
        version=int(r["version"]),
        model_version=r["model_version"],
        engine_version=r["engine_version"],
        format_version=int(r["format_version"]),
        created_at=r["created_at"],
        trained_from=r["trained_from"],
        trained_until=r["trained_until"],
        shipments=int(r["shipments"]),
        source=r["source"],
        features=list(r["features"] or []),
        metrics=dict(r["metrics"] or {}),
        artefact_sha256=r["artefact_sha256"],
        size_bytes=int(r["size_bytes"] or 0),
        active=active == int(r["version"]),
    )


def add_model(conn: Connection, merchant_id: str, model: NewModel, at: datetime) -> int:
    """Store a model under the merchant's next version number (1, 2, 3...) and return it.

    Two trainings racing for the same number: the primary key refuses the second insert
    and the caller's transaction rolls back (retry it).
    """
    latest = conn.execute(
        select(func.max(_m.version)).where(_m.merchant_id == merchant_id)
    ).scalar()
    version = int(latest or 0) + 1
    conn.execute(
        t.edd_models.insert().values(
            merchant_id=merchant_id,
            version=version,
            model_version=model.model_version,
            engine_version=model.engine_version,
            format_version=model.format_version,
            created_at=at,
            trained_from=model.trained_from,
            trained_until=model.trained_until,
            shipments=model.shipments,
            source=model.source,
            features=list(model.features),
            metrics=dict(model.metrics),
            artefact=model.artefact,
            artefact_sha256=hashlib.sha256(model.artefact).hexdigest(),
        )
    )
    return version


def promise_confidence(conn: Connection, merchant_id: str) -> float:
    """The merchant's promise confidence (``CheckoutSettings.promise_confidence``; the
    default for an unknown merchant or an unreadable value)."""
    from postpurchase.domain.checkout.settings import promise_confidence_of

    m = t.merchants.c
    stored = conn.execute(select(m.settings).where(m.id == merchant_id)).scalar()
    return promise_confidence_of(stored if isinstance(stored, dict) else {})


def active_version(conn: Connection, merchant_id: str) -> int | None:
    a = t.edd_active.c
    found = conn.execute(select(a.version).where(a.merchant_id == merchant_id)).scalar()
    return int(found) if found is not None else None


def list_models(conn: Connection, merchant_id: str) -> list[ModelRow]:
    """Every model of the merchant, newest first, with which one is active."""
    active = active_version(conn, merchant_id)
    rows = conn.execute(
        select(*_LIST_COLUMNS).where(_m.merchant_id == merchant_id).order_by(_m.version.desc())
    ).mappings()
    return [_row(r, active) for r in rows]


def get_model(conn: Connection, merchant_id: str, version: int) -> ModelRow | None:
    active = active_version(conn, merchant_id)
    r = (
        conn.execute(
            select(*_LIST_COLUMNS).where(_m.merchant_id == merchant_id, _m.version == version)
        )
        .mappings()
        .first()
    )
    return _row(r, active) if r is not None else None


def artefact(conn: Connection, merchant_id: str, version: int) -> bytes | None:
    found = conn.execute(
        select(_m.artefact).where(_m.merchant_id == merchant_id, _m.version == version)
    ).scalar()
    return bytes(found) if found is not None else None


def activate(conn: Connection, merchant_id: str, version: int, at: datetime) -> None:
    """Make ``version`` the merchant's active model (one upsert)."""
    stmt = upsert_insert(conn, t.edd_active).values(
        merchant_id=merchant_id, version=version, activated_at=at
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["merchant_id"], set_={"version": version, "activated_at": at}
    )
    conn.execute(stmt)


def prune(conn: Connection, merchant_id: str, source: str, keep: int) -> int:
    """Drop all but the newest ``keep`` inactive models of ``source`` (the daily
    re-calibrations: a year of them would be hundreds of MB); trained models all stay."""
    active = active_version(conn, merchant_id)
    rows = conn.execute(
        select(_m.version)
        .where(_m.merchant_id == merchant_id, _m.source == source)
        .order_by(_m.version.desc())
    ).all()
    old = [int(r[0]) for r in rows if int(r[0]) != active][keep:]
    if old:
        conn.execute(delete(t.edd_models).where(_m.merchant_id == merchant_id, _m.version.in_(old)))
    return len(old)


def deactivate(conn: Connection, merchant_id: str) -> None:
    """Back to the rules layer."""
    conn.execute(delete(t.edd_active).where(t.edd_active.c.merchant_id == merchant_id))


def active_versions(conn: Connection) -> dict[str, int]:
    """Every merchant's active model version (the worker's schedule and warm-ups)."""
    a = t.edd_active.c
    return {r[0]: int(r[1]) for r in conn.execute(select(a.merchant_id, a.version))}


# ---- scheduled jobs, once cluster-wide -------------------------------------------------------


def ensure_job(conn: Connection, merchant_id: str, job: str, due_at: datetime) -> None:
    """Create the merchant's schedule row for ``job`` if it has none (first due at ``due_at``)."""
    stmt = upsert_insert(conn, t.edd_jobs).values(merchant_id=merchant_id, job=job, due_at=due_at)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["merchant_id", "job"]))


def claim_job(
    engine: Engine, merchant_id: str, job: str, holder: str, now: datetime, lease: timedelta
) -> bool:
    """Take the job if it is due and nobody holds it (one conditional UPDATE, committed at
    once): of several workers asking at the same moment exactly one gets True."""
    j = t.edd_jobs.c
    with engine.connect().execution_options(write=True) as conn:
        taken = conn.execute(
            update(t.edd_jobs)
            .where(
                j.merchant_id == merchant_id,
                j.job == job,
                j.due_at <= now,
                or_(j.lease_until.is_(None), j.lease_until < now),
            )
            .values(lease_until=now + lease, holder=holder[:64])
        ).rowcount
        conn.commit()
    return bool(taken == 1)


def finish_job(
    engine: Engine,
    merchant_id: str,
    job: str,
    holder: str,
    now: datetime,
    next_due: datetime,
    result: dict[str, Any],
) -> None:
    """Release the job and schedule its next run (only the holder may)."""
    j = t.edd_jobs.c
    with engine.connect().execution_options(write=True) as conn:
        conn.execute(
            update(t.edd_jobs)
            .where(and_(j.merchant_id == merchant_id, j.job == job, j.holder == holder[:64]))
            .values(
                lease_until=None, holder=None, last_run_at=now, due_at=next_due, last_result=result
            )
        )
        conn.commit()


def jobs(conn: Connection, merchant_id: str) -> list[dict[str, Any]]:
    j = t.edd_jobs.c
    rows = conn.execute(
        select(j.job, j.due_at, j.last_run_at, j.last_result, j.lease_until)
        .where(j.merchant_id == merchant_id)
        .order_by(j.job)
    ).mappings()
    return [dict(r) for r in rows]

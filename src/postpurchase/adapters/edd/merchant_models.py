"""Training, back-testing, registering and activating a merchant's own delivery-date model.

``train_merchant`` reads the merchant's delivered shipments from its database, trains on all
but a held-out recent slice (orders placed in the last ``holdout_days``), back-tests on that
slice by continuing the same walk-forward (each held-out order is predicted with only what
was delivered before it), keeps learning from the slice so the stored model knows the most
recent deliveries, and registers the model. It becomes active only when its back-test beats
the active model's on the same slice (or, when the active model had already learned from
that slice, the active model's own back-test), or when ``force`` says so.

"Beats": meeting the promise target (on time at least the merchant's promise confidence,
``CheckoutSettings.promise_confidence``) comes first; between two models that meet it the
one with less slack wins (a padded promise reads as slow shipping); between two that miss
it, the one more often on time. Both models are back-tested at that confidence.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from postpurchase.adapters.db import edd_registry
from postpurchase.adapters.db.edd_registry import ModelRow, NewModel
from postpurchase.adapters.edd.records import DeliveredShipmentRecord
from postpurchase.adapters.edd.store_records import count_delivered, delivered_records
from postpurchase.adapters.model_serving import engine_from_bytes, models_for
from postpurchase.service_layer.edd_serving import ActiveModel

TARGET_ON_TIME = 0.95  # ``beats``'s default target, for callers without a merchant
HOLDOUT_DAYS = 30
KEEP_RECALIBRATIONS = 7  # older inactive re-calibrated copies are dropped (trained ones stay)
METRIC_FIELDS = (
    "orders",
    "promise_on_time_rate",
    "mean_promise_slack_days",
    "p50_mae_days",
    "live_on_time_rate",
    "live_mean_slack_days",
)

# (phase, done, total): phase is "training" or "back-test"
Progress = Callable[[str, int, int], None]


class ModelRefused(ValueError):
    """A model that may not serve: too little history, a corrupt or foreign artefact."""


@dataclass(frozen=True, slots=True)
class TrainOutcome:
    version: int
    model_version: str
    activated: bool
    metrics: dict[str, Any]
    compared_with: dict[str, Any] | None  # the active model's figures, when there was one
    compared_on: str  # "same slice", "its own back-test" or "no active model"
    active_version: int | None  # the version active before this run
    shipments: int
    reason: str
    seconds: dict[str, float] = field(default_factory=dict)


def _metrics(scored: Sequence[Any]) -> dict[str, Any]:
    from postpurchase.adapters.edd.evaluation import contract_metrics

    if not scored:
        return {"orders": 0}
    full = contract_metrics(scored)
    return {k: full.get(k) for k in METRIC_FIELDS}


def _key(metrics: dict[str, Any] | None, target: float) -> tuple[int, float]:
    on = (metrics or {}).get("promise_on_time_rate")
    if on is None:
        return (-1, 0.0)
    slack = (metrics or {}).get("mean_promise_slack_days") or 0.0
    return (1, -float(slack)) if on >= target else (0, float(on))


def beats(new: dict[str, Any], old: dict[str, Any] | None, target: float = TARGET_ON_TIME) -> bool:
    """Whether back-test ``new`` is better than ``old`` at on-time ``target`` (see the
    module's docstring)."""
    return _key(new, target) > _key(old, target)


def _features(engine: Any) -> list[str]:
    space = getattr(engine, "space", None)
    names = getattr(space, "purchase_names", None)
    return [str(n) for n in names] if names else []


def _artefact_bytes(engine: Any) -> tuple[bytes, str]:
    """The engine's artefact, written by the engine's own ``save_engine``."""
    import tempfile

    from postpurchase.adapters.edd.artefact import save_engine

    with tempfile.TemporaryDirectory(prefix="edd-") as tmp:
        path = Path(tmp) / "model.json.gz"
        version = save_engine(engine, path)
        return path.read_bytes(), version


def _header(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(gzip.decompress(data))
    except (OSError, EOFError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def check_artefact(data: bytes) -> tuple[Any, str, dict[str, Any]]:
    """Load ``data`` as the engine would; :class:`ModelRefused` with the engine's reason."""
    from postpurchase.adapters.edd.artefact import ArtefactError

    try:
        engine, model_version = engine_from_bytes(data)
    except ArtefactError as exc:
        raise ModelRefused(_without_path(str(exc))) from None
    except Exception as exc:  # any other failure to load is the same refusal
        raise ModelRefused(
            f"not a readable model artefact ({exc.__class__.__name__}: {exc})"
        ) from None
    return engine, model_version, _header(data)


def _without_path(message: str) -> str:
    """The engine's messages name the (temporary) file; the user knows which file they gave."""
    words = message.split()
    if words and "/edd-" in words[0]:
        words[0] = "the file"
    return " ".join(words)


def _trained(engine: Any) -> bool:
    purchase = getattr(engine, "purchase", None)
    return bool(getattr(purchase, "fitted", False))


def train_merchant(
    db: Engine,
    merchant_id: str,
    *,
    now: datetime,
    config: Any = None,
    holdout_days: int = HOLDOUT_DAYS,
    force: bool = False,
    source: str = "database",
    progress: Progress | None = None,
    confidence: float | None = None,
) -> TrainOutcome:
    """Train on the merchant's delivered shipments, back-test, register, maybe activate.

    The back-tests (new and active model) promise at ``confidence``, by default the
    merchant's promise confidence, and a model must keep that share of its promises to
    "meet the target". Raises :class:`ModelRefused` (nothing stored, the active model
    unchanged) when there is too little delivered history to train the learned layer.
    """
    import time

    from postpurchase.adapters.edd.engine import EngineConfig
    from postpurchase.adapters.edd.engine_parts import ENGINE_VERSION
    from postpurchase.adapters.edd.features import local_day_number
    from postpurchase.adapters.edd.replay import replay, train_from_records

    with db.connect() as conn:
        if confidence is None:
            confidence = edd_registry.promise_confidence(conn, merchant_id)
        config = dataclasses.replace(config or EngineConfig(), confidence=confidence)
        need = config.min_history
        delivered = count_delivered(conn, merchant_id)
        if delivered < need:
            raise ModelRefused(
                f"only {delivered} delivered shipments; the learned layer needs {need}: "
                "the rules layer stays active"
            )
        records = list(delivered_records(conn, merchant_id))
        active = edd_registry.active_version(conn, merchant_id)
        active_row = edd_registry.get_model(conn, merchant_id, active) if active else None
        active_bytes = edd_registry.artefact(conn, merchant_id, active) if active else None
    seconds: dict[str, float] = {}
    last_order = max(r.ordered_at for r in records)
    cut = last_order - timedelta(days=holdout_days)
    train_part = [r for r in records if r.ordered_at < cut]

    def report(phase: str) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        return lambda done, total: progress(phase, done, total)

    started = time.perf_counter()
    engine = train_from_records(train_part, config, until=cut, progress=report("training"))
    seconds["train"] = time.perf_counter() - started
    if not _trained(engine):
        mature = len(train_part)
        raise ModelRefused(
            f"{delivered} delivered shipments, but too few of them old enough to learn from "
            f"({mature} ordered before {cut:%Y-%m-%d}, the learned layer needs {need} placed "
            f"at least {getattr(config, 'mature_days', 45):g} days before that): the rules layer "
            "stays active"
        )
    started = time.perf_counter()
    scored = replay(engine, records, score_from=cut, progress=report("back-test"))
    end = max(r.delivered_at for r in records) + timedelta(seconds=1)
    engine.refit(local_day_number(end))  # the stored model knows the most recent deliveries
    seconds["back_test"] = time.perf_counter() - started
    metrics = _metrics(scored)
    metrics["held_out_from"] = cut.isoformat()
    metrics["confidence"] = confidence

    compared: dict[str, Any] | None = None
    compared_on = "no active model"
    if active_bytes is not None and active_row is not None:
        compared, compared_on = _score_active(
            active_bytes, active_row, records, cut, metrics, confidence
        )
    better = (
        beats(metrics, compared, confidence)
        if compared is not None
        else metrics.get("orders", 0) > 0
    )
    activate_it = force or better
    if force and not better:
        reason = "activated anyway (--force)"
    elif better:
        reason = "its back-test beats the active model" if compared else "first learned model"
    else:
        reason = "kept the active model: it did as well or better on the back-test"

    data, model_version = _artefact_bytes(engine)
    new = NewModel(
        model_version=model_version,
        engine_version=ENGINE_VERSION,
        format_version=int(_header(data).get("format_version") or 0),
        trained_from=min(r.ordered_at for r in records),
        trained_until=end,
        shipments=len(records),
        source=source,
        features=_features(engine),
        metrics=metrics,
        artefact=data,
    )
    with db.connect().execution_options(write=True) as conn:
        version = edd_registry.add_model(conn, merchant_id, new, now)
        if activate_it:
            edd_registry.activate(conn, merchant_id, version, now)
        conn.commit()
    if activate_it:
        models_for(db).put(merchant_id, ActiveModel(merchant_id, version, model_version, engine))
    return TrainOutcome(
        version=version,
        model_version=model_version,
        activated=activate_it,
        metrics=metrics,
        compared_with=compared,
        compared_on=compared_on,
        active_version=active,
        shipments=len(records),
        reason=reason,
        seconds=seconds,
    )


def _score_active(
    data: bytes,
    row: ModelRow,
    records: list[DeliveredShipmentRecord],
    cut: datetime,
    new_metrics: dict[str, Any],
    confidence: float,
) -> tuple[dict[str, Any], str]:
    """The active model's figures on the same held-out slice (promising at ``confidence``,
    as the new one did) when it had not learned from it, else its own back-test."""
    from postpurchase.adapters.edd.replay import replay

    try:
        old: Any = engine_from_bytes(data)[0]
        old.config = dataclasses.replace(old.config, confidence=confidence)
        scored = replay(old, records, score_from=cut)
    except Exception:  # an unloadable active model is beaten by any working one
        return {"orders": 0}, "the active model would not load"
    wanted = int(new_metrics.get("orders") or 0)
    if wanted and len(scored) >= math.ceil(0.9 * wanted):
        return _metrics(scored), "same slice"
    return dict(row.metrics), "its own back-test"


def register_file(
    db: Engine, merchant_id: str, path: Path, *, now: datetime, activate: bool = True
) -> ModelRow:
    """Register a model file trained elsewhere (``edd train --olist DIR --model FILE``) and,
    by default, activate it. A corrupt file or one from another format version is refused
    before anything is stored, so the active model stays as it was."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    engine, model_version, header = check_artefact(data)
    if not _trained(engine):
        raise ModelRefused(f"{path} holds no trained model (its learned layer never fitted)")
    body = header.get("body") or {}
    until = body.get("trained_until")
    new = NewModel(
        model_version=model_version,
        engine_version=str(header.get("engine_version") or ""),
        format_version=int(header.get("format_version") or 0),
        trained_from=None,
        trained_until=datetime.fromisoformat(until) if until else None,
        shipments=sum(1 for o in body.get("orders", []) if o.get("outcome") is not None),
        source="file",
        features=_features(engine),
        metrics={"file": path.name, "sha256": hashlib.sha256(data).hexdigest()},
        artefact=data,
    )
    with db.connect().execution_options(write=True) as conn:
        version = edd_registry.add_model(conn, merchant_id, new, now)
        if activate:
            edd_registry.activate(conn, merchant_id, version, now)
        conn.commit()
        row = edd_registry.get_model(conn, merchant_id, version)
    assert row is not None
    if activate:
        models_for(db).put(merchant_id, ActiveModel(merchant_id, version, model_version, engine))
    return row


def activate_version(db: Engine, merchant_id: str, version: int, *, now: datetime) -> ModelRow:
    """Switch the merchant to a registered version, after loading it: a version whose bytes
    this engine cannot read is refused and the active model stays as it was."""
    with db.connect() as conn:
        row = edd_registry.get_model(conn, merchant_id, version)
        data = edd_registry.artefact(conn, merchant_id, version) if row else None
    if row is None or data is None:
        raise LookupError(f"no model version {version}")
    engine, model_version, _ = check_artefact(data)
    with db.connect().execution_options(write=True) as conn:
        edd_registry.activate(conn, merchant_id, version, now)
        conn.commit()
        fresh = edd_registry.get_model(conn, merchant_id, version)
    models_for(db).put(merchant_id, ActiveModel(merchant_id, version, model_version, engine))
    assert fresh is not None
    return fresh


def register_engine(
    db: Engine,
    merchant_id: str,
    engine: Any,
    *,
    now: datetime,
    based_on: ModelRow,
    records: Sequence[DeliveredShipmentRecord],
) -> int:
    """Store a re-calibrated copy of the active model as a new active version (the worker's
    daily re-calibration); its metrics are the model's it came from, marked as such."""
    from postpurchase.adapters.edd.engine_parts import ENGINE_VERSION

    data, model_version = _artefact_bytes(engine)
    new = NewModel(
        model_version=model_version,
        engine_version=ENGINE_VERSION,
        format_version=int(_header(data).get("format_version") or 0),
        trained_from=based_on.trained_from,
        trained_until=max(r.delivered_at for r in records) + timedelta(seconds=1),
        shipments=len(records),
        source="recalibration",
        features=_features(engine),
        metrics={**based_on.metrics, "recalibrated_from": based_on.version},
        artefact=data,
    )
    with db.connect().execution_options(write=True) as conn:
        version = edd_registry.add_model(conn, merchant_id, new, now)
        edd_registry.activate(conn, merchant_id, version, now)
        edd_registry.prune(conn, merchant_id, "recalibration", KEEP_RECALIBRATIONS)
        conn.commit()
    models_for(db).put(merchant_id, ActiveModel(merchant_id, version, model_version, engine))
    return version

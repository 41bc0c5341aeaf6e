"""Versioned model artefacts: one gzip-compressed JSON file, no pickle.

JSON because an artefact outlives the code that wrote it and may be shared between
installations: it must be inspectable, diffable and safe to load (unpickling a file runs
arbitrary code). LightGBM boosters are stored in their own text format. The artefact also
carries the engine's delivered-order history (features and outcomes), because the
learned layer keeps learning from where training stopped: ``evaluate`` continues the same
walk-forward, and production refits on the merged history.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import tempfile
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from postpurchase.adapters.edd.engine import ENGINE_VERSION, EddEngine, EngineConfig, OrderState
from postpurchase.adapters.edd.features import FeatureSpace, OrderFacts, local_day_number
from postpurchase.adapters.edd.history import Outcome

FORMAT = "postpurchase-edd-model"
FORMAT_VERSION = 1


class ArtefactError(ValueError):
    """The file is not a usable model artefact (wrong format, version or corrupt)."""


def _clean(values: list[float] | tuple[float, ...] | None) -> list[float | None] | None:
    if values is None:
        return None
    return [None if isinstance(v, float) and math.isnan(v) else v for v in values]


def _nan(values: list[float | None] | None) -> list[float] | None:
    if values is None:
        return None
    return [math.nan if v is None else float(v) for v in values]


def _facts_to_dict(f: OrderFacts) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fl in fields(OrderFacts):
        v = getattr(f, fl.name)
        if isinstance(v, datetime | date):
            v = v.isoformat()
        elif isinstance(v, float) and math.isnan(v):
            v = None
        elif isinstance(v, tuple):
            v = _clean(list(v)) if fl.name == "extras" else list(v)
        out[fl.name] = v
    return out


def _facts_from_dict(d: dict[str, Any]) -> OrderFacts:
    floats = {
        "dest_capital",
        "origin_capital",
        "distance_km",
        "same_region",
        "weight_grams",
        "volume_cm3",
        "quote_days",
    }
    kw: dict[str, Any] = dict(d)
    kw["ordered_at"] = datetime.fromisoformat(d["ordered_at"])
    kw["order_day"] = date.fromisoformat(d["order_day"])
    for k in floats:
        kw[k] = math.nan if d.get(k) is None else float(d[k])  # quote_days: newer artefacts
    kw["extras"] = tuple(_nan(d["extras"]) or ())
    kw["reasons"] = tuple(d.get("reasons", ()))
    return OrderFacts(**kw)


def _order_to_dict(s: OrderState) -> dict[str, Any]:
    return {
        "id": s.order_id,
        "facts": _facts_to_dict(s.facts),
        "purchase_row": _clean(s.purchase_row),
        "live_row": _clean(s.live_row),
        "raw": _clean(s.raw),
        "raw_live": _clean(s.raw_live),
        "promise_days": s.promise_days,
        "live_promise_days": s.live_promise_days,
        "outcome": None
        if s.outcome is None
        else _clean([s.outcome.total_days, s.outcome.handling_days, s.outcome.transit_days]),
        "delivered_at": s.delivered_at.isoformat() if s.delivered_at else None,
        "handed_over_at": s.handed_over_at.isoformat() if s.handed_over_at else None,
    }


def _order_from_dict(d: dict[str, Any]) -> OrderState:
    raw = _nan(d["raw"])
    raw_live = _nan(d["raw_live"])
    outcome = _nan(d["outcome"])
    return OrderState(
        order_id=d["id"],
        facts=_facts_from_dict(d["facts"]),
        purchase_row=_nan(d["purchase_row"]),
        live_row=_nan(d["live_row"]),
        raw=tuple(raw) if raw is not None else None,
        raw_live=tuple(raw_live) if raw_live is not None else None,
        promise_days=d.get("promise_days"),
        live_promise_days=d.get("live_promise_days"),
        outcome=Outcome(*outcome) if outcome is not None else None,
        delivered_at=datetime.fromisoformat(d["delivered_at"]) if d["delivered_at"] else None,
        handed_over_at=datetime.fromisoformat(d["handed_over_at"]) if d["handed_over_at"] else None,
    )


def engine_to_dict(engine: EddEngine) -> dict[str, Any]:
    body: dict[str, Any] = {
        "config": engine.config.to_dict(),
        "space": {"regions": list(engine.space.regions)},
        "purchase": engine.purchase.to_dict(),
        "transit": engine.transit.to_dict(),
        "last_fit": engine.last_fit,
        "fit_count": engine.fit_count,
        "trained_until": engine.trained_until.isoformat() if engine.trained_until else None,
        "orders": [_order_to_dict(s) for s in engine.orders.values()],
    }
    return body


def engine_from_dict(body: dict[str, Any]) -> EddEngine:
    engine = EddEngine(
        EngineConfig.from_dict(body["config"]),
        space=FeatureSpace(tuple(body["space"]["regions"])),
    )
    engine.purchase.load(body["purchase"])
    engine.transit.load(body["transit"])
    engine.last_fit = body["last_fit"]
    engine.fit_count = body["fit_count"]
    engine.trained_until = (
        datetime.fromisoformat(body["trained_until"]) if body["trained_until"] else None
    )
    if engine.trained_until is not None:  # deliveries are known up to the cut-off
        engine.known_until = local_day_number(engine.trained_until)
    orders = [_order_from_dict(d) for d in body["orders"]]
    engine.orders = {s.order_id: s for s in orders}
    for s in orders:  # every order it knew, open or not (the network backlog features)
        engine.history.note_order(s.facts)
    delivered = sorted(
        (s for s in orders if s.outcome is not None and s.delivered_at is not None),
        key=lambda s: s.delivered_at or datetime.min,
    )
    for s in delivered:  # rebuild the decayed statistics in delivery order
        assert s.outcome is not None and s.delivered_at is not None
        engine.history.observe(s.facts, s.outcome, s.delivered_at)
    return engine


def model_version(body: dict[str, Any]) -> str:
    """Stable id of a trained model: engine version, training cut-off and a content hash."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    until = (body.get("trained_until") or "untrained")[:10].replace("-", "")
    return f"{ENGINE_VERSION}+{until}.{digest}"


def save_engine(engine: EddEngine, path: Path | str) -> str:
    """Write atomically (temp file + rename) and return the model version string."""
    path = Path(path)
    body = engine_to_dict(engine)
    version = model_version(body)
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "engine_version": ENGINE_VERSION,
        "model_version": version,
        "created_at": datetime.now().astimezone().isoformat(),
        "body": body,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            gz.write(json.dumps(document, separators=(",", ":")).encode())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide the model from the service
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return version


def read_document(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    try:
        with gzip.open(path, "rb") as gz:
            document = json.loads(gz.read())
    except FileNotFoundError:
        raise ArtefactError(f"model file {path} not found") from None
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtefactError(f"{path} is not a readable model artefact ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ArtefactError(f"{path} is not a postpurchase EDD model")
    if document.get("format_version") != FORMAT_VERSION:
        raise ArtefactError(
            f"{path} has format version {document.get('format_version')}, "
            f"this engine reads version {FORMAT_VERSION}: retrain it"
        )
    return document


def load_engine(path: Path | str) -> tuple[EddEngine, str]:
    """Load an artefact; returns the engine and its model version."""
    document = read_document(path)
    try:
        engine = engine_from_dict(document["body"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtefactError(f"{path} is corrupt ({exc.__class__.__name__}: {exc})") from None
    return engine, str(document["model_version"])

"""Serving delivery-date models from the registry: the :class:`ModelSource` behind
``EngineCache`` and the one cache per process and database (``models_for``).

An artefact is read through the engine's own ``load_engine`` (so its format and version
checks are the engine's), from a private temporary file holding the registry's bytes. Kept
outside the ``adapters.edd`` package, whose import loads the model stack (LightGBM,
scikit-learn, pandas: seconds): a process pays for that only when it loads a model.
"""

from __future__ import annotations

import os
import tempfile
import threading
import weakref
from pathlib import Path

from sqlalchemy import Engine

from postpurchase.adapters.db import edd_registry
from postpurchase.service_layer.edd_serving import DeliveryEngine, EngineCache


def engine_from_bytes(data: bytes) -> tuple[DeliveryEngine, str]:
    """Load an artefact held in memory; raises ``ArtefactError`` when it is unusable."""
    from postpurchase.adapters.edd.artefact import load_engine

    fd, name = tempfile.mkstemp(prefix="edd-", suffix=".json.gz")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return load_engine(Path(name))
    finally:
        Path(name).unlink(missing_ok=True)


class RegistrySource:
    """The registry in the platform's database."""

    def __init__(self, engine: Engine) -> None:
        # Weakly: the process-wide cache below is keyed weakly by the engine, and a strong
        # reference from its value would keep every engine (and its pool of open database
        # connections) alive for good, one per CLI run or test that made an engine.
        self._engine = weakref.ref(engine)

    @property
    def engine(self) -> Engine:
        engine = self._engine()
        if engine is None:
            raise LookupError("the database engine of this model cache was disposed of")
        return engine

    def active_version(self, merchant_id: str) -> int | None:
        with self.engine.connect() as conn:
            return edd_registry.active_version(conn, merchant_id)

    def promise_confidence(self, merchant_id: str) -> float:
        with self.engine.connect() as conn:
            return edd_registry.promise_confidence(conn, merchant_id)

    def load(self, merchant_id: str, version: int) -> tuple[DeliveryEngine, str]:
        with self.engine.connect() as conn:
            data = edd_registry.artefact(conn, merchant_id, version)
        if data is None:
            raise LookupError(f"no model version {version} for merchant {merchant_id}")
        return engine_from_bytes(data)


_CACHES: weakref.WeakKeyDictionary[Engine, EngineCache] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def models_for(engine: Engine) -> EngineCache:
    """This process's model cache for the database behind ``engine`` (made on first use)."""
    with _LOCK:
        found = _CACHES.get(engine)
        if found is None:
            found = _CACHES[engine] = EngineCache(RegistrySource(engine))
        return found

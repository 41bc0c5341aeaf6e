"""The learned layer of delivery-date estimation and everything that needs I/O or numpy.

Public entry points:

* ``train_from_records(records)`` — train from any iterable of ``DeliveredShipmentRecord``
  (the platform's own database, Olist CSVs via ``load_olist``, the simulator). Below
  ``MIN_HISTORY`` delivered shipments the engine stays on rules and says so.
* ``EddEngine.estimate / estimate_many / live`` — purchase-time and live estimates.
* ``replay`` — the walk-forward evaluation; ``contract_metrics`` scores it.
* ``save_engine / load_engine`` — versioned artefacts.
"""

from postpurchase.adapters.edd.artefact import ArtefactError, load_engine, save_engine
from postpurchase.adapters.edd.engine import (
    MIN_HISTORY,
    EddEngine,
    EngineConfig,
    Scored,
)
from postpurchase.adapters.edd.evaluation import calibration_curve, contract_metrics
from postpurchase.adapters.edd.olist import LoadReport, OlistInputError, load_olist
from postpurchase.adapters.edd.records import DeliveredShipmentRecord
from postpurchase.adapters.edd.replay import replay, train_from_records

__all__ = [
    "MIN_HISTORY",
    "ArtefactError",
    "DeliveredShipmentRecord",
    "EddEngine",
    "EngineConfig",
    "LoadReport",
    "OlistInputError",
    "Scored",
    "calibration_curve",
    "contract_metrics",
    "load_engine",
    "load_olist",
    "replay",
    "save_engine",
    "train_from_records",
]

"""Shared fixtures for the EDD integration tests: a small simulated marketplace, fast config."""

from __future__ import annotations

from pathlib import Path

import pytest

from postpurchase.adapters.edd.engine import EngineConfig
from postpurchase.adapters.edd.learned import GbmParams
from postpurchase.adapters.edd.records import DeliveredShipmentRecord
from postpurchase.adapters.edd.synthetic import SyntheticConfig, make_records, write_olist

# Small trees and a sparse refit schedule: the behaviour under test is the same, the cost
# is a few seconds instead of a minute.
FAST = EngineConfig(
    min_history=150,
    min_calibration_scores=40,
    refit_every_days=14,
    train_refit_every_days=30,
    fit_window_days=60,
    mature_days=30,
    calibration_window_days=60,
    gbm=GbmParams(n_estimators=40, learning_rate=0.15),
)


@pytest.fixture(scope="session")
def fast_config() -> EngineConfig:
    return FAST


@pytest.fixture(scope="session")
def market() -> list[DeliveredShipmentRecord]:
    """~2,400 orders over 200 days; transit slows by half from day 150."""
    return make_records(SyntheticConfig(days=200, shock_day=150, shock_factor=1.5))


@pytest.fixture(scope="session")
def olist_dir(
    tmp_path_factory: pytest.TempPathFactory, market: list[DeliveredShipmentRecord]
) -> Path:
    return write_olist(market, tmp_path_factory.mktemp("olist"))

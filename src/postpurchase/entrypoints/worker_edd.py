"""The worker's delivery-date model jobs (``adapters.edd.schedule``): one periodic task that
runs what is due (API-requested trainings, weekly re-training, daily re-calibration and
drift check), each once cluster-wide through a lease in ``edd_jobs``."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from postpurchase.bootstrap import Platform

PLAN_EVERY = 3600.0  # seconds between looks for merchants that need a schedule
_planned: dict[int, float] = {}


def cadence(platform: Platform) -> Any:
    from postpurchase.adapters.edd.schedule import Cadence

    s = platform.settings
    return Cadence(
        retrain=timedelta(days=s.edd_retrain_days),
        recalibrate=timedelta(hours=s.edd_recalibrate_hours),
        drift_window=s.edd_drift_window,
        target_low=s.edd_target_low,
        target_high=s.edd_target_high,
    )


def run(platform: Platform, *, config: Any = None) -> int:
    """Plan (hourly) and run the due model jobs; returns how many ran."""
    from postpurchase.adapters.edd import schedule

    now = platform.clock.now()
    every = cadence(platform)
    key = id(platform)
    if time.monotonic() - _planned.get(key, -PLAN_EVERY) >= PLAN_EVERY:
        schedule.plan(platform.engine, now, every)
        _planned[key] = time.monotonic()
    return len(schedule.run_due(platform.engine, now, every, config=config))

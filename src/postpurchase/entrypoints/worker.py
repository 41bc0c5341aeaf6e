"""The background worker: Huey tasks that drain the outbox and run the periodic sweeps.

Tasks are thin: load the platform, call the service, return. The same registration runs in
the API process (so it can enqueue) and in the worker process (so it can execute).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from huey import Huey, crontab

from postpurchase.adapters import outbox
from postpurchase.adapters.db.kpis import facts as kpi_facts
from postpurchase.adapters.db.kpis import message_rollup
from postpurchase.adapters.db.periodic import run_once
from postpurchase.adapters.queue import (
    EmbeddedConsumer,
    HueyTaskQueue,
    WakeableConsumer,
    Wakeup,
    make_huey,
)
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.entrypoints import carrier_tasks, inbox, metrics, worker_edd

logger = logging.getLogger(__name__)

FOLD_BATCH = 5000  # scans per fold transaction: big enough to batch a parcel's scans
DRAIN_SLICE = 1000  # outbox rows per drain task before it re-queues itself
MINUTE = timedelta(minutes=1)
KPI_BATCHES = 25  # batches of KPI facts per tick (kpi_facts.BATCH shipments each)


@dataclass
class Worker:
    huey: Huey
    platform: Platform
    drain_task: Any
    periodic: dict[str, Any] = field(default_factory=dict)  # name -> Huey task (tests call them)
    wakeup: Wakeup = field(default_factory=Wakeup)  # this process's nudges wake its threads

    def consumer(self, threads: int, *, embedded: bool = False) -> Any:
        cls = EmbeddedConsumer if embedded else WakeableConsumer
        # Poll an idle SQLite queue every 10-250 ms rather than Huey's 0.1-10 s: a nudge from
        # another process is picked up within a quarter second, one from this process at
        # once (Wakeup; Redis storage blocks on the list instead).
        kwargs = {
            "workers": threads,
            "worker_type": "thread",
            "periodic": True,
            "initial_delay": 0.01,
            "backoff": 1.15,
            "max_delay": 0.25,
        }
        if embedded:
            kwargs["check_worker_health"] = False
        return cls(self.huey, wakeup=self.wakeup, **kwargs)


def _report(job: str, items: int) -> int:
    """Count a job's work and say it at info level (silent when there was nothing)."""
    if items:
        metrics.WORKER_JOBS.labels(job).inc(items)
        logger.info("%s handled %d", job, items, extra={"job": job, "items": items})
    return items


def drain_outbox(platform: Platform, limit: int | None = None) -> int:
    return outbox.drain(platform.engine, platform.subscribers, now=platform.clock.now, limit=limit)


def fold_tracking(platform: Platform, limit: int = FOLD_BATCH) -> int:
    """Fold until the queue is empty; returns the number of scans folded."""
    total = 0
    while True:
        n = int(platform.bus().handle(commands.FoldTracking("*", limit)))
        total += n
        if n < limit:
            return total


def sweep(platform: Platform) -> int:
    flagged = platform.bus().handle(commands.SweepStaleShipments("*", platform.clock.now()))
    return int(flagged)


def refresh_kpis(platform: Platform, budget: int = KPI_BATCHES) -> int:
    """Up to ``budget`` batches of KPI facts per tick, each its own short transaction."""
    total = 0
    for _ in range(budget):
        with platform.engine.connect().execution_options(write=True) as conn:
            done = kpi_facts.refresh(conn, platform.clock.now())
            conn.commit()
        total += done
        if done < kpi_facts.BATCH:
            break
    with platform.engine.connect().execution_options(write=True) as conn:
        message_rollup.refresh(conn, platform.clock.now())  # the days due, for every merchant
        conn.commit()
    return total


def once(platform: Platform, name: str, every: timedelta, job: Callable[[], int]) -> int:
    """Run a periodic job only if this process wins its tick: every worker process schedules
    it, the cluster runs it once per tick (adapters/db/periodic.py)."""
    done = run_once(platform.engine, name, every, platform.clock.now, job)
    return 0 if done is None else done


def build(settings: Settings | None = None, platform: Platform | None = None) -> Worker:
    """Wire Huey to a platform; the platform's queue becomes this Huey's publisher."""
    platform = platform or bootstrap(settings)
    huey = make_huey(platform.settings)

    @huey.task(name="drain_outbox", retries=3, retry_delay=5)  # type: ignore[untyped-decorator]
    def drain_task() -> int:
        # A slice at a time: a thread comes back to the queue often enough for a fold
        # (higher priority) never to wait behind a backlog of deliveries.
        done = drain_outbox(platform, limit=DRAIN_SLICE)
        _report("drain_outbox", done)
        if done >= DRAIN_SLICE:
            platform.queue.nudge_outbox()
        return done

    @huey.task(name="fold_tracking", retries=3, retry_delay=5, priority=10)  # type: ignore[untyped-decorator]
    def fold_task() -> int:
        # Its own task, not a step of the drain: folding must not wait behind a slow
        # delivery (the events it raises wake the drain through the bus).
        return _report("fold_tracking", fold_tracking(platform))

    @huey.periodic_task(crontab(minute="*"), name="drain_outbox_sweep")  # type: ignore[untyped-decorator]
    def drain_sweep() -> int:
        # Safety net: a nudge lost between commit and enqueue is picked up within a minute.
        def job() -> int:
            try:
                _report("fold_tracking", fold_tracking(platform))
            except Exception:  # e.g. an accept stuck open outlasted the fold's wait (ADR 0036)
                logger.warning("the sweep's fold failed; its drain runs anyway", exc_info=True)
            return _report("drain_outbox", drain_outbox(platform))

        return once(platform, "drain_outbox_sweep", MINUTE, job)

    @huey.periodic_task(crontab(minute="*"), name="webhook_inbox_sweep")  # type: ignore[untyped-decorator]
    def inbox_sweep() -> int:
        # Store deliveries whose processing failed, waited for their order, or whose API
        # process died before processing them: retried here, at their backoff time.
        return once(
            platform,
            "webhook_inbox_sweep",
            MINUTE,
            lambda: _report("webhook_inbox", inbox.drain(platform)),
        )

    every = platform.settings.sweep_interval_minutes

    @huey.periodic_task(crontab(minute=f"*/{every}"), name="stale_shipments_sweep")  # type: ignore[untyped-decorator]
    def stale_sweep() -> int:
        def job() -> int:
            flagged = sweep(platform)
            if flagged:
                logger.info("flagged %d quiet shipments", flagged)
            return flagged

        return once(platform, "stale_shipments_sweep", timedelta(minutes=every), job)

    carrier_tasks.register(huey, platform)  # tracking by polling carriers (issue 13)

    @huey.periodic_task(crontab(minute="*"), name="edd_models")  # type: ignore[untyped-decorator]
    def edd_models() -> int:
        # Model trainings asked for through the API, weekly re-training, daily re-calibration
        # and drift checks: each once cluster-wide (a lease per merchant and job).
        return _report("edd_models", worker_edd.run(platform))

    @huey.periodic_task(crontab(minute="*"), name="kpi_facts")  # type: ignore[untyped-decorator]
    def kpi_facts_task() -> int:
        # The dashboards' per-shipment facts (issue 14): new shipments and moving ones.
        return once(
            platform, "kpi_facts", MINUTE, lambda: _report("kpi_facts", refresh_kpis(platform))
        )

    wakeup = Wakeup()
    platform.queue = HueyTaskQueue(drain_task, fold_task, wakeup)
    periodic = {"drain_outbox_sweep": drain_sweep, "webhook_inbox_sweep": inbox_sweep}
    periodic["stale_shipments_sweep"] = stale_sweep
    periodic["kpi_facts"] = kpi_facts_task
    return Worker(huey, platform, drain_task, periodic, wakeup)

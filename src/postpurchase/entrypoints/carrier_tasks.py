"""The worker's carrier polling: wiring the poller to the platform, and its periodic task.

Kept out of ``worker`` so the worker only registers it (one call).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any

from huey import Huey, crontab

from postpurchase.adapters.carriers.gateways import gateway_for, rate_for
from postpurchase.adapters.carriers.limits import TokenBuckets
from postpurchase.adapters.carriers.reading import to_update
from postpurchase.adapters.db.carrier_store import SqlPollStore
from postpurchase.bootstrap import Platform
from postpurchase.domain import commands
from postpurchase.domain.carriers import CarrierAccount, CarrierGateway, PollPolicy, TrackBatch
from postpurchase.domain.commands import TrackingUpdate
from postpurchase.service_layer.carriers.polling import Poller, PollReport, poll_round

log = logging.getLogger(__name__)

ROUND_BUDGET_SECONDS = 50.0  # a periodic run (every minute) stops claiming after this


def policy_from(platform: Platform) -> PollPolicy:
    s = platform.settings
    base = PollPolicy(idle_days=s.carrier_poll_idle_days)
    k = s.carrier_poll_cadence_scale
    return replace(
        base,
        pre_transit=base.pre_transit * k,
        in_transit=base.in_transit * k,
        out_for_delivery=base.out_for_delivery * k,
        trouble=base.trouble * k,
    )


class _Gateways:
    """One gateway per account version, reused across rounds (connections, OAuth tokens)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._cache: dict[tuple[str, Any], CarrierGateway] = {}
        self._lock = threading.Lock()

    def __call__(self, account: CarrierAccount) -> CarrierGateway:
        key = (account.id, account.updated_at)
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        s = self.platform.settings
        made = gateway_for(account, api_urls=s.carrier_api_urls, timeout=s.carrier_timeout_seconds)
        with self._lock:
            for old in [k for k in self._cache if k[0] == account.id]:
                del self._cache[old]  # the account changed: its old gateway goes
            self._cache[key] = made
        return made


def make_poller(platform: Platform, *, limiter: TokenBuckets | None = None) -> Poller:
    def to_updates(account: CarrierAccount, batch: TrackBatch) -> list[TrackingUpdate]:
        return [to_update(account, r) for r in batch.results]

    def ingest(merchant_id: str, updates: tuple[TrackingUpdate, ...]) -> int:
        results = platform.bus().handle(commands.RecordTracking(merchant_id, updates))
        return sum(int(r.get("new_events", 0)) for r in results or [])

    return Poller(
        store=SqlPollStore(platform.engine, platform.keyring, platform.clock.now),
        gateway_for=_Gateways(platform),
        rate_for=rate_for,
        to_updates=to_updates,
        ingest=ingest,
        limiter=limiter or TokenBuckets(),
        clock=platform.clock,
        policy=policy_from(platform),
    )


def poll_until_done(poller: Poller, batch: int, budget: float = ROUND_BUDGET_SECONDS) -> PollReport:
    """Rounds until nothing is due or the time budget is spent; the reports summed."""
    total = PollReport()
    start = time.monotonic()
    while time.monotonic() - start < budget:
        r = poll_round(poller, batch)
        total.polled += r.polled
        total.ingested_events += r.ingested_events
        total.failed_accounts.update(r.failed_accounts)
        total.rescheduled += r.rescheduled
        total.stopped += r.stopped
        total.calls += r.calls
        if r.polled + len(r.failed_accounts) == 0 or r.polled < batch:
            break
    return total


def register(huey: Huey, platform: Platform) -> None:
    """The periodic poll (every minute), when polling is enabled."""
    if not platform.settings.carrier_poll_enabled:
        return
    poller = make_poller(platform)

    @huey.periodic_task(crontab(minute="*"), name="carrier_poll")  # type: ignore[untyped-decorator]
    def carrier_poll() -> int:
        report = poll_until_done(poller, platform.settings.carrier_poll_batch)
        if report.polled or report.failed_accounts:
            log.info(
                "carrier poll: %d shipments, %d new scans, %d accounts failing",
                report.polled,
                report.ingested_events,
                len(report.failed_accounts),
                extra={"job": "carrier_poll", "items": report.polled},
            )
        return report.polled

"""Tracking without an aggregator: poll carriers for shipments nobody pushes scans for.

One round (:func:`poll_round`):

1. **Claim** (one short transaction in the store): enrol open shipments of carriers the
   merchant has an account with, then take the due ones by moving them a lease ahead, so
   no other worker polls them meanwhile (the lease is renewed while the round works).
   Accounts backing off after a 429/5xx are skipped.
2. **Ask** (no transaction open): per account, in a thread of its own, in batches of the
   connector's size, each call waiting for the account's rate limit. One carrier's slow or
   failing API therefore never holds up another's.
3. **Ingest** each answer through the same command a webhook sends (``RecordTracking``:
   dedupe, status fold, notifications), then **reschedule** the batch from the shipments'
   new stages (:func:`~postpurchase.domain.carriers.next_poll`).

A transient failure (429, 5xx, timeout) backs the whole account off, on every worker
(``paused_until``), for the carrier's ``Retry-After`` or an exponential delay; refused
credentials back it off for the longest delay and keep the error for the operator.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from postpurchase.domain.carriers import (
    CarrierAccount,
    CarrierError,
    CarrierFailure,
    CarrierGateway,
    PollPolicy,
    TrackBatch,
    backoff,
    next_poll,
)
from postpurchase.domain.commands import TrackingUpdate
from postpurchase.domain.status import ShipmentStatus
from postpurchase.service_layer.ports import Clock

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class PollItem:
    shipment_id: str
    merchant_id: str
    account_id: str
    tracking_number: str


@dataclass(frozen=True, slots=True)
class PollState:
    shipment_id: str
    status: ShipmentStatus
    moved_at: datetime | None  # last scan, else when the shipment was created


@dataclass(frozen=True, slots=True)
class Reschedule:
    shipment_id: str
    next_at: datetime | None  # None: stop polling
    stop_reason: str | None = None
    error: str | None = None


class PollStore(Protocol):
    """The poll schedule and the accounts, each method its own short transaction."""

    def claim(self, now: datetime, lease: timedelta, limit: int) -> list[PollItem]: ...
    def accounts(self, ids: Sequence[str]) -> dict[str, CarrierAccount]: ...
    def states(self, shipment_ids: Sequence[str]) -> list[PollState]: ...
    def reschedule(self, rows: Sequence[Reschedule], now: datetime) -> None: ...
    def account_failed(
        self, account_id: str, until: datetime, failures: int, error: str
    ) -> None: ...
    def account_ok(self, account_id: str, now: datetime) -> None: ...
    def holding(self, shipment_ids: Sequence[str]) -> AbstractContextManager[None]: ...


class Limiter(Protocol):
    def acquire(self, key: str, rate: float) -> None:
        """Block until ``key`` may make one more call at ``rate`` calls per second."""
        ...


@dataclass
class PollReport:
    """What a round did; account threads add to it under its lock."""

    polled: int = 0
    ingested_events: int = 0
    failed_accounts: dict[str, str] = field(default_factory=dict)
    rescheduled: int = 0
    stopped: int = 0
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def failed(self, account_id: str, message: str) -> None:
        with self._lock:
            self.failed_accounts[account_id] = message


@dataclass
class Poller:
    store: PollStore
    gateway_for: Callable[[CarrierAccount], CarrierGateway]
    rate_for: Callable[[CarrierAccount], float]
    to_updates: Callable[[CarrierAccount, TrackBatch], list[TrackingUpdate]]
    ingest: Callable[[str, tuple[TrackingUpdate, ...]], int]
    limiter: Limiter
    clock: Clock
    policy: PollPolicy = field(default_factory=PollPolicy)
    threads: int = 8
    lease: timedelta = LEASE


def poll_round(poller: Poller, limit: int = 500) -> PollReport:
    """Claim up to ``limit`` due shipments and poll them, each account on its own thread."""
    report = PollReport()
    items = poller.store.claim(poller.clock.now(), poller.lease, limit)
    if not items:
        return report
    by_account: dict[str, list[PollItem]] = defaultdict(list)
    for item in items:
        by_account[item.account_id].append(item)
    accounts = poller.store.accounts(list(by_account))
    with ThreadPoolExecutor(
        max_workers=max(1, min(poller.threads, len(by_account))), thread_name_prefix="poll"
    ) as pool:
        futures = [
            pool.submit(_poll_account, poller, accounts[aid], batch, report)
            for aid, batch in by_account.items()
            if aid in accounts
        ]
        wait(futures)
        for f in futures:
            f.result()
    return report


def _chunks(items: list[PollItem], size: int) -> Iterator[list[PollItem]]:
    for i in range(0, len(items), max(1, size)):
        yield items[i : i + size]


def _poll_account(
    poller: Poller, account: CarrierAccount, items: list[PollItem], report: PollReport
) -> None:
    """Every claimed shipment of one account; stops at the account's first failure and
    hands the rest back for when the back-off ends."""
    store, clock = poller.store, poller.clock
    with store.holding([i.shipment_id for i in items]):
        try:
            gateway = poller.gateway_for(account)
        except CarrierError as exc:
            _fail(poller, account, items, exc, report)
            return
        rate = poller.rate_for(account)
        key = f"{account.carrier}:{account.id}"
        batches = list(_chunks(items, gateway.max_batch))
        for n, batch in enumerate(batches):
            poller.limiter.acquire(key, rate)
            report.add(calls=1)
            try:
                answer = gateway.track([i.tracking_number for i in batch])
            except CarrierError as exc:
                rest = [i for b in batches[n:] for i in b]
                _fail(poller, account, rest, exc, report)
                return
            updates = poller.to_updates(account, answer)
            by_merchant: dict[str, list[TrackingUpdate]] = defaultdict(list)
            for u in updates:
                by_merchant[account.merchant_id].append(u)
            for merchant_id, merchant_updates in by_merchant.items():
                report.add(ingested_events=poller.ingest(merchant_id, tuple(merchant_updates)))
            _reschedule(poller, batch, report)
            report.add(polled=len(batch))
        if account.failures or account.last_error:
            store.account_ok(account.id, clock.now())


def _reschedule(poller: Poller, batch: list[PollItem], report: PollReport) -> None:
    now = poller.clock.now()
    rows = []
    for state in poller.store.states([i.shipment_id for i in batch]):
        at = next_poll(poller.policy, state.status, state.moved_at, now)
        if at is None:
            reason = state.status.value if state.status in (
                ShipmentStatus.DELIVERED, ShipmentStatus.EXPIRED
            ) else "idle"  # fmt: skip
            rows.append(Reschedule(state.shipment_id, None, reason))
            report.add(stopped=1)
        else:
            rows.append(Reschedule(state.shipment_id, at))
            report.add(rescheduled=1)
    poller.store.reschedule(rows, now)


def _fail(
    poller: Poller,
    account: CarrierAccount,
    items: list[PollItem],
    exc: CarrierError,
    report: PollReport,
) -> None:
    now = poller.clock.now()
    failures = account.failures + 1
    if exc.failure in (CarrierFailure.AUTH, CarrierFailure.UNSUPPORTED):
        wait_for = poller.policy.backoff_max
    else:
        wait_for = backoff(poller.policy, failures, exc.retry_after)
    until = now + wait_for
    log.warning(
        "polling %s account %s failed: %s (next try %s)",
        account.carrier,
        account.id,
        exc.message,
        until.isoformat(),
        extra={"carrier": account.carrier, "account": account.id},
    )
    report.failed(account.id, exc.message)
    poller.store.account_failed(account.id, until, failures, exc.message)
    poller.store.reschedule(
        [Reschedule(i.shipment_id, until, error=exc.message) for i in items], now
    )

"""Importing a store's history page by page, resumable from the last page imported.

The platform adapter fetches pages (a :class:`PageSource`: Shopify's GraphQL connection
with its ``endCursor``, WooCommerce's REST pages); each page's items are commands the
ordinary handlers run (``PlaceOrder``, ``RecordFulfillment``, ``RecordRefund``, catalogue
syncs), so a backfill and the store's webhooks converge on the same rows: orders are keyed
by the store's id and revised only by a newer snapshot, fulfilments by their id, refunds by
theirs.

After every page the state is saved in its own transaction: the cursor moves only past a
page whose items were all handled (imported, or refused for good and counted as skipped).
When fetching fails (a revoked token, an API error that outlasted the adapter's retries)
or handling fails for a reason other than the item itself (the database went away), the
run stops with the error saved, and the next run with the same ``since`` resumes there.
No network I/O happens inside a transaction: pages are fetched between them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from postpurchase.domain.commands import Command
from postpurchase.domain.errors import Conflict, DomainError
from postpurchase.domain.storefronts import (
    BackfillState,
    BackfillStatus,
    StoreConnection,
    StorePlatform,
)
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True, slots=True)
class BackfillItem:
    """One thing the store sent (an order with its fulfilments and refunds, a product):
    the commands that import it, or why it cannot be imported."""

    ref: str  # the store's id, for the report
    commands: tuple[Command, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BackfillPage:
    items: list[BackfillItem]
    cursor: str | None  # where the next page starts
    has_next: bool


class PageSource(Protocol):
    kind: str  # "orders", "products"

    def page(self, since: date | None, cursor: str | None) -> BackfillPage:
        """Fetch one page (network I/O). Raises on a failure the run cannot go past."""
        ...


class BackfillStopped(RuntimeError):
    """The run stopped; its state (cursor, error) is saved and a new run resumes."""

    def __init__(self, message: str, state: BackfillState) -> None:
        super().__init__(message)
        self.state = state


@dataclass(slots=True)
class BackfillReport:
    state: BackfillState
    pages: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (store id, why)

    @property
    def complete(self) -> bool:
        return self.state.status is BackfillStatus.DONE


def start(
    uow: AbstractUnitOfWork,
    clock: Clock,
    merchant_id: str,
    platform: StorePlatform,
    kind: str,
    since: date | None,
    *,
    restart: bool = False,
) -> tuple[StoreConnection, BackfillState]:
    """The state a run begins from: the stopped run's for the same ``since`` (resume),
    else a fresh one. Saved as running."""
    with uow:
        connection = uow.connections.get(merchant_id, platform)
        if connection is None or not connection.active:
            raise Conflict(f"the merchant's {platform} store is not connected", field="shop")
        now = clock.now()
        held = connection.backfill(kind)
        if held is not None and held.resumes(since) and not restart:
            state = BackfillState(
                kind, since, BackfillStatus.RUNNING, held.cursor, held.imported, held.skipped,
                None, held.started_at or now, now,
            )  # fmt: skip
        else:
            state = BackfillState(kind, since, BackfillStatus.RUNNING, started_at=now,
                                  updated_at=now)  # fmt: skip
        uow.connections.save_backfill(connection.id, state)
        uow.commit()
    return connection, state


def _save(uow: AbstractUnitOfWork, connection_id: str, state: BackfillState) -> None:
    with uow:
        uow.connections.save_backfill(connection_id, state)
        uow.commit()


def run(
    uow: AbstractUnitOfWork,
    clock: Clock,
    handle: Callable[[Command], Any],
    source: PageSource,
    connection: StoreConnection,
    state: BackfillState,
    *,
    budget_seconds: float | None = None,
    on_page: Callable[[BackfillState, int], None] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> BackfillReport:
    """Import pages from ``state.cursor`` on until the last page (state done) or until
    ``budget_seconds`` have passed (state still running: the caller schedules the rest).
    ``handle`` runs one command in its own transaction (the message bus)."""
    started = monotonic()
    report = BackfillReport(state)
    while True:
        try:
            page = source.page(state.since, state.cursor)
        except Exception as exc:
            return _stop(uow, clock, connection, report, f"{type(exc).__name__}: {exc}")
        imported = skipped = 0
        for item in page.items:
            why = item.error
            if why is None:
                try:
                    for command in item.commands:
                        handle(command)
                except DomainError as refused:
                    why = refused.message
                except Exception as exc:  # not the item's fault: stop before the cursor moves
                    return _stop(uow, clock, connection, report, f"{type(exc).__name__}: {exc}")
            if why is None:
                imported += 1
            else:
                skipped += 1
                report.skipped.append((item.ref, why))
        state = state.advanced(page.cursor, imported, clock.now(), skipped)
        if not page.has_next:
            state = state.done(clock.now())
        _save(uow, connection.id, state)
        report.state = state
        report.pages += 1
        if on_page is not None:
            on_page(state, len(page.items))
        if not page.has_next:
            return report
        if budget_seconds is not None and monotonic() - started >= budget_seconds:
            return report


def _stop(
    uow: AbstractUnitOfWork,
    clock: Clock,
    connection: StoreConnection,
    report: BackfillReport,
    message: str,
) -> BackfillReport:
    state = report.state.stopped(message, clock.now())
    _save(uow, connection.id, state)
    report.state = state
    raise BackfillStopped(message, state)

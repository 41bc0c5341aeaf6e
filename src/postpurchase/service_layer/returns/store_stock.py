"""The connected store's inventory adjusted when a returned line is restocked, exactly once.

Consumes ``ReturnItemRestocked`` from the outbox (at least once). Three short steps, the
store called with no transaction open (ADR 0031):

1. in a transaction: the line's row in ``store_stock_adjustments`` (key: merchant, return,
   line, event) is read; a settled row replays nothing. A new row is written ``pending``, or
   ``skipped`` with its reason when there is nothing to call (the order came from no store,
   the store is not connected, the variant or the location is not known to it, the platform
   has no relative stock update). ``attempts`` is counted before the call;
2. outside any transaction: the store's port adjusts the stock by the line's quantity, under
   an idempotency key per line (Shopify dedupes a resent adjustment by it);
3. in a transaction: the row is settled ``done`` (with the store's reference) or ``failed``
   with the store's reason, and audited as ``system:store-stock``.

A failure whose outcome is unknown (a timeout, a crash between 2 and 3) leaves the row
``pending`` and raises, so the outbox retries with backoff. The retry sends the same key, and
the store answers the first adjustment's result instead of adjusting again. A store API
version that has no key cannot tell: a ``pending`` row with an attempt behind it is then
settled ``failed`` ("outcome unknown") rather than sent again.

Never twice with the store's own restock: the row also says who restocks the line in the
store (``owner``). The store's refund or return processing claims a line before it asks the
store to restock it (:func:`claim_store_restock`), and gets it only when our adjustment did
not move, and cannot have moved, the stock; our adjustment never runs on a line the refund
owns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from postpurchase.domain.returns import (
    RESTOCK,
    Disposition,
    Return,
    StockAdjustment,
    StockOwner,
    StockStatus,
    idempotency_key,
    reference_uri,
)
from postpurchase.domain.returns import StockReason as why
from postpurchase.domain.storefronts import StoreConnection, StorePlatform
from postpurchase.service_layer.audit import record_change
from postpurchase.service_layer.returns.audit import subject_of
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)

ACTOR = "system:store-stock"
ACTION = "returns.store_stock"


@dataclass(frozen=True, slots=True)
class StockRequest:
    key: str  # the idempotency key: one per (return, line, event)
    reference_uri: str  # names our return in the store's inventory history
    store_variant_id: str
    store_location_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class StockResult:
    status: StockStatus  # DONE, SKIPPED (nothing to adjust) or FAILED (refused)
    reason: str | None = None
    reference: str | None = None


class StoreStockPort(Protocol):
    """A store's inventory API (network I/O; called outside any transaction). ``restock``
    answers DONE, SKIPPED or FAILED when it knows; it raises when the outcome is unknown or
    the failure is transient (the row stays pending and the outbox retries)."""

    @property
    def keyed(self) -> bool:
        """Whether the store dedupes a resent adjustment by its key."""
        ...

    def restock(self, connection: StoreConnection, request: StockRequest) -> StockResult: ...


class StockLedger(Protocol):
    def get(
        self, merchant_id: str, return_id: str, line_id: str, event: str
    ) -> StockAdjustment | None: ...
    def begin(self, adjustment: StockAdjustment) -> bool:
        """Insert the row unless the key exists; True when this call wrote it."""
        ...

    def save(self, adjustment: StockAdjustment) -> None: ...
    def for_return(self, merchant_id: str, return_id: str) -> list[StockAdjustment]: ...
    def take_over(self, adjustment: StockAdjustment, reason: str, at: datetime) -> bool:
        """Hand a line our adjustment left alone to the store's refund (a conditional
        update: False when the row changed meanwhile)."""
        ...


Labelled = tuple[str, str, str | None, bool]  # code, value, label, deleted


class StoreMappings(Protocol):
    def get(self, merchant_id: str, platform: str, kind: str) -> dict[str, str]: ...
    def put(
        self, merchant_id: str, platform: str, kind: str, values: Mapping[str, str], at: datetime
    ) -> None:
        """Replace every mapping of ``kind`` with ``values``."""
        ...

    def labelled(
        self, merchant_id: str, platform: str, kind: str
    ) -> list[tuple[str, str, str | None, bool]]:
        """(code, value, label, deleted) rows of ``kind``."""
        ...

    def put_labelled(
        self,
        merchant_id: str,
        platform: str,
        kind: str,
        rows: list[Labelled],
        at: datetime,
    ) -> None: ...


class StockUnitOfWork(AbstractUnitOfWork):
    """The platform's unit of work with the store-side ledger and mappings on its connection."""

    stock: StockLedger
    mappings: StoreMappings


StockPorts = Callable[[StorePlatform], AbstractContextManager[StoreStockPort] | None]
LOCATION = "location"
DEFAULT_LOCATION = "*"


def _audit(uow: StockUnitOfWork, adj: StockAdjustment, before: str | None) -> None:
    line = f"store_stock.{adj.line_id}"
    after: dict[str, Any] = {f"{line}.status": adj.status.value}
    if adj.reason:
        after[f"{line}.reason"] = adj.reason
    if adj.store_reference:
        after[f"{line}.reference"] = adj.store_reference
    record_change(
        uow, adj.merchant_id, actor=ACTOR, action=ACTION, subject=subject_of(adj.return_id),
        before={f"{line}.status": before}, after=after, always=True,
    )  # fmt: skip


class StoreStock:
    """``ReturnItemRestocked`` -> the store's inventory, through ``ports`` per platform."""

    def __init__(
        self,
        uow: Callable[[], StockUnitOfWork],
        now: Callable[[], datetime],
        ports: StockPorts,
    ) -> None:
        self._uow = uow
        self._now = now
        self._ports = ports

    def on_restocked(self, payload: Mapping[str, Any]) -> StockAdjustment | None:
        merchant_id, return_id = str(payload["merchant_id"]), str(payload["return_id"])
        line_id, order_id = str(payload["line_id"]), str(payload["order_id"])
        with self._uow() as uow:
            found = uow.stock.get(merchant_id, return_id, line_id, RESTOCK)
            if found is not None and found.status is not StockStatus.PENDING:
                return found  # settled (or the refund owns it): nothing again
            order = uow.orders.get(merchant_id, order_id)
            try:
                platform = StorePlatform(order.source) if order is not None else None
            except ValueError:
                platform = None
            adj = found or StockAdjustment(
                merchant_id, return_id, line_id, RESTOCK, str(payload.get("sku") or ""),
                int(payload.get("quantity") or 0), payload.get("location"),
                platform.value if platform else None, StockStatus.PENDING,
                StockOwner.ADJUSTMENT, self._now(),
            )  # fmt: skip
            connection = uow.connections.get(merchant_id, platform) if platform else None
            locations = uow.mappings.get(merchant_id, platform.value, LOCATION) if platform else {}
        opener = self._ports(platform) if platform is not None else None
        plan = _plan(order, platform, connection, opener is not None, adj, locations)
        if not isinstance(plan, StockRequest) or opener is None:
            if found is not None and found.attempts > 0:  # an earlier call may have landed
                reason = f"{why.UNKNOWN_PREFIX}: an earlier attempt may have adjusted the store, "
                reason += f"which can no longer be asked ({plan})"
                return self._settle_new(adj, found, StockStatus.FAILED, reason)
            return self._settle_new(adj, found, StockStatus.SKIPPED, str(plan))
        assert connection is not None
        with opener as port:
            if adj.attempts > 0 and not port.keyed:
                unknown = why.UNKNOWN_OUTCOME.format(uri=plan.reference_uri)
                return self._settle(adj, StockResult(StockStatus.FAILED, unknown))
            if not self._begin_attempt(adj, found is None):
                return self._current(adj)
            result = port.restock(connection, plan)  # raises: stays pending, retried
        return self._settle(adj, result)

    def _current(self, adj: StockAdjustment) -> StockAdjustment | None:
        with self._uow() as uow:
            return uow.stock.get(adj.merchant_id, adj.return_id, adj.line_id, adj.event)

    def _begin_attempt(self, adj: StockAdjustment, new: bool) -> bool:
        """Count the attempt before the call (a new row is written pending first); False
        when another path took the line meanwhile."""
        with self._uow() as uow:
            if new and not uow.stock.begin(adj):
                return False  # the refund (or another drainer) wrote the key first
            current = uow.stock.get(adj.merchant_id, adj.return_id, adj.line_id, adj.event)
            if current is None or current.status is not StockStatus.PENDING:
                return False
            current.attempts += 1
            current.updated_at = self._now()
            uow.stock.save(current)
            uow.commit()
            adj.attempts = current.attempts
            return True

    def _settle_new(
        self, adj: StockAdjustment, found: StockAdjustment | None, status: StockStatus, reason: str
    ) -> StockAdjustment | None:
        """A line with nothing to call: written skipped (or a pending one settled so)."""
        with self._uow() as uow:
            at = self._now()
            adj.status, adj.reason, adj.settled_at, adj.updated_at = status, reason, at, at
            if found is None:
                if not uow.stock.begin(adj):
                    return uow.stock.get(adj.merchant_id, adj.return_id, adj.line_id, adj.event)
            else:
                uow.stock.save(adj)
            _audit(uow, adj, found.status.value if found else None)
            uow.commit()
        return adj

    def _settle(self, adj: StockAdjustment, result: StockResult) -> StockAdjustment:
        with self._uow() as uow:
            at = self._now()
            current = uow.stock.get(adj.merchant_id, adj.return_id, adj.line_id, adj.event) or adj
            before = current.status.value
            current.status, current.reason = result.status, result.reason
            current.store_reference = result.reference or current.store_reference
            current.settled_at = current.updated_at = at
            uow.stock.save(current)
            _audit(uow, current, before)
            uow.commit()
        log.info("return %s line %s: store stock %s", adj.return_id, adj.line_id, result.status)
        return current

    def for_return(self, merchant_id: str, return_id: str) -> list[StockAdjustment]:
        with self._uow() as uow:
            return uow.stock.for_return(merchant_id, return_id)

    def locations(self, merchant_id: str, platform: StorePlatform) -> dict[str, str]:
        """Our stock location codes -> the store's location ids (``*``: the default)."""
        with self._uow() as uow:
            return uow.mappings.get(merchant_id, platform.value, LOCATION)

    def set_locations(
        self, merchant_id: str, platform: StorePlatform, mapping: Mapping[str, str], actor: str
    ) -> dict[str, str]:
        """Replace the location mapping (validated by the caller), audited."""
        with self._uow() as uow:
            before = uow.mappings.get(merchant_id, platform.value, LOCATION)
            uow.mappings.put(merchant_id, platform.value, LOCATION, mapping, self._now())
            record_change(
                uow, merchant_id, actor=actor, action="returns.store_locations",
                subject="returns.store_locations", before={"locations": before},
                after={"locations": dict(mapping)},
            )  # fmt: skip
            uow.commit()
        return dict(mapping)


def _plan(
    order: Any,
    platform: StorePlatform | None,
    connection: StoreConnection | None,
    has_port: bool,
    adj: StockAdjustment,
    locations: Mapping[str, str],
) -> StockRequest | str:
    """What to ask the store, or why nothing is asked."""
    if order is None or platform is None:
        return why.NOT_FROM_A_STORE
    if connection is None or not connection.active:
        return why.NOT_CONNECTED
    if not has_port:
        if platform is StorePlatform.WOOCOMMERCE:
            return why.NO_RELATIVE_UPDATE
        return f"no inventory adjustment for {platform.value} stores"
    line = next((x for x in order.lines if x.id == adj.line_id), None)
    variant = line.facts.variant_id if line is not None else None
    if not variant:
        return why.NO_VARIANT
    where = locations.get(adj.location or "") or locations.get(DEFAULT_LOCATION)
    if not where:
        return why.NO_LOCATION
    return StockRequest(
        idempotency_key(adj.return_id, adj.line_id, adj.event), reference_uri(adj.return_id),
        str(variant), where, adj.quantity,
    )  # fmt: skip


def claim_store_restock(
    uow: Callable[[], StockUnitOfWork], now: Callable[[], datetime]
) -> Callable[[Return, str], frozenset[str]]:
    """For the store's refund or return processing: the restocked lines of ``ret`` it may
    ask the store to restock (claimed for it in one transaction, so our adjustment never
    runs on them); a line our adjustment moved, or may have moved, is left out."""

    def claim(ret: Return, platform: str) -> frozenset[str]:
        wanted = [x for x in ret.lines if x.disposition is Disposition.RESTOCK]
        if not wanted:
            return frozenset()
        mine: set[str] = set()
        with uow() as u:
            at = now()
            for x in wanted:
                row = StockAdjustment(
                    ret.merchant_id, ret.id, x.order_line_id, RESTOCK, x.sku, x.quantity,
                    x.location, platform, StockStatus.SKIPPED, StockOwner.STORE_REFUND, at,
                    reason=why.OWNED_BY_REFUND, updated_at=at, settled_at=at,
                )  # fmt: skip
                if u.stock.begin(row):
                    mine.add(x.order_line_id)
                    continue
                found = u.stock.get(ret.merchant_id, ret.id, x.order_line_id, RESTOCK)
                if found is None:
                    continue
                owned = found.owner is StockOwner.STORE_REFUND
                if owned or (
                    found.store_may_restock and u.stock.take_over(found, why.OWNED_BY_REFUND, at)
                ):
                    mine.add(x.order_line_id)
            u.commit()
        return frozenset(mine)

    return claim

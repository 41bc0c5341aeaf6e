"""Exchanges through the store's own returns API, where the store has one (Shopify).

An exchange return of an order from a connected Shopify store is also recorded in the store,
the way Shopify documents exchanges: ``returnCreate`` with the returned lines and the
exchange lines (Shopify adds the new items to the order and holds their fulfilment order),
then, once the parcel is inspected and put away, ``returnProcess`` with each line's
disposition (restocked or not) and the exchange lines confirmed. The order of ours that
carries the exchange (tracking, messages) is still placed (``PlacedExchangeOrders``).

Exactly once without a key of Shopify's: every return we create carries
``[postpurchase:return-<id>]`` in its lines' reason note, and the store's returns for the
order are looked up first (a retry after a timeout finds the first one). A store that has no
returns API (WooCommerce) or is not connected: our exchange order alone, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from postpurchase.domain.errors import Conflict
from postpurchase.domain.returns import Disposition, Return, ReturnStatus
from postpurchase.domain.storefronts import StoreConnection, StorePlatform
from postpurchase.service_layer.returns.ports import ExchangeOrders, OrderFacts
from postpurchase.service_layer.storefronts.ports import StoreRefused
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True, slots=True)
class StoreReturnLine:
    store_line_id: str  # the store's order line id
    quantity: int
    reason: str  # our reason code, kept in the store's note
    restock: bool | None  # None: not put away yet
    reason_definition_id: str | None = None  # the store's reason definition for ``reason``


@dataclass(frozen=True, slots=True)
class StoreExchangeLine:
    store_variant_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class StoreExchangeRequest:
    order_store_id: str
    key: str  # "return-<return id>"
    lines: tuple[StoreReturnLine, ...]
    exchange_lines: tuple[StoreExchangeLine, ...]
    requested_at: datetime
    process: bool  # the parcel is back and put away: confirm it in the store


@dataclass(frozen=True, slots=True)
class StoreExchangeResult:
    store_return_id: str
    processed: bool


class StoreExchangePort(Protocol):
    """A store's returns API (network I/O; called outside any transaction)."""

    def exchange(
        self, connection: StoreConnection, request: StoreExchangeRequest
    ) -> StoreExchangeResult: ...


ExchangePorts = Callable[[StorePlatform], AbstractContextManager[StoreExchangePort] | None]
VariantRefs = Callable[[str, list[str]], Mapping[str, str]]  # merchant, our ids -> store ids
RestockClaim = Callable[[Return, str], frozenset[str]]
ReasonRefs = Callable[[str, StorePlatform], Mapping[str, str]]  # merchant -> code -> definition

_PUT_AWAY = frozenset({ReturnStatus.RESTOCKED, ReturnStatus.DISPOSED})


def exchange_request(
    ret: Return,
    facts: OrderFacts,
    store_variants: Mapping[str, str],
    *,
    restock: frozenset[str] | None = None,
    reasons: Mapping[str, str] | None = None,
) -> StoreExchangeRequest | None:
    """The store's terms for an exchange return; None when a line or a variant is unknown
    to the store (an order typed in by hand, a variant not synced from it). ``restock``:
    the lines the store may restock (None: every line put back into stock; ADR 0031);
    ``reasons``: our reason code -> the store's reason definition id."""
    order = facts.order
    if ret.exchange is None or not order.external_id:
        return None
    by_id = {line.id: line for line in order.lines}
    lines = []
    for x in ret.lines:
        line = by_id.get(x.order_line_id)
        if line is None or not line.facts.external_id:
            return None
        back = None if x.disposition is None else x.disposition is Disposition.RESTOCK
        if back and restock is not None and x.order_line_id not in restock:
            back = False  # our inventory adjustment restocked it: NOT_RESTOCKED here
        definition = (reasons or {}).get(x.reason_code)
        lines.append(StoreReturnLine(
            line.facts.external_id, x.quantity, x.reason_code, back, definition
        ))  # fmt: skip
    swaps = []
    for e in ret.exchange.lines:
        store_variant = store_variants.get(e.variant_id or "")
        if store_variant is None:
            return None
        swaps.append(StoreExchangeLine(store_variant, e.quantity))
    return StoreExchangeRequest(
        order.external_id, f"return-{ret.id}", tuple(lines), tuple(swaps), ret.created_at,
        process=ret.status in _PUT_AWAY,
    )  # fmt: skip


class StoreExchangeOrders:
    """``ExchangeOrders`` that also records the exchange in the order's store when its
    returns API allows it, then places our exchange order (``inner``)."""

    def __init__(
        self,
        uow: Callable[[], AbstractUnitOfWork],
        ports: ExchangePorts,
        variants: VariantRefs,
        inner: ExchangeOrders,
        *,
        restock_claim: RestockClaim | None = None,
        reasons: ReasonRefs | None = None,
    ) -> None:
        self._uow = uow
        self._ports = ports
        self._variants = variants
        self._inner = inner
        self._claim = restock_claim
        self._reasons = reasons
        self.last: StoreExchangeResult | None = None  # the store's answer, for the caller

    def create(self, ret: Return, facts: OrderFacts) -> str:
        self.last = self.in_store(ret, facts)
        return self._inner.create(ret, facts)

    def in_store(self, ret: Return, facts: OrderFacts) -> StoreExchangeResult | None:
        try:
            platform = StorePlatform(facts.order.source)
        except ValueError:
            return None  # not from a store
        with self._uow() as uow:
            connection = uow.connections.get(ret.merchant_id, platform)
        if connection is None or not connection.active or ret.exchange is None:
            return None
        wanted = [e.variant_id for e in ret.exchange.lines if e.variant_id]
        variants = self._variants(ret.merchant_id, wanted)
        reasons = self._reasons(ret.merchant_id, platform) if self._reasons else None
        request = exchange_request(ret, facts, variants, reasons=reasons)
        port = self._ports(platform) if request is not None else None
        if request is None or port is None:
            return None
        if request.process and self._claim is not None:  # never restock a line twice
            owned = self._claim(ret, platform.value)
            request = exchange_request(ret, facts, variants, restock=owned, reasons=reasons)
            assert request is not None
        try:
            with port as store:
                return store.exchange(connection, request)
        except StoreRefused as exc:  # the store said no: nothing was recorded there
            where = f"store.{exc.field}" if exc.field else "exchange"
            message = f"{platform.value} refused the exchange: {exc.message}"
            raise Conflict(message, field=where) from None

"""What the returns use cases need from the outside world, as small Protocols.

``RefundIssuer`` pays the money back (or issues the credit); ``ReturnLabels`` makes the
return label. Today the ledger implementation records refunds and credits in our own money
ledger (``return_ledger``), which is the record when no store is connected; a storefront
refund port and a carrier label port plug in here when they exist, without touching the
use cases.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from postpurchase.domain.events import Event
from postpurchase.domain.media import MediaKind, MediaRef, StoredMedia
from postpurchase.domain.money import Money
from postpurchase.domain.orders import Order, OrderLine
from postpurchase.domain.returns import (
    CatalogueVariant,
    Decision,
    Quote,
    Return,
    ReturnPolicy,
    ReturnStatus,
)
from postpurchase.service_layer.ports import AuditLog


@dataclass(frozen=True, slots=True)
class DeliveredLine:
    quantity: int  # units delivered so far
    delivered_at: datetime | None  # the latest delivery that carried some


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """An order as returns sees it: the order, what was delivered, what was refunded."""

    order: Order
    delivered: dict[str, DeliveredLine]  # order line id -> delivered
    refunded: dict[str, Money]  # order line id -> refunded by the store so far
    destination_country: str | None
    timezone: str | None  # the shopper's, when known


@dataclass(frozen=True, slots=True)
class IssuedMoney:
    reference: str  # where the money is recorded: "ledger:<id>", a store's refund id...
    amount: Money | None = None  # what a store really paid back, when it says


@dataclass(frozen=True, slots=True)
class Label:
    carrier: str | None
    tracking_number: str | None


@dataclass(frozen=True, slots=True)
class ReturnQuery:
    status: ReturnStatus | None = None
    order_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    needs_review: bool | None = None
    limit: int = 50
    cursor: str | None = None


class ReturnRepository(Protocol):
    def add(self, ret: Return) -> bool: ...
    def get(self, merchant_id: str, return_id: str, *, lock: bool = False) -> Return | None: ...
    def search(self, merchant_id: str, q: ReturnQuery) -> list[Return]: ...
    def by_key(self, merchant_id: str, key: str) -> Return | None: ...
    def for_order(self, merchant_id: str, order_id: str) -> list[Return]: ...
    def by_tracking_number(self, merchant_id: str, number: str) -> list[Return]: ...
    def count_for_customer(
        self, merchant_id: str, email: str, since: datetime, exclude: str | None = None
    ) -> int: ...
    def record_decisions(
        self, ret: Return, quote: Quote | None, at: datetime, *, actor: str, note: str = "",
        extra: Sequence[Decision] = (),
    ) -> None: ...  # fmt: skip
    def aggregates(self) -> Iterator[Return]: ...
    def flush(self) -> None: ...


class PolicyStore(Protocol):
    def active(self, merchant_id: str) -> ReturnPolicy: ...
    def save(self, merchant_id: str, policy: ReturnPolicy, at: datetime) -> ReturnPolicy: ...


class OrderFactsReader(Protocol):
    def facts(
        self, merchant_id: str, order_id: str, *, lock: bool = False
    ) -> OrderFacts | None: ...

    def sold(self, merchant_id: str, since: datetime, until: datetime) -> dict[str, int]:
        """Units sold per SKU in orders placed in ``[since, until)``."""
        ...


class Ledger(Protocol):
    def record(
        self, ret: Return, kind: str, amount: Money, at: datetime, reference: str | None = None
    ) -> str: ...
    def entries(self, merchant_id: str, return_id: str) -> list[dict[str, object]]: ...


class RefundIssuer(Protocol):
    """Pays a return's money back. Called inside the unit of work for the ledger; an
    implementation that calls a store must do its network call outside the transaction."""

    def refund(
        self, uow: AbstractReturnsUnitOfWork, ret: Return, at: datetime,
        paid: IssuedMoney | None = None,
    ) -> IssuedMoney: ...  # fmt: skip

    def credit(
        self, uow: AbstractReturnsUnitOfWork, ret: Return, at: datetime,
        paid: IssuedMoney | None = None,
    ) -> IssuedMoney: ...  # fmt: skip


class ReturnLabels(Protocol):
    def issue(self, ret: Return, facts: OrderFacts) -> Label: ...


class ExchangeCatalogue(Protocol):
    """The store's products and variants as synced (``products``/``product_variants``)."""

    def product_of(self, merchant_id: str, line: OrderLine) -> str | None:
        """Our product id for an order line: by the store's product id, else by its SKU."""
        ...

    def variants(self, merchant_id: str, product_id: str) -> list[CatalogueVariant]: ...
    def variant(self, merchant_id: str, variant_id: str) -> CatalogueVariant | None: ...


class StoreRefunds(Protocol):
    """Pays a return back through the order's connected store (Shopify, WooCommerce).

    Network I/O: called outside any transaction, with the return's id in the idempotency
    key, so calling it again after a crash or a timeout never pays twice. None when the
    order did not come from a connected store (the ledger alone is then the record).
    """

    def refund(self, ret: Return, facts: OrderFacts, *, credit: bool) -> IssuedMoney | None: ...


class ExchangeOrders(Protocol):
    """Creates the exchange order (idempotent per return: a retry finds the first one)."""

    def create(self, ret: Return, facts: OrderFacts) -> str: ...


class MediaFiles(Protocol):
    """The media store (``uow.media``): return photos live there, never in memory."""

    def put(
        self, merchant_id: str, kind: MediaKind, content_type: str, data: bytes,
        filename: str | None = None,
    ) -> MediaRef: ...  # fmt: skip

    def get(self, merchant_id: str, media_id: str) -> StoredMedia | None: ...


class AbstractReturnsUnitOfWork(abc.ABC):
    returns: ReturnRepository
    policies: PolicyStore
    orders: OrderFactsReader
    ledger: Ledger
    catalogue: ExchangeCatalogue
    media: MediaFiles
    audit: AuditLog  # every merchant step is audited in the step's own transaction

    def __init__(self) -> None:
        self._published: list[Event] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        fresh: list[Event] = []
        for agg in self.returns.aggregates():
            fresh.extend(agg.events)
            agg.events.clear()
        self.returns.flush()
        self._write_outbox(fresh)
        self._commit()
        self._published.extend(fresh)

    def collect_new_events(self) -> Sequence[Event]:
        out, self._published = self._published, []
        return out

    @abc.abstractmethod
    def _write_outbox(self, events: list[Event]) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...

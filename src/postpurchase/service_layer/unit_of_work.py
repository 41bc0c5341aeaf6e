"""The unit of work: one transaction, its repositories, and the events it produced.

Rolls back unless committed. ``commit`` writes every new domain event to the outbox in the
same transaction as the change that raised it, so nothing downstream can be lost.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Self

from postpurchase.domain.events import Event
from postpurchase.service_layer import ports
from postpurchase.service_layer.checkout.ports import PublishableKeyRepository
from postpurchase.service_layer.recommendations.ports import RecommendationStore
from postpurchase.service_layer.remedies.ports import RemedyStore
from postpurchase.service_layer.storefronts import ports as store_ports

if TYPE_CHECKING:  # the labels package imports this module
    from postpurchase.service_layer.labels import LabelLedger
if TYPE_CHECKING:  # the templates package builds on this module
    from postpurchase.service_layer.templates.ports import TemplateRepository


class AbstractUnitOfWork(abc.ABC):
    merchants: ports.MerchantRepository
    audit: ports.AuditLog
    templates: TemplateRepository
    media: ports.MediaStore
    secrets: ports.SecretRepository
    customers: ports.CustomerRepository
    orders: ports.OrderRepository
    refunds: ports.RefundRepository
    shipments: ports.ShipmentRepository
    tracking: ports.TrackingEventStore
    receipts: ports.WebhookReceipts
    counters: ports.Counters
    privacy: ports.CustomerData
    connections: store_ports.StoreConnectionRepository
    storefront_refunds: store_ports.RefundLedger
    catalogue: store_ports.Catalogue
    shop_data: store_ports.ShopData
    publishable_keys: PublishableKeyRepository
    recommendations: RecommendationStore
    remedies: RemedyStore
    labels: LabelLedger

    def __init__(self) -> None:
        self._published: list[Event] = []
        # Set by a handler that committed work for the worker other than outbox events
        # (deferred tracking scans); the bus then nudges the worker, and resets it.
        self.worker_needed = False
        # Events a handler raises that belong to no aggregate (bookkeeping such as an
        # erasure); written to the outbox with the rest on commit.
        self.raised: list[Event] = []

    def __enter__(self) -> Self:
        return self  # events committed earlier stay queued until collect_new_events()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        fresh = [*self._drain_aggregate_events(), *self.raised]
        self.raised = []
        self._write_outbox(fresh)
        self._commit()
        self._published.extend(fresh)

    def collect_new_events(self) -> Iterator[Event]:
        """Events committed by this unit of work, for in-process handlers."""
        while self._published:
            yield self._published.pop(0)

    @abc.abstractmethod
    def _drain_aggregate_events(self) -> Iterator[Event]:
        """Pop events from every aggregate this unit of work added or loaded."""

    @abc.abstractmethod
    def _write_outbox(self, events: list[Event]) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...

"""The SQLAlchemy unit of work: one connection, one transaction, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Connection, Engine

from postpurchase.adapters.db import bulk
from postpurchase.adapters.db import repositories as r
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.audit_store import SqlAuditLog
from postpurchase.adapters.db.catalogue_store import SqlCatalogue, SqlShopData
from postpurchase.adapters.db.inbox_store import SqlWebhookInbox
from postpurchase.adapters.db.labels import SqlLabelLedger
from postpurchase.adapters.db.media_store import SqlMediaStore
from postpurchase.adapters.db.privacy_store import SqlCustomerData
from postpurchase.adapters.db.publishable_keys import SqlPublishableKeys
from postpurchase.adapters.db.recommendations import SqlRecommendationStore
from postpurchase.adapters.db.refund_store import SqlRefundRepository
from postpurchase.adapters.db.remedies import SqlRemedyStore
from postpurchase.adapters.db.secret_store import SqlSecretRepository
from postpurchase.adapters.db.storefront_store import SqlRefundLedger, SqlStoreConnectionRepository
from postpurchase.adapters.db.templates import SqlTemplateRepository
from postpurchase.domain.events import Event
from postpurchase.domain.orders import Order, OrderProgress
from postpurchase.domain.shipments import Shipment
from postpurchase.service_layer.ports import SecretBox
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

# (connection, {(merchant id, topic)}) -> the pairs worth an outbox row (adapters.outbox)
OutboxFilter = Callable[[Connection, set[tuple[str, str]]], set[tuple[str, str]]]


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    orders: r.SqlOrderRepository
    shipments: r.SqlShipmentRepository

    def __init__(
        self,
        engine: Engine,
        now: Callable[[], datetime] | None = None,
        *,
        box: SecretBox,
        media_dir: Path | None = None,
        outbox_filter: OutboxFilter | None = None,
    ) -> None:
        super().__init__()
        self.outbox_filter = outbox_filter
        self.media_dir = media_dir
        self.engine = engine
        self.box = box
        self.now = now or (lambda: datetime.now(UTC))
        self.conn: Connection | None = None
        self._depth = 0

    def __enter__(self) -> Self:
        super().__enter__()
        # Autobegin on first statement; "write" makes SQLite take its lock up front.
        self.conn = self.engine.connect().execution_options(write=True)
        self.merchants = r.SqlMerchantRepository(self.conn)
        self.audit = SqlAuditLog(self.conn)
        self.media = SqlMediaStore(self.conn, self.now, self.media_dir)
        self.templates = SqlTemplateRepository(self.conn)
        self.secrets = SqlSecretRepository(self.conn, self.box)
        self.customers = r.SqlCustomerRepository(self.conn)
        self.orders = r.SqlOrderRepository(self.conn)
        self.refunds = SqlRefundRepository(self.conn)
        self.inbox = SqlWebhookInbox(self.conn)
        self.privacy = SqlCustomerData(self.conn)
        self.connections = SqlStoreConnectionRepository(self.conn, self.box)
        self.storefront_refunds = SqlRefundLedger(self.conn)
        self.catalogue = SqlCatalogue(self.conn)
        self.shop_data = SqlShopData(self.conn)
        self.publishable_keys = SqlPublishableKeys(self.conn)
        self.recommendations = SqlRecommendationStore(self.conn)
        self.remedies = SqlRemedyStore(self.conn)
        self.shipments = r.SqlShipmentRepository(self.conn)
        self.labels = SqlLabelLedger(self.conn)
        self.tracking = r.SqlTrackingEventStore(self.conn)
        self.receipts = r.SqlWebhookReceipts(self.conn)
        self.counters = r.SqlCounters(self.conn)
        return self

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _drain_aggregate_events(self) -> Iterator[Event]:
        aggregates: list[Order | OrderProgress | Shipment] = [
            *self.orders.aggregates(),
            *self.shipments.aggregates(),
        ]
        for agg in aggregates:
            while agg.events:
                yield agg.events.pop(0)

    def _write_outbox(self, events: list[Event]) -> None:
        assert self.conn is not None
        self.orders.flush()
        self.shipments.flush()
        if events and self.outbox_filter is not None:
            # Only the events some subscriber may act on (ADR 0041): asked in this
            # transaction, so the answer and the rows are one snapshot.
            wanted = self.outbox_filter(self.conn, {(e.merchant_id, r.topic_of(e)) for e in events})
            events = [e for e in events if (e.merchant_id, r.topic_of(e)) in wanted]
        if events:
            bulk.insert_rows(self.conn, t.outbox, r.outbox_rows(events, self.now()))

    def _commit(self) -> None:
        assert self.conn is not None
        self.conn.commit()

    def rollback(self) -> None:
        if self.conn is not None and self.conn.in_transaction():
            self.conn.rollback()

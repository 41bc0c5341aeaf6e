"""The returns unit of work: one connection, one transaction, events to the shared outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Connection, Engine

from postpurchase.adapters.db import bulk
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.audit_store import SqlAuditLog
from postpurchase.adapters.db.media_store import SqlMediaStore
from postpurchase.adapters.db.repositories.receipts import outbox_rows
from postpurchase.adapters.db.returns.catalogue import SqlExchangeCatalogue
from postpurchase.adapters.db.returns.repository import (
    SqlLedger,
    SqlOrderFacts,
    SqlPolicyStore,
    SqlReturnRepository,
)
from postpurchase.domain.events import Event
from postpurchase.service_layer.returns.ports import AbstractReturnsUnitOfWork


class SqlReturnsUnitOfWork(AbstractReturnsUnitOfWork):
    returns: SqlReturnRepository
    policies: SqlPolicyStore
    orders: SqlOrderFacts
    ledger: SqlLedger
    catalogue: SqlExchangeCatalogue
    media: SqlMediaStore
    audit: SqlAuditLog

    def __init__(
        self,
        engine: Engine,
        now: Callable[[], datetime] | None = None,
        media_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.media_dir = media_dir
        self.now = now or (lambda: datetime.now(UTC))
        self.conn: Connection | None = None

    def __enter__(self) -> Self:
        super().__enter__()
        self.conn = self.engine.connect().execution_options(write=True)
        self.returns = SqlReturnRepository(self.conn)
        self.policies = SqlPolicyStore(self.conn)
        self.orders = SqlOrderFacts(self.conn)
        self.ledger = SqlLedger(self.conn)
        self.catalogue = SqlExchangeCatalogue(self.conn)
        self.media = SqlMediaStore(self.conn, self.now, self.media_dir)
        self.audit = SqlAuditLog(self.conn)
        return self

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _write_outbox(self, events: list[Event]) -> None:
        assert self.conn is not None
        if events:
            bulk.insert_rows(self.conn, t.outbox, outbox_rows(events, self.now()))

    def _commit(self) -> None:
        assert self.conn is not None
        self.conn.commit()

    def rollback(self) -> None:
        if self.conn is not None and self.conn.in_transaction():
            self.conn.rollback()
        if self.conn is not None:
            self.returns = SqlReturnRepository(self.conn)  # forget what the rollback undid

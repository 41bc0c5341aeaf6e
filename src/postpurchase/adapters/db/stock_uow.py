"""The platform's unit of work with the returns' store-side inventory ledger and store
mappings on its connection (orders, store connections and the audit log are the platform's):
one transaction for a settle and its audit entry (ADR 0031).

Outside ``adapters.db.returns`` because it builds on ``adapters.db.unit_of_work``, which the
tables package (and so the returns package) is imported by."""

from __future__ import annotations

from typing import Self

from postpurchase.adapters.db.returns import SqlStockLedger, SqlStoreMappings
from postpurchase.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from postpurchase.service_layer.returns import StockUnitOfWork


class SqlStockUnitOfWork(SqlAlchemyUnitOfWork, StockUnitOfWork):
    stock: SqlStockLedger
    mappings: SqlStoreMappings

    def __enter__(self) -> Self:
        super().__enter__()
        self.stock = SqlStockLedger(self.conn)
        self.mappings = SqlStoreMappings(self.conn)
        return self

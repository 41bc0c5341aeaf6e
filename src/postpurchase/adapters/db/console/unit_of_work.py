"""The console's unit of work: one connection, one transaction, rolled back unless committed."""

from __future__ import annotations

from typing import Any, Self

from sqlalchemy import Connection, Engine

from postpurchase.adapters.db.audit_store import SqlAuditLog
from postpurchase.adapters.db.console.actions_store import SqlOutbound, SqlParcels, SqlResolutions
from postpurchase.adapters.db.console.repository import (
    SqlMerchantLookup,
    SqlSessions,
    SqlTokens,
    SqlUsers,
)
from postpurchase.service_layer.console import AbstractConsoleUnitOfWork


class SqlConsoleUnitOfWork(AbstractConsoleUnitOfWork):
    users: SqlUsers
    tokens: SqlTokens
    sessions: SqlSessions
    merchants: SqlMerchantLookup
    audit: SqlAuditLog
    parcels: SqlParcels
    resolutions: SqlResolutions
    outbound: SqlOutbound

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None

    def __enter__(self) -> Self:
        self.conn = self.engine.connect().execution_options(write=True)
        self.users = SqlUsers(self.conn)
        self.tokens = SqlTokens(self.conn)
        self.sessions = SqlSessions(self.conn)
        self.merchants = SqlMerchantLookup(self.conn)
        self.audit = SqlAuditLog(self.conn)
        self.parcels = SqlParcels(self.conn)
        self.resolutions = SqlResolutions(self.conn)
        self.outbound = SqlOutbound(self.conn)
        return self

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def commit(self) -> None:
        assert self.conn is not None
        self.conn.commit()

    def rollback(self) -> None:
        if self.conn is not None and self.conn.in_transaction():
            self.conn.rollback()

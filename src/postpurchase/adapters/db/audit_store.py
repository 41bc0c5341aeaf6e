"""The audit log in SQL: append-only, every read filtered by merchant, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from postpurchase.adapters.db import tables as t
from postpurchase.domain.audit import AuditEntry, StoredAudit

_a = t.audit_log.c
MAX_PAGE = 500


class SqlAuditLog:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, entry: AuditEntry) -> int:
        done = self.conn.execute(
            insert(t.audit_log)
            .values(
                merchant_id=entry.merchant_id,
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                subject=entry.subject,
                changes=entry.changes,
            )
            .returning(_a.id)
        )
        return int(done.scalar_one())

    def list(
        self,
        merchant_id: str,
        *,
        limit: int = 50,
        before_id: int | None = None,
        subject: str | None = None,
    ) -> list[StoredAudit]:
        query = select(t.audit_log).where(_a.merchant_id == merchant_id)
        if before_id is not None:
            query = query.where(_a.id < before_id)
        if subject is not None:
            query = query.where(_a.subject == subject)
        query = query.order_by(_a.id.desc()).limit(max(1, min(limit, MAX_PAGE)))
        return [_stored(r) for r in self.conn.execute(query).mappings()]


def _stored(r: Any) -> StoredAudit:
    return StoredAudit(
        id=int(r["id"]),
        entry=AuditEntry(
            merchant_id=r["merchant_id"],
            actor=r["actor"],
            action=r["action"],
            subject=r["subject"],
            at=r["at"],
            changes=dict(r["changes"] or {}),
        ),
    )

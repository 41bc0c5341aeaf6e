"""SQL for the store-side inventory ledger and the store mappings (ADR 0031); the unit of work
that carries them on the platform's connection is ``adapters.db.stock_uow``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from postpurchase.adapters.db.returns.stock_tables import store_mappings as M
from postpurchase.adapters.db.returns.stock_tables import store_stock_adjustments as A
from postpurchase.adapters.db.sql import upsert_insert
from postpurchase.domain.returns import StockAdjustment, StockOwner, StockStatus
from postpurchase.service_layer.returns import Labelled


def _values(a: StockAdjustment) -> dict[str, Any]:
    return {
        "merchant_id": a.merchant_id, "return_id": a.return_id, "line_id": a.line_id,
        "event": a.event, "sku": a.sku[:128], "quantity": a.quantity, "location": a.location,
        "platform": a.platform, "status": a.status.value, "owner": a.owner.value,
        "reason": a.reason, "attempts": a.attempts, "store_reference": a.store_reference,
        "created_at": a.created_at, "updated_at": a.updated_at or a.created_at,
        "settled_at": a.settled_at,
    }  # fmt: skip


def _adjustment(row: Any) -> StockAdjustment:
    return StockAdjustment(
        row.merchant_id, row.return_id, row.line_id, row.event, row.sku, row.quantity,
        row.location, row.platform, StockStatus(row.status), StockOwner(row.owner),
        row.created_at, reason=row.reason, attempts=row.attempts,
        store_reference=row.store_reference, updated_at=row.updated_at,
        settled_at=row.settled_at,
    )  # fmt: skip


class SqlStockLedger:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def _key(self, merchant_id: str, return_id: str, line_id: str, event: str) -> tuple[Any, ...]:
        c = A.c
        return (c.merchant_id == merchant_id, c.return_id == return_id, c.line_id == line_id,
                c.event == event)  # fmt: skip

    def get(
        self, merchant_id: str, return_id: str, line_id: str, event: str
    ) -> StockAdjustment | None:
        row = self.conn.execute(
            select(A).where(*self._key(merchant_id, return_id, line_id, event))
        ).first()
        return _adjustment(row) if row is not None else None

    def begin(self, adjustment: StockAdjustment) -> bool:
        stmt = (
            upsert_insert(self.conn, A)
            .values(**_values(adjustment))
            .on_conflict_do_nothing()
            .returning(A.c.line_id)
        )
        return self.conn.execute(stmt).first() is not None

    def save(self, adjustment: StockAdjustment) -> None:
        a = adjustment
        values = _values(a)
        for k in ("merchant_id", "return_id", "line_id", "event", "created_at"):
            values.pop(k)
        self.conn.execute(
            update(A).where(*self._key(a.merchant_id, a.return_id, a.line_id, a.event))
            .values(**values)
        )  # fmt: skip

    def for_return(self, merchant_id: str, return_id: str) -> list[StockAdjustment]:
        c = A.c
        rows = self.conn.execute(
            select(A)
            .where(c.merchant_id == merchant_id, c.return_id == return_id)
            .order_by(c.created_at, c.line_id, c.event)
        )
        return [_adjustment(r) for r in rows]

    def take_over(self, adjustment: StockAdjustment, reason: str, at: datetime) -> bool:
        a = adjustment
        done = self.conn.execute(
            update(A)
            .where(
                *self._key(a.merchant_id, a.return_id, a.line_id, a.event),
                A.c.owner == StockOwner.ADJUSTMENT.value,
                A.c.status == a.status.value,
                A.c.attempts == a.attempts,
            )
            .values(owner=StockOwner.STORE_REFUND.value, status=StockStatus.SKIPPED.value,
                    reason=reason, updated_at=at, settled_at=at)
        )  # fmt: skip
        return bool(done.rowcount)


class SqlStoreMappings:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def labelled(self, merchant_id: str, platform: str, kind: str) -> list[Labelled]:
        c = M.c
        rows = self.conn.execute(
            select(c.code, c.value, c.label, c.deleted)
            .where(c.merchant_id == merchant_id, c.platform == platform, c.kind == kind)
            .order_by(c.code)
        )
        return [(r.code, r.value, r.label, bool(r.deleted)) for r in rows]

    def get(self, merchant_id: str, platform: str, kind: str) -> dict[str, str]:
        return {code: value for code, value, _, _ in self.labelled(merchant_id, platform, kind)}

    def put_labelled(
        self, merchant_id: str, platform: str, kind: str, rows: list[Labelled], at: datetime
    ) -> None:
        c = M.c
        self.conn.execute(
            delete(M).where(c.merchant_id == merchant_id, c.platform == platform, c.kind == kind)
        )
        if rows:
            self.conn.execute(
                M.insert(),
                [
                    {"merchant_id": merchant_id, "platform": platform, "kind": kind,
                     "code": code, "value": value, "label": label, "deleted": deleted,
                     "updated_at": at}
                    for code, value, label, deleted in rows
                ],
            )  # fmt: skip

    def put(
        self, merchant_id: str, platform: str, kind: str, values: Mapping[str, str], at: datetime
    ) -> None:
        rows: list[Labelled] = [
            (code, value, None, False) for code, value in sorted(values.items())
        ]
        self.put_labelled(merchant_id, platform, kind, rows, at)

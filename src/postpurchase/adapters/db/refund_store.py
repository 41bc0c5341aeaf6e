"""Refunds in the database: one row per store refund, its lines as a JSON document."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.sql import upsert_insert
from postpurchase.domain.money import Money
from postpurchase.domain.refunds import Refund, RefundLine


class SqlRefundRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, refund: Refund, recorded_at: datetime) -> bool:
        """False when the store's refund was recorded before (a redelivery)."""
        stmt = (
            upsert_insert(self.conn, t.refunds)
            .values(
                id=refund.id,
                merchant_id=refund.merchant_id,
                order_id=refund.order_id,
                external_id=refund.external_id,
                created_at=refund.created_at,
                currency=refund.amount.currency,
                amount=refund.amount.amount,
                shipping=refund.shipping.amount,
                lines=[
                    {
                        "line_id": x.line_id,
                        "sku": x.sku,
                        "quantity": x.quantity,
                        "amount": str(x.amount.amount),
                        "restock": x.restock,
                    }
                    for x in refund.lines
                ],
                note=refund.note,
                recorded_at=recorded_at,
            )
            .on_conflict_do_nothing()
            .returning(t.refunds.c.id)
        )
        return self.conn.execute(stmt).first() is not None

    def for_order(self, merchant_id: str, order_id: str) -> list[Refund]:
        r = t.refunds.c
        rows = self.conn.execute(
            select(t.refunds)
            .where(r.merchant_id == merchant_id, r.order_id == order_id)
            .order_by(r.created_at, r.id)
        ).mappings()
        return [_refund(row) for row in rows]


def _refund(row: Any) -> Refund:
    cur = row["currency"]
    return Refund(
        id=row["id"],
        merchant_id=row["merchant_id"],
        order_id=row["order_id"],
        external_id=row["external_id"],
        created_at=row["created_at"],
        amount=Money(Decimal(str(row["amount"])), cur),
        shipping=Money(Decimal(str(row["shipping"])), cur),
        lines=tuple(
            RefundLine(
                x.get("line_id"),
                x["sku"],
                int(x["quantity"]),
                Money(Decimal(x["amount"]), cur),
                x.get("restock"),
            )
            for x in row["lines"] or ()
        ),
        note=row["note"],
    )

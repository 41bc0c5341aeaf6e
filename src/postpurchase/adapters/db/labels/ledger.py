"""The label ledger in the database (``uow.labels``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, update

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.labels.tables import shipping_labels as L
from postpurchase.adapters.db.sql import upsert_insert
from postpurchase.domain.carriers import LabelFormat
from postpurchase.domain.labels import LabelRecord, LabelStatus
from postpurchase.domain.money import Money


def _values(r: LabelRecord) -> dict[str, Any]:
    return {
        "id": r.id, "merchant_id": r.merchant_id, "idempotency_key": r.idempotency_key,
        "order_id": r.order_id, "carrier": r.carrier, "service": r.service,
        "label_format": r.label_format.value, "fingerprint": r.fingerprint,
        "status": r.status.value, "tracking_number": r.tracking_number,
        "carrier_label_id": r.carrier_label_id,
        "currency": r.price.currency if r.price else None,
        "price": r.price.amount if r.price else None, "media_id": r.media_id,
        "qr_media_id": r.qr_media_id, "shipment_id": r.shipment_id, "customs": r.customs,
        "error": r.error, "created_at": r.created_at, "updated_at": r.updated_at,
    }  # fmt: skip


def _record(row: Any) -> LabelRecord:
    price = (
        Money(Decimal(str(row["price"])), row["currency"])
        if row["price"] is not None and row["currency"]
        else None
    )
    return LabelRecord(
        id=row["id"], merchant_id=row["merchant_id"], idempotency_key=row["idempotency_key"],
        order_id=row["order_id"], carrier=row["carrier"], service=row["service"],
        label_format=LabelFormat(row["label_format"]), fingerprint=row["fingerprint"],
        status=LabelStatus(row["status"]), created_at=row["created_at"],
        updated_at=row["updated_at"], tracking_number=row["tracking_number"],
        carrier_label_id=row["carrier_label_id"], price=price, media_id=row["media_id"],
        qr_media_id=row["qr_media_id"], shipment_id=row["shipment_id"],
        customs=row["customs"], error=row["error"],
    )  # fmt: skip


class SqlLabelLedger:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _one(self, *where: Any) -> LabelRecord | None:
        row = self.conn.execute(select(L).where(*where)).mappings().first()
        return _record(row) if row else None

    def get(self, merchant_id: str, key: str) -> LabelRecord | None:
        return self._one(L.c.merchant_id == merchant_id, L.c.idempotency_key == key)

    def by_id(self, merchant_id: str, label_id: str) -> LabelRecord | None:
        return self._one(L.c.merchant_id == merchant_id, L.c.id == label_id)

    def for_order(self, merchant_id: str, order_id: str) -> list[LabelRecord]:
        rows = self.conn.execute(
            select(L)
            .where(L.c.merchant_id == merchant_id, L.c.order_id == order_id)
            .order_by(L.c.created_at, L.c.id)
        ).mappings()
        return [_record(r) for r in rows]

    def begin(self, record: LabelRecord) -> bool:
        stmt = (
            upsert_insert(self.conn, L)
            .values(**_values(record))
            .on_conflict_do_nothing()
            .returning(L.c.id)
        )
        return self.conn.execute(stmt).first() is not None

    def update(self, record: LabelRecord) -> None:
        values = _values(record)
        for k in ("id", "merchant_id", "idempotency_key", "created_at"):
            values.pop(k)
        self.conn.execute(
            update(L)
            .where(L.c.merchant_id == record.merchant_id, L.c.id == record.id)
            .values(**values)
        )

    def track_now(self, merchant_id: str, shipment_id: str, account_id: str, at: datetime) -> None:
        P = t.shipment_polls
        self.conn.execute(
            upsert_insert(self.conn, P)
            .values(id=shipment_id, merchant_id=merchant_id, account_id=account_id,
                    next_attempt_at=at, polls=0)
            .on_conflict_do_nothing()
        )  # fmt: skip

    def stop_tracking(self, shipment_id: str, at: datetime, reason: str) -> None:
        P = t.shipment_polls
        self.conn.execute(
            update(P)
            .where(P.c.id == shipment_id, P.c.processed_at.is_(None))
            .values(processed_at=at, stop_reason=reason, next_attempt_at=None)
        )

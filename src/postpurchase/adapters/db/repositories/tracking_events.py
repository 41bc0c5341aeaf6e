"""Tracking events: stored once per (shipment, fingerprint), queued for the folder, read
back as history; plus the row mapping the ingest benchmark reuses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from postpurchase.adapters.db import bulk
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.sql import _chunks, one_of
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import Location, TrackingEvent


class SqlTrackingEventStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_new(
        self, merchant_id: str, items: Sequence[tuple[str, TrackingEvent]], received_at: datetime
    ) -> set[tuple[str, str]]:
        return self._store(merchant_id, items, received_at, queue=False)

    def append(
        self, merchant_id: str, items: Sequence[tuple[str, TrackingEvent]], received_at: datetime
    ) -> set[tuple[str, str]]:
        return self._store(merchant_id, items, received_at, queue=True)

    def _store(
        self,
        merchant_id: str,
        items: Sequence[tuple[str, TrackingEvent]],
        received_at: datetime,
        *,
        queue: bool,
    ) -> set[tuple[str, str]]:
        """Insert the events not stored before; with ``queue`` also record each new one in
        ``tracking_pending`` for the folder. Returns (shipment_id, fingerprint) of the new."""
        if not items:
            return set()
        # In key order: two unlocked batches that share re-sent scans then wait on each
        # other's unique-key entries in one order, and cannot deadlock.
        rows = sorted(
            (event_row(merchant_id, sid, e, received_at) for sid, e in items),
            key=lambda r: (r["shipment_id"], r["fingerprint"]),
        )
        key = ("shipment_id", "fingerprint")
        pg = self.conn.dialect.name == "postgresql"
        inserted: set[tuple[str, str]] = set()
        for chunk in _chunks(rows, 1000):
            if not queue or pg:
                # On PostgreSQL the queue rows come in the same round trip (a DML CTE).
                returned = bulk.insert_rows(
                    self.conn, t.tracking_events, chunk, on_conflict=key, returning=key,
                    queue_into=t.tracking_pending if queue else None,
                )  # fmt: skip
                inserted.update((r[0], r[1]) for r in returned)
                continue
            returned = bulk.insert_rows(
                self.conn, t.tracking_events, chunk, on_conflict=key,
                returning=("id", *key),
            )  # fmt: skip
            if returned:
                self.conn.execute(
                    insert(t.tracking_pending),
                    [{"event_id": i, "merchant_id": merchant_id, "shipment_id": sid}
                     for i, sid, _ in returned],
                )  # fmt: skip
            inserted.update((r[1], r[2]) for r in returned)
        return inserted

    def claim_pending(self, limit: int) -> list[tuple[str, str, TrackingEvent]]:
        p = t.tracking_pending.c
        oldest = (
            select(p.event_id)
            .order_by(p.event_id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # another folder's claim is not ours to take
        )
        claim = (
            delete(t.tracking_pending)
            .where(p.event_id.in_(oldest.scalar_subquery()))
            .returning(p.event_id)
        )
        ids = sorted(row[0] for row in self.conn.execute(claim))
        out: list[tuple[str, str, TrackingEvent]] = []
        e = t.tracking_events.c
        for chunk in _chunks(ids):
            q = select(t.tracking_events).where(one_of(self.conn, e.id, chunk)).order_by(e.id)
            for r in self.conn.execute(q).mappings():
                out.append((r["merchant_id"], r["shipment_id"], tracking_event(r)))
        return out

    def history(self, shipment_ids: Iterable[str]) -> dict[str, list[TrackingEvent]]:
        ids = sorted(set(shipment_ids))
        out: dict[str, list[TrackingEvent]] = {sid: [] for sid in ids}
        for chunk in _chunks(ids):
            q = select(t.tracking_events).where(
                one_of(self.conn, t.tracking_events.c.shipment_id, chunk)
            )
            for r in self.conn.execute(q).mappings():
                out[r["shipment_id"]].append(tracking_event(r))
        return out


def event_row(
    merchant_id: str, shipment_id: str, e: TrackingEvent, received_at: datetime
) -> dict[str, Any]:
    loc = e.location
    return {
        "merchant_id": merchant_id,
        "shipment_id": shipment_id,
        "fingerprint": e.fingerprint,
        "occurred_at": e.occurred_at,
        "status": e.status.value,
        "substatus": e.substatus,
        "carrier_code": e.carrier_code,
        "description": e.description,
        "city": loc.city if loc else None,
        "region": loc.region if loc else None,
        "postal_code": loc.postal_code if loc else None,
        "country": loc.country if loc else None,
        "source": e.source,
        "source_event_id": e.source_event_id,
        "recognised": e.recognised,
        "correction": e.correction,
        "estimated_delivery": e.estimated_delivery,
        "received_at": received_at,
        "signed_by": e.signed_by,
    }


def tracking_event(r: Any) -> TrackingEvent:
    has_loc = any(r[k] for k in ("city", "region", "postal_code", "country"))
    return TrackingEvent(
        occurred_at=r["occurred_at"],
        status=ShipmentStatus(r["status"]),
        substatus=r["substatus"],
        carrier_code=r["carrier_code"],
        description=r["description"],
        location=Location(r["city"], r["region"], r["postal_code"], r["country"])
        if has_loc
        else None,
        source=r["source"],
        source_event_id=r["source_event_id"],
        recognised=r["recognised"],
        correction=r["correction"],
        estimated_delivery=r["estimated_delivery"],
        fingerprint=r["fingerprint"],
        signed_by=r["signed_by"],
    )

"""Shipments: row-locked in id order when tracking moves them, their state written back
in one set-based statement on flush."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select

from postpurchase.adapters.db import bulk
from postpurchase.adapters.db import order_codec as codec
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.kpis.tables import kpi_pending
from postpurchase.adapters.db.sql import CHUNK, _chunks, one_of
from postpurchase.domain.addresses import Address
from postpurchase.domain.orders import ShipmentView
from postpurchase.domain.shipments import Shipment, ShipmentLine, ShipmentRef
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import Location, TrackingState


class SqlShipmentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.seen: dict[str, tuple[Shipment, tuple[Any, ...]]] = {}

    def add(self, s: Shipment) -> None:
        self.conn.execute(insert(t.shipments).values(**_shipment_row(s)))
        # Its KPI facts are due (the worker's queue, ADR 0027), in the shipment's transaction;
        # a return leg is not a delivery to a shopper and has none.
        if s.return_id is None:
            self.conn.execute(
                insert(kpi_pending).values(shipment_id=s.id, merchant_id=s.merchant_id)
            )
        self.seen[s.id] = (s, _mutable(s))

    def _load(self, where: Any, *, lock: bool = False) -> list[Shipment]:
        q = select(t.shipments).where(where)
        if lock:
            # Row locks in id order: concurrent batches touching the same parcels queue up
            # instead of overwriting each other's state, and never deadlock. NO KEY UPDATE
            # (we never change a key) leaves the KEY SHARE locks that inserting a scan takes
            # for its foreign key free: deferred acceptance never waits for a fold.
            q = q.order_by(t.shipments.c.id).with_for_update(key_share=True)
        out = []
        for r in self.conn.execute(q).mappings():
            if r["id"] in self.seen:
                out.append(self.seen[r["id"]][0])
                continue
            s = _shipment(r)
            self.seen[s.id] = (s, _mutable(s))
            out.append(s)
        return out

    def get(self, merchant_id: str, shipment_id: str) -> Shipment | None:
        c = t.shipments.c
        found = self._load(and_(c.merchant_id == merchant_id, c.id == shipment_id))
        return found[0] if found else None

    def get_by_external_id(self, merchant_id: str, external_id: str) -> Shipment | None:
        c = t.shipments.c
        found = self._load(and_(c.merchant_id == merchant_id, c.external_id == external_id))
        return found[0] if found else None

    def by_tracking_numbers(
        self, merchant_id: str, numbers: Iterable[str], *, lock: bool = False
    ) -> list[Shipment]:
        c = t.shipments.c
        wanted = sorted(set(numbers))
        if lock and len(wanted) > CHUNK:
            # One statement, so the locks are taken in a single id order.
            where = and_(c.merchant_id == merchant_id, one_of(self.conn, c.tracking_number, wanted))
            return self._load(where, lock=True)
        out: list[Shipment] = []
        for chunk in _chunks(wanted):
            where = and_(c.merchant_id == merchant_id, one_of(self.conn, c.tracking_number, chunk))
            out.extend(self._load(where, lock=lock))
        return out

    def locate(self, merchant_id: str, numbers: Iterable[str]) -> list[ShipmentRef]:
        c = t.shipments.c
        out: list[ShipmentRef] = []
        for chunk in _chunks(sorted(set(numbers))):
            q = select(
                c.id, c.tracking_number, c.carrier, c.created_at, c.service, c.tracking_url
            ).where(c.merchant_id == merchant_id, one_of(self.conn, c.tracking_number, chunk))
            out.extend(ShipmentRef(*row) for row in self.conn.execute(q))
        return out

    def get_many(self, merchant_id: str, shipment_ids: Iterable[str]) -> list[Shipment]:
        c = t.shipments.c
        wanted = sorted(set(shipment_ids))
        if self.conn.dialect.name == "postgresql":
            # One statement, so the locks are taken in a single id order.
            return self._load(
                and_(c.merchant_id == merchant_id, one_of(self.conn, c.id, wanted)), lock=True
            )
        out: list[Shipment] = []
        for chunk in _chunks(wanted):
            out.extend(self._load(and_(c.merchant_id == merchant_id, c.id.in_(chunk)), lock=True))
        return out

    def for_return(self, merchant_id: str, return_id: str) -> list[Shipment]:
        """A return's legs (usually one), oldest first."""
        c = t.shipments.c
        found = self._load(and_(c.merchant_id == merchant_id, c.return_id == return_id))
        return sorted(found, key=lambda s: (s.created_at, s.id))

    def for_orders(self, merchant_id: str, order_ids: Iterable[str]) -> list[Shipment]:
        c = t.shipments.c
        out: list[Shipment] = []
        for chunk in _chunks(sorted(set(order_ids))):
            out.extend(self._load(and_(c.merchant_id == merchant_id, c.order_id.in_(chunk))))
        return out

    def views_for_orders(
        self, merchant_id: str, order_ids: Iterable[str]
    ) -> dict[str, list[ShipmentView]]:
        c = t.shipments.c
        out: dict[str, list[ShipmentView]] = defaultdict(list)
        for chunk in _chunks(sorted(set(order_ids))):
            q = select(c.id, c.order_id, c.status, c.lines).where(
                c.merchant_id == merchant_id,
                one_of(self.conn, c.order_id, chunk),
                c.return_id.is_(None),  # a return leg never moves the order's status
            )
            for sid, order_id, status, lines in self.conn.execute(q):
                loaded = self.seen.get(sid)
                if loaded is not None:  # this unit of work may have moved it: trust memory
                    out[order_id].append(loaded[0].view())
                else:
                    out[order_id].append(
                        ShipmentView(ShipmentStatus(status), {li: q for li, _, q in lines})
                    )
        return out

    def quiet_since(
        self, before: datetime, limit: int, out_for_delivery_before: datetime | None = None
    ) -> list[Shipment]:
        c = t.shipments.c
        last = func.coalesce(c.last_scan_at, c.created_at)
        which = last < before
        if out_for_delivery_before is not None:  # out for delivery and still not delivered
            which = or_(
                which,
                and_(
                    c.status == ShipmentStatus.OUT_FOR_DELIVERY.value,
                    c.status_at < out_for_delivery_before,
                ),
            )
        q = (
            select(t.shipments)
            .where(
                c.status.notin_([ShipmentStatus.DELIVERED.value, ShipmentStatus.EXPIRED.value]),
                which,
            )
            .order_by(last)
            .limit(limit)
            .with_for_update(skip_locked=True, key_share=True)  # one being updated is not quiet
        )
        out = []
        for r in self.conn.execute(q).mappings():
            s = self.seen[r["id"]][0] if r["id"] in self.seen else _shipment(r)
            self.seen.setdefault(s.id, (s, _mutable(s)))
            out.append(s)
        return out

    def flush(self) -> None:
        changed = [s for s, snapshot in self.seen.values() if _mutable(s) != snapshot]
        if not changed:
            return
        rows = [_state_row(s) for s in sorted(changed, key=lambda s: s.id)]
        bulk.update_rows(self.conn, t.shipments, rows)
        for s in changed:
            self.seen[s.id] = (s, _mutable(s))

    def aggregates(self) -> Iterator[Shipment]:
        for s, _ in self.seen.values():
            yield s


def _mutable(s: Shipment) -> tuple[Any, ...]:
    """What can change on a loaded shipment; compared at flush to find the dirty ones."""
    return (s.state, s.carrier, s.service, s.tracking_valid, s.tracking_url)


def _location_dict(loc: Location | None) -> dict[str, str | None] | None:
    if loc is None:
        return None
    return {"city": loc.city, "region": loc.region, "postal_code": loc.postal_code,
            "country": loc.country}  # fmt: skip


def _state_row(s: Shipment) -> dict[str, Any]:
    """The columns that change after creation (what a flush writes)."""
    st, key = s.state, s.state.last_key
    return {
        "id": s.id,
        "carrier": s.carrier,
        "service": s.service,
        "tracking_valid": s.tracking_valid,
        "tracking_url": s.tracking_url,
        "status": st.status.value,
        "substatus": st.substatus,
        "status_at": st.status_at,
        "last_event_at": key[0] if key else None,
        "last_scan_at": st.last_scan_at,
        "last_rank": key[1] if key else None,
        "last_fingerprint": key[2] if key else None,
        "handed_over_at": st.handed_over_at,
        "delivered_at": st.delivered_at,
        "carrier_estimate": st.carrier_estimate,
        "last_location": _location_dict(st.last_location),
        "event_count": st.event_count,
    }


def _shipment_row(s: Shipment) -> dict[str, Any]:
    return {
        "merchant_id": s.merchant_id,
        "order_id": s.order_id,
        "tracking_number": s.tracking_number,
        "external_id": s.external_id,
        "origin": s.origin.as_dict() if s.origin else None,
        "destination": s.destination.as_dict() if s.destination else None,
        "lines": [[sl.line_id, sl.sku, sl.quantity] for sl in s.lines],
        "created_at": s.created_at,
        "tracking_url": s.tracking_url,
        "details": codec.shipment_facts_doc(s.facts),
        "return_id": s.return_id,
        **_state_row(s),
    }


def _shipment(r: Any) -> Shipment:
    last_key = (
        (r["last_event_at"], r["last_rank"], r["last_fingerprint"])
        if r["last_fingerprint"]
        else None
    )
    loc = r["last_location"]
    state = TrackingState(
        status=ShipmentStatus(r["status"]),
        substatus=r["substatus"],
        status_at=r["status_at"],
        last_key=last_key,
        last_event_at=r["last_event_at"],
        last_scan_at=r["last_scan_at"],
        handed_over_at=r["handed_over_at"],
        delivered_at=r["delivered_at"],
        carrier_estimate=r["carrier_estimate"],
        last_location=Location(**loc) if loc else None,
        event_count=r["event_count"],
    )
    return Shipment(
        id=r["id"],
        merchant_id=r["merchant_id"],
        order_id=r["order_id"],
        tracking_number=r["tracking_number"],
        carrier=r["carrier"],
        tracking_valid=r["tracking_valid"],
        created_at=r["created_at"],
        service=r["service"],
        lines=[ShipmentLine(a, b, c) for a, b, c in r["lines"]],
        origin=Address.from_dict(r["origin"]) if r["origin"] else None,
        destination=Address.from_dict(r["destination"]) if r["destination"] else None,
        external_id=r["external_id"],
        tracking_url=r["tracking_url"],
        facts=codec.shipment_facts_from(r["details"]),
        state=state,
        return_id=r["return_id"],
    )

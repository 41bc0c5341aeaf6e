"""Repositories: SQL Core in, domain objects out.

Explicit mapping (not ORM instrumentation) keeps the domain free of SQLAlchemy and the hot
path lean: a batch of 1,000 scans costs a handful of set-based statements. Aggregates that
are loaded or added are remembered (``seen``) and written back on flush if they changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, any_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from postpurchase.adapters.db import bulk
from postpurchase.adapters.db import order_codec as codec
from postpurchase.adapters.db import tables as t
from postpurchase.domain.addresses import Address
from postpurchase.domain.events import Event
from postpurchase.domain.ids import new_id
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.money import Money
from postpurchase.domain.orders import Order, OrderLine, OrderProgress, Promise, ShipmentView
from postpurchase.domain.shipments import Shipment, ShipmentLine, ShipmentRef
from postpurchase.domain.status import OrderStatus, ShipmentStatus
from postpurchase.domain.tracking import Location, TrackingEvent, TrackingState

CHUNK = 900  # stays under SQLite's bound-parameter limits for IN lists


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def one_of(conn: Connection, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values``. On PostgreSQL as ``= ANY(array)``: one parameter, so the
    statement text is the same for every batch (an expanded IN of 1,000 placeholders is
    re-parsed by the driver on each call)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def upsert_insert(conn: Connection, table: Any) -> Any:
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


# --------------------------------------------------------------------------- merchants


class SqlMerchantRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, m: Merchant) -> None:
        self.conn.execute(insert(t.merchants).values(**_merchant_row(m)))

    def _one(self, where: Any) -> Merchant | None:
        row = self.conn.execute(select(t.merchants).where(where)).mappings().first()
        return _merchant(row) if row else None

    def get(self, merchant_id: str) -> Merchant | None:
        return self._one(t.merchants.c.id == merchant_id)

    def get_by_slug(self, slug: str) -> Merchant | None:
        return self._one(t.merchants.c.slug == slug)

    def get_by_api_key_hash(self, key_hash: str) -> Merchant | None:
        row = (
            self.conn.execute(
                select(t.merchants)
                .join(t.api_keys, t.api_keys.c.merchant_id == t.merchants.c.id)
                .where(t.api_keys.c.key_hash == key_hash, t.api_keys.c.revoked_at.is_(None))
            )
            .mappings()
            .first()
        )
        return _merchant(row) if row else None

    def add_api_key(self, merchant_id: str, key_hash: str, label: str, at: datetime) -> None:
        self.conn.execute(
            insert(t.api_keys).values(
                key_hash=key_hash, merchant_id=merchant_id, label=label, created_at=at
            )
        )

    def update(self, m: Merchant) -> None:
        row = _merchant_row(m)
        row.pop("id")
        self.conn.execute(update(t.merchants).where(t.merchants.c.id == m.id).values(**row))


def _merchant_row(m: Merchant) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.name,
        "slug": m.slug,
        "timezone": m.timezone,
        "locale": m.locale,
        "settings": m.settings,
        "created_at": m.created_at,
    }


def _merchant(r: Any) -> Merchant:
    return Merchant(
        id=r["id"],
        name=r["name"],
        slug=r["slug"],
        created_at=r["created_at"],
        timezone=r["timezone"],
        locale=r["locale"],
        settings=dict(r["settings"] or {}),
    )


# --------------------------------------------------------------------------- customers


class SqlCustomerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find_or_create(
        self,
        merchant_id: str,
        *,
        email: str | None,
        phone: str | None,
        name: str | None,
        locale: str,
        at: datetime,
    ) -> str | None:
        email = email.strip().lower() if email else None
        if not email and not phone:
            return None
        c = t.customers.c
        where = c.email == email if email else c.phone == phone
        found = self.conn.execute(
            select(c.id).where(c.merchant_id == merchant_id, where).limit(1)
        ).scalar()
        if found:
            return str(found)
        cid = new_id()
        self.conn.execute(
            insert(t.customers).values(
                id=cid, merchant_id=merchant_id, email=email, phone=phone, name=name,
                locale=locale, created_at=at,
            )
        )  # fmt: skip
        return cid


# --------------------------------------------------------------------------- orders


class SqlOrderRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.seen: dict[str, tuple[Order, tuple[Any, ...]]] = {}
        self.progress: dict[str, tuple[OrderProgress, OrderStatus]] = {}

    def add(self, order: Order) -> None:
        row = _order_row(order)
        self.conn.execute(insert(t.orders).values(**row))
        self.conn.execute(insert(t.order_lines), _line_rows(order))
        self.seen[order.id] = (order, _order_state(order))

    def revise(self, order: Order) -> None:
        """Write a revised order whole (a newer snapshot from its store): every column, and
        its lines by id (lines no longer in it stay, so shipments that name them still
        resolve)."""
        row = _order_row(order)
        for key in ("id", "merchant_id", "tracking_token", "created_at"):
            row.pop(key)
        self.conn.execute(update(t.orders).where(t.orders.c.id == order.id).values(**row))
        existing = {
            r.id
            for r in self.conn.execute(
                select(t.order_lines.c.id).where(t.order_lines.c.order_id == order.id)
            )
        }
        lines = _line_rows(order)
        fresh = [r for r in lines if r["id"] not in existing]
        if fresh:
            self.conn.execute(insert(t.order_lines), fresh)
        kept = [
            {"_id": r["id"], **{k: v for k, v in r.items() if k not in ("id", "order_id")}}
            for r in lines
            if r["id"] in existing
        ]
        if kept:  # a few lines: one executemany, the same on both databases
            cols = [c for c in kept[0] if c != "_id"]
            self.conn.execute(
                update(t.order_lines)
                .where(t.order_lines.c.id == bindparam("_id"))
                .values({c: bindparam(c) for c in cols}),
                kept,
            )
        self.seen[order.id] = (order, _order_state(order))

    def _load(self, where: Any, *, lock: bool = False) -> list[Order]:
        q = select(t.orders).where(where)
        if lock:
            q = q.order_by(t.orders.c.id).with_for_update(key_share=True)
        rows = self.conn.execute(q).mappings().all()
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        lines: dict[str, list[OrderLine]] = defaultdict(list)
        currency = {r["id"]: r["currency"] for r in rows}
        for chunk in _chunks(ids):
            q = (
                select(t.order_lines)
                .where(t.order_lines.c.order_id.in_(chunk))
                .order_by(t.order_lines.c.order_id, t.order_lines.c.position)
            )
            for lr in self.conn.execute(q).mappings():
                cur = currency[lr["order_id"]]
                lines[lr["order_id"]].append(
                    OrderLine(
                        lr["id"], lr["sku"], lr["name"], lr["quantity"],
                        Money(lr["unit_price"], cur), lr["weight_grams"],
                        codec.facts_from(lr["facts"], cur),
                    )
                )  # fmt: skip
        out = []
        for r in rows:
            if r["id"] in self.seen:
                out.append(self.seen[r["id"]][0])
                continue
            order = _order(r, lines[r["id"]])
            self.seen[order.id] = (order, _order_state(order))
            out.append(order)
        return out

    def get(self, merchant_id: str, order_id: str, *, lock: bool = False) -> Order | None:
        found = self._load(
            and_(t.orders.c.merchant_id == merchant_id, t.orders.c.id == order_id), lock=lock
        )
        return found[0] if found else None

    def get_by_external_id(self, merchant_id: str, external_id: str) -> Order | None:
        c = t.orders.c
        found = self._load(and_(c.merchant_id == merchant_id, c.external_id == external_id))
        return found[0] if found else None

    def get_many(
        self, merchant_id: str, order_ids: Iterable[str], *, lock: bool = False
    ) -> list[Order]:
        ids = sorted(set(order_ids))
        where = and_(t.orders.c.merchant_id == merchant_id, t.orders.c.id.in_(ids))
        if lock or len(ids) <= CHUNK:
            return self._load(where, lock=lock) if ids else []
        out: list[Order] = []
        for chunk in _chunks(ids):
            out.extend(
                self._load(and_(t.orders.c.merchant_id == merchant_id, t.orders.c.id.in_(chunk)))
            )
        return out

    def flush(self) -> None:
        changed = [o for o, snapshot in self.seen.values() if _order_state(o) != snapshot]
        if changed:
            rows = [
                {"id": o.id, "status": o.status.value, "updated_at": o.updated_at,
                 "cancelled_at": o.cancelled_at, "cancel_reason": o.cancel_reason}
                for o in sorted(changed, key=lambda o: o.id)
            ]  # fmt: skip
            bulk.update_rows(self.conn, t.orders, rows)
            for o in changed:
                self.seen[o.id] = (o, _order_state(o))
        moved = sorted(
            (p for p, before in self.progress.values() if p.status is not before),
            key=lambda p: p.id,
        )
        if moved:
            bulk.update_rows(
                self.conn,
                t.orders,
                [{"id": p.id, "status": p.status.value, "updated_at": p.updated_at} for p in moved],
            )
            for p in moved:
                self.progress[p.id] = (p, p.status)

    def progress_many(self, merchant_id: str, order_ids: Iterable[str]) -> list[OrderProgress]:
        ids = sorted(set(order_ids) - set(self.progress))
        o, li = t.orders.c, t.order_lines.c
        for chunk in _chunks(ids):
            q = (
                select(o.id, o.status, o.updated_at)
                .where(o.merchant_id == merchant_id, one_of(self.conn, o.id, chunk))
                .order_by(o.id)
                .with_for_update(key_share=True)
            )
            found = {r.id: r for r in self.conn.execute(q)}
            quantities: dict[str, dict[str, int]] = defaultdict(dict)
            lq = select(li.order_id, li.id, li.quantity, li.facts).where(
                one_of(self.conn, li.order_id, list(found))
            )
            for order_id, line_id, qty, facts in self.conn.execute(lq):
                if codec.ships(facts):
                    quantities[order_id][line_id] = qty
            for oid, r in found.items():
                p = OrderProgress(
                    oid, merchant_id, OrderStatus(r.status), quantities[oid], r.updated_at
                )
                self.progress[oid] = (p, p.status)
        wanted = set(order_ids)
        return [p for oid, (p, _) in self.progress.items() if oid in wanted]

    def aggregates(self) -> Iterator[Order | OrderProgress]:
        for order, _ in self.seen.values():
            yield order
        for p, _ in self.progress.values():
            yield p


def _order_state(o: Order) -> tuple[Any, ...]:
    """The parts of an order that change after it is placed (its lines never do)."""
    return (o.status, o.updated_at, o.cancelled_at, o.cancel_reason)


def _order_row(o: Order) -> dict[str, Any]:
    return {
        "id": o.id,
        "merchant_id": o.merchant_id,
        "external_id": o.external_id,
        "number": o.number,
        "customer_id": o.customer_id,
        "email": o.email,
        "phone": o.phone,
        "locale": o.locale,
        "timezone": o.timezone,
        "currency": o.currency,
        "shipping_address": o.shipping_address.as_dict(),
        "shipping_fee": o.shipping_fee.amount,
        "placed_at": o.placed_at,
        "promise_earliest": o.promise.earliest if o.promise else None,
        "promise_latest": o.promise.latest if o.promise else None,
        "source": o.source,
        "status": o.status.value,
        "tracking_token": o.tracking_token,
        "cancelled_at": o.cancelled_at,
        "cancel_reason": o.cancel_reason,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
        **codec.totals_columns(o.money),
        "details": codec.details_doc(o.details),
        "source_updated_at": o.source_updated_at,
    }


def _line_rows(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "id": line.id,
            "order_id": order.id,
            "position": i,
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price": line.unit_price.amount,
            "weight_grams": line.weight_grams,
            "facts": codec.facts_doc(line.facts),
        }
        for i, line in enumerate(order.lines)
    ]


def _order(r: Any, lines: list[OrderLine]) -> Order:
    promise = (
        Promise(latest=r["promise_latest"], earliest=r["promise_earliest"])
        if r["promise_latest"]
        else None
    )
    return Order(
        id=r["id"],
        merchant_id=r["merchant_id"],
        external_id=r["external_id"],
        number=r["number"],
        customer_id=r["customer_id"],
        email=r["email"],
        phone=r["phone"],
        locale=r["locale"],
        currency=r["currency"],
        lines=lines,
        shipping_address=Address.from_dict(r["shipping_address"]),
        shipping_fee=Money(Decimal(r["shipping_fee"]), r["currency"]),
        placed_at=r["placed_at"],
        tracking_token=r["tracking_token"],
        promise=promise,
        source=r["source"],
        timezone=r["timezone"],
        status=OrderStatus(r["status"]),
        cancelled_at=r["cancelled_at"],
        cancel_reason=r["cancel_reason"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        totals=codec.totals_from(r, r["currency"]),
        details=codec.details_from(r["details"], r["currency"]),
        source_updated_at=r["source_updated_at"],
    )


# --------------------------------------------------------------------------- shipments


class SqlShipmentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.seen: dict[str, tuple[Shipment, tuple[Any, ...]]] = {}

    def add(self, s: Shipment) -> None:
        self.conn.execute(insert(t.shipments).values(**_shipment_row(s)))
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
                c.merchant_id == merchant_id, one_of(self.conn, c.order_id, chunk)
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

    def quiet_since(self, before: datetime, limit: int) -> list[Shipment]:
        c = t.shipments.c
        last = func.coalesce(c.last_scan_at, c.created_at)
        q = (
            select(t.shipments)
            .where(
                c.status.notin_([ShipmentStatus.DELIVERED.value, ShipmentStatus.EXPIRED.value]),
                last < before,
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
    )


# --------------------------------------------------------------------------- tracking events


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


# --------------------------------------------------------------------------- receipts, counters


class SqlWebhookReceipts:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def seen(self, merchant_id: str, source: str, delivery_id: str) -> bool:
        r = t.webhook_receipts.c
        q = select(r.delivery_id).where(
            r.merchant_id == merchant_id, r.source == source, r.delivery_id == delivery_id
        )
        return self.conn.execute(q).first() is not None

    def first_time(self, merchant_id: str, source: str, delivery_id: str, at: datetime) -> bool:
        stmt = (
            upsert_insert(self.conn, t.webhook_receipts)
            .values(merchant_id=merchant_id, source=source, delivery_id=delivery_id, received_at=at)
            .on_conflict_do_nothing()
            .returning(t.webhook_receipts.c.delivery_id)
        )
        return self.conn.execute(stmt).first() is not None


class SqlCounters:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def increment_unrecognised(
        self, merchant_id: str, source: str, carrier: str | None, code: str | None, at: datetime
    ) -> None:
        u = t.unrecognised_codes
        stmt = upsert_insert(self.conn, u).values(
            merchant_id=merchant_id, source=source, carrier=carrier or "", code=code or "",
            count=1, first_seen=at, last_seen=at,
        )  # fmt: skip
        stmt = stmt.on_conflict_do_update(
            index_elements=["merchant_id", "source", "carrier", "code"],
            set_={"count": u.c.count + 1, "last_seen": at},
        )
        self.conn.execute(stmt)


# --------------------------------------------------------------------------- outbox


def outbox_rows(events: Sequence[Event], at: datetime) -> list[dict[str, Any]]:
    """The payload is the event itself: the JSON serialiser (orjson) writes dataclasses,
    enums and datetimes natively, in C."""
    return [
        {
            "merchant_id": e.merchant_id,
            "topic": type(e).__name__,
            "payload": e,
            "created_at": at,
            "attempts": 0,
            "next_attempt_at": at,
        }
        for e in events
    ]

"""Orders and their lines: loaded whole (or as bare progress for the tracking hot path),
written back on flush only if they changed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from postpurchase.adapters.db import bulk
from postpurchase.adapters.db import order_codec as codec
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.kpis.promises import record_promises
from postpurchase.adapters.db.sql import CHUNK, _chunks, one_of
from postpurchase.domain.addresses import Address
from postpurchase.domain.money import Money
from postpurchase.domain.orders import Order, OrderLine, OrderProgress, OurPromise, Promise
from postpurchase.domain.status import OrderStatus


class SqlOrderRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.seen: dict[str, tuple[Order, tuple[Any, ...]]] = {}
        self.progress: dict[str, tuple[OrderProgress, OrderStatus]] = {}

    def add(self, order: Order) -> None:
        row = _order_row(order)
        self.conn.execute(insert(t.orders).values(**row))
        self.conn.execute(insert(t.order_lines), _line_rows(order))
        record_promises(self.conn, _shown_promises(order))  # issue 14: promises as shown
        self.seen[order.id] = (order, _order_state(order))

    def revise(self, order: Order) -> None:
        """Write a revised order whole (a newer snapshot from its store): every column, and
        its lines by id (lines no longer in it stay, so shipments that name them still
        resolve)."""
        row = _order_row(order)
        # Our promise at purchase is never rewritten: a revision keeps the one intake made.
        for key in ("id", "merchant_id", "tracking_token", "created_at", "our_promise"):
            row.pop(key)
        row.pop("our_estimate")
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
                .where(one_of(self.conn, t.order_lines.c.order_id, chunk))
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


def _shown_promises(order: Order) -> list[dict[str, Any]]:
    """The promises a new order was shown at purchase: the store's at checkout and ours."""
    shown: list[dict[str, Any]] = []
    base = {"merchant_id": order.merchant_id, "order_id": order.id, "shown_at": order.placed_at}
    if order.promise is not None:
        shown.append(
            {**base, "surface": "checkout", "earliest": order.promise.earliest,
             "latest": order.promise.latest, "source": "store"}
        )  # fmt: skip
    if order.our_promise is not None:
        source = f"ours:{order.our_promise.layer}"[:64]
        shown.append(
            {**base, "surface": "order", "latest": order.our_promise.promise, "source": source}
        )
    return shown


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
        "our_promise": o.our_promise.promise if o.our_promise else None,
        "our_estimate": o.our_promise.as_dict() if o.our_promise else None,
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
        our_promise=OurPromise.from_dict(r["our_estimate"])
        if isinstance(r.get("our_estimate"), dict)
        else None,
    )

"""Support contacts in the database: the ``ContactStore`` port, the list and its filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.kpis.tables import support_contacts
from postpurchase.domain.notification_timing import zone
from postpurchase.service_layer.support import ContactRow, OrderFacts

c = support_contacts.c


def _row(r: Any) -> ContactRow:
    data = dict(r._mapping)
    data["tags"] = tuple(data["tags"] or ())
    return ContactRow(**data)


class SqlContactStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _order(
        self, merchant_id: str, order_id: str | None, numbers: Sequence[str], email: str | None,
        at: datetime,
    ) -> Any:  # fmt: skip
        o, m = t.orders.c, t.merchants.c
        base = (
            select(o.id, o.timezone, o.promise_latest, o.our_promise, m.timezone.label("mtz"))
            .select_from(t.orders.join(t.merchants, m.id == o.merchant_id))
            .where(o.merchant_id == merchant_id)
        )
        if order_id is not None:
            return self.conn.execute(base.where(o.id == order_id)).first()
        if numbers:
            candidates = [*numbers, *(f"#{n}" for n in numbers)]
            found = self.conn.execute(
                base.where(or_(o.number.in_(candidates), o.external_id.in_(candidates)))
                .order_by(o.placed_at.desc())
                .limit(1)
            ).first()
            if found is not None:
                return found
        if email:
            # The shopper's latest order placed before they wrote: what they most likely ask
            # about (an order placed after the contact cannot be its subject).
            return self.conn.execute(
                base.where(func.lower(o.email) == email.strip().lower(), o.placed_at <= at)
                .order_by(o.placed_at.desc())
                .limit(1)
            ).first()
        return None

    def order_facts(
        self,
        merchant_id: str,
        *,
        order_id: str | None,
        numbers: Sequence[str],
        email: str | None,
        at: datetime,
    ) -> OrderFacts | None:
        order = self._order(merchant_id, order_id, numbers, email, at)
        if order is None:
            return None
        s, e, n = t.shipments.c, t.tracking_events.c, t.notification_messages.c
        shipment = self.conn.execute(
            select(s.id, s.carrier)
            .where(s.merchant_id == merchant_id, s.order_id == order.id, s.created_at <= at)
            .order_by(s.created_at.desc())
            .limit(1)
        ).first()
        events: list[tuple[datetime, str]] = []
        if shipment is not None:
            events = [
                (occurred, status)
                for occurred, status in self.conn.execute(
                    select(e.occurred_at, e.status).where(
                        e.shipment_id == shipment.id, e.received_at <= at
                    )
                )
            ]
        flow = self.conn.execute(
            select(n.flow)
            .where(
                n.merchant_id == merchant_id,
                n.order_id == order.id,
                n.status == "sent",
                n.sent_at <= at,
            )
            .order_by(n.sent_at.desc())
            .limit(1)
        ).scalar()
        promise = order.promise_latest if order.promise_latest is not None else order.our_promise
        return OrderFacts(
            order_id=order.id,
            zone=zone(order.timezone, order.mtz),
            promise=promise,
            shipment_id=shipment.id if shipment else None,
            carrier=shipment.carrier if shipment else None,
            events=events,
            last_flow=flow,
        )

    def save(self, row: ContactRow) -> tuple[ContactRow, bool]:
        existing = self._get(row.merchant_id, row.source, row.ticket_id)
        if existing is not None:
            return existing, False
        values = asdict(row)
        values["tags"] = list(row.tags)
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(support_contacts).values(**values))
        except IntegrityError:  # the same ticket, recorded concurrently
            again = self._get(row.merchant_id, row.source, row.ticket_id)
            if again is None:
                raise
            return again, False
        return row, True

    def _get(self, merchant_id: str, source: str, ticket_id: str) -> ContactRow | None:
        r = self.conn.execute(
            select(support_contacts).where(
                c.merchant_id == merchant_id, c.source == source, c.ticket_id == ticket_id
            )
        ).first()
        return _row(r) if r is not None else None


def list_contacts(
    conn: Connection,
    merchant_id: str,
    *,
    start: datetime,
    end: datetime,
    order_status: bool | None = None,
    preventable: str | None = None,
    carrier: str | None = None,
    limit: int = 100,
) -> list[ContactRow]:
    q = select(support_contacts).where(
        c.merchant_id == merchant_id, c.contacted_at >= start, c.contacted_at < end
    )
    if order_status is not None:
        q = q.where(c.order_status_contact.is_(order_status))
    if preventable is not None:
        q = q.where(c.preventable == preventable)
    if carrier is not None:
        q = q.where(c.carrier == carrier)
    q = q.order_by(c.contacted_at.desc(), c.id).limit(limit)
    return [_row(r) for r in conn.execute(q)]

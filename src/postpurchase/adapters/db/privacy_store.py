"""One shopper's data across tables: export it, or pseudonymise it (``domain.privacy``).

Set-based where the rows are many (messages, events) and row by row where a JSON document
must be rewritten (addresses, order details). Every statement is scoped to the merchant:
a shopper of one merchant is a stranger to every other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, or_, select, update

from postpurchase.adapters.db import order_codec as codec
from postpurchase.adapters.db import read_models
from postpurchase.adapters.db import tables as t
from postpurchase.domain.addresses import Address
from postpurchase.domain.order_details import OrderDetails
from postpurchase.domain.privacy import ErasureReport, coarse_address

_CHUNK = 500


def _coarse(doc: Any) -> dict[str, Any] | None:
    if not doc or not doc.get("country"):
        return None
    try:
        return coarse_address(Address.from_dict(doc)).as_dict()
    except ValueError:
        return None


def _order_ids(
    conn: Connection, merchant_id: str, email: str, external_ids: Sequence[str]
) -> list[str]:
    o, c = t.orders.c, t.customers.c
    customers = select(c.id).where(c.merchant_id == merchant_id, func.lower(c.email) == email)
    where = [func.lower(o.email) == email, o.customer_id.in_(customers)]
    if external_ids:
        where.append(o.external_id.in_(list(external_ids)))
    q = select(o.id).where(o.merchant_id == merchant_id, or_(*where)).order_by(o.id)
    return [r.id for r in conn.execute(q)]


class SqlCustomerData:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def erase(
        self, merchant_id: str, email: str, order_external_ids: Sequence[str]
    ) -> ErasureReport:
        conn = self.conn
        ids = _order_ids(conn, merchant_id, email, order_external_ids)
        orders = self._orders(merchant_id, ids)
        self._lines(ids)
        shipments = self._shipments(merchant_id, ids)
        c = t.customers.c
        customers = conn.execute(
            update(t.customers)
            .where(c.merchant_id == merchant_id, func.lower(c.email) == email)
            .values(email=None, phone=None, name=None)
        ).rowcount
        m = t.notification_messages.c
        messages = conn.execute(
            update(t.notification_messages)
            .where(
                m.merchant_id == merchant_id,
                or_(m.order_id.in_(ids), func.lower(m.recipient) == email),
            )
            .values(recipient=None, subject=None, body_text=None, body_html=None)
        ).rowcount
        f = t.refunds.c
        conn.execute(update(t.refunds).where(f.order_id.in_(ids)).values(note=None))
        payloads = self._payloads(merchant_id, email)
        return ErasureReport(customers, orders, shipments, messages, payloads)

    def _orders(self, merchant_id: str, ids: list[str]) -> int:
        o = t.orders.c
        for start in range(0, len(ids), _CHUNK):
            rows = self.conn.execute(
                select(o.id, o.currency, o.shipping_address, o.details).where(
                    o.merchant_id == merchant_id, o.id.in_(ids[start : start + _CHUNK])
                )
            ).all()
            for r in rows:
                # Kept: how and what was bought and paid. Gone: who, where, and what they wrote.
                details = codec.details_from(r.details, r.currency)
                cleaned = codec.details_doc(
                    OrderDetails(
                        accepts_marketing=details.accepts_marketing,
                        shipping_method=details.shipping_method,
                        service_level=details.service_level,
                        tags=details.tags,
                        financial_status=details.financial_status,
                        fulfillment_status=details.fulfillment_status,
                        presentment_currency=details.presentment_currency,
                        presentment_total=details.presentment_total,
                        presentment_totals=details.presentment_totals,
                        presentment_items=details.presentment_items,
                        discounts=details.discounts,
                        shipping_lines=details.shipping_lines,
                        tax_lines=details.tax_lines,
                        extra=details.extra,
                    )
                )
                self.conn.execute(
                    update(t.orders)
                    .where(o.id == r.id)
                    .values(
                        email=None,
                        phone=None,
                        shipping_address=_coarse(r.shipping_address) or r.shipping_address,
                        details=cleaned,
                    )
                )
        return len(ids)

    def _lines(self, ids: list[str]) -> None:
        """Line properties carry what the shopper typed (an engraving, a gift message)."""
        li = t.order_lines.c
        for start in range(0, len(ids), _CHUNK):
            rows = self.conn.execute(
                select(li.id, li.facts).where(li.order_id.in_(ids[start : start + _CHUNK]))
            ).all()
            for r in rows:
                if r.facts and r.facts.get("properties"):
                    self.conn.execute(
                        update(t.order_lines)
                        .where(li.id == r.id)
                        .values(facts={**r.facts, "properties": []})
                    )

    def _shipments(self, merchant_id: str, ids: list[str]) -> int:
        s, e = t.shipments.c, t.tracking_events.c
        rows = self.conn.execute(
            select(s.id, s.destination).where(s.merchant_id == merchant_id, s.order_id.in_(ids))
        ).all()
        for r in rows:
            self.conn.execute(
                update(t.shipments).where(s.id == r.id).values(destination=_coarse(r.destination))
            )
        shipment_ids = [r.id for r in rows]
        for start in range(0, len(shipment_ids), _CHUNK):
            chunk = shipment_ids[start : start + _CHUNK]
            self.conn.execute(
                update(t.tracking_events)
                .where(e.shipment_id.in_(chunk), e.signed_by.is_not(None))
                .values(signed_by=None)
            )
        return len(rows)

    def _payloads(self, merchant_id: str, email: str) -> int:
        """Raw store deliveries that name the shopper: their bytes go, their outcome stays."""
        w = t.webhook_inbox.c
        needle = email.encode()
        erased = 0
        last = 0
        while True:
            rows = self.conn.execute(
                select(w.id, w.body, w.outcome)
                .where(w.merchant_id == merchant_id, w.id > last)
                .order_by(w.id)
                .limit(_CHUNK)
            ).all()
            if not rows:
                return erased
            for r in rows:
                if needle in bytes(r.body).lower():
                    self.conn.execute(
                        update(t.webhook_inbox)
                        .where(w.id == r.id)
                        .values(body=b"{}", outcome={**(r.outcome or {}), "erased": True})
                    )
                    erased += 1
            last = rows[-1].id


def export_customer(conn: Connection, merchant_id: str, email: str) -> dict[str, Any]:
    """Everything stored about the shopper, as the API shows it (a subject access request)."""
    c, m = t.customers.c, t.notification_messages.c
    customers = [
        dict(r)
        for r in conn.execute(
            select(c.id, c.email, c.phone, c.name, c.locale, c.created_at).where(
                c.merchant_id == merchant_id, func.lower(c.email) == email
            )
        ).mappings()
    ]
    orders = [
        found
        for oid in _order_ids(conn, merchant_id, email, ())
        if (found := read_models.get_order(conn, merchant_id, oid)) is not None
    ]
    order_ids = [o["id"] for o in orders]
    messages = [
        dict(r)
        for r in conn.execute(
            select(
                m.id, m.flow, m.channel, m.status, m.recipient, m.subject, m.body_text,
                m.created_at, m.sent_at, m.order_id,
            ).where(
                m.merchant_id == merchant_id,
                or_(m.order_id.in_(order_ids), func.lower(m.recipient) == email),
            ).order_by(m.created_at)
        ).mappings()
    ]  # fmt: skip
    r = t.tracking_ratings.c
    ratings = [
        dict(x)
        for x in conn.execute(
            select(r.order_id, r.score, r.created_at).where(
                r.merchant_id == merchant_id, r.order_id.in_(order_ids)
            )
        ).mappings()
    ]
    return {"email": email, "customers": customers, "orders": orders, "messages": messages,
            "ratings": ratings}  # fmt: skip

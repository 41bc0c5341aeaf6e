"""One order or one shipment as a support person reads it: facts, the carrier's scans (newest
first), every message planned for it with its outcome and, when it was not sent, why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.console.tables import console_resolutions

Ord, S, C, E, M = (
    t.orders.c, t.shipments.c, t.customers.c, t.tracking_events.c, t.notification_messages.c,
)  # fmt: skip
MAX_EVENTS = 500


@dataclass(frozen=True, slots=True)
class OrderFacts:
    id: str
    number: str
    placed_at: datetime
    status: str
    email: str | None
    phone: str | None
    customer_id: str | None
    customer_name: str | None
    currency: str
    shipping_fee: Decimal
    total: Decimal | None
    promise: date | None
    tracking_token: str
    source: str
    shipping_address: dict[str, Any]
    cancelled_at: datetime | None


@dataclass(frozen=True, slots=True)
class Scan:
    occurred_at: datetime
    status: str
    substatus: str | None
    description: str | None
    place: str
    source: str


@dataclass(frozen=True, slots=True)
class SentMessage:
    id: str
    flow: str
    channel: str
    status: str
    reason: str
    recipient: str | None
    created_at: datetime
    sent_at: datetime | None
    subject: str | None
    last_error: str | None
    shipment_id: str | None
    body_text: str | None


@dataclass(frozen=True, slots=True)
class ShipmentDetail:
    id: str
    order: OrderFacts
    tracking_number: str
    carrier: str | None
    service: str | None
    tracking_valid: bool
    status: str
    substatus: str | None
    created_at: datetime
    last_scan_at: datetime | None
    last_event_at: datetime | None
    delivered_at: datetime | None
    carrier_estimate: date | None
    tracking_url: str | None
    lines: list[dict[str, Any]]
    scans: list[Scan]
    messages: list[SentMessage]
    resolutions: list[dict[str, Any]]


def order_facts(conn: Connection, merchant_id: str, order_id: str) -> OrderFacts | None:
    r = conn.execute(
        select(t.orders, C.name.label("customer_name"))
        .select_from(t.orders.outerjoin(t.customers, C.id == Ord.customer_id))
        .where(Ord.merchant_id == merchant_id, Ord.id == order_id)
    ).first()
    if r is None:
        return None
    return OrderFacts(
        r.id, r.number, r.placed_at, r.status, r.email, r.phone, r.customer_id, r.customer_name,
        r.currency, r.shipping_fee, r.total, r.promise_latest or r.our_promise,
        r.tracking_token, r.source, dict(r.shipping_address or {}), r.cancelled_at,
    )  # fmt: skip


def _place(r: Any) -> str:
    return ", ".join(p for p in (r.city, r.region, r.country) if p)


def scans_of(conn: Connection, merchant_id: str, shipment_ids: list[str]) -> dict[str, list[Scan]]:
    found: dict[str, list[Scan]] = {}
    if not shipment_ids:
        return found
    rows = conn.execute(
        select(E.shipment_id, E.occurred_at, E.status, E.substatus, E.description, E.city,
               E.region, E.country, E.source)
        .where(E.merchant_id == merchant_id, E.shipment_id.in_(shipment_ids))
        .order_by(E.occurred_at.desc(), E.id.desc())
        .limit(MAX_EVENTS * len(shipment_ids))
    )  # fmt: skip
    for r in rows:
        found.setdefault(r.shipment_id, []).append(
            Scan(r.occurred_at, r.status, r.substatus, r.description, _place(r), r.source)
        )
    return found


def messages_of(
    conn: Connection, merchant_id: str, order_id: str, shipment_id: str | None = None
) -> list[SentMessage]:
    """The order's messages; with ``shipment_id``, that shipment's and the order's own
    (order confirmed) but not a sibling shipment's."""
    where = [M.merchant_id == merchant_id, M.order_id == order_id]
    if shipment_id is not None:
        where.append(or_(M.shipment_id == shipment_id, M.shipment_id.is_(None)))
    rows = conn.execute(
        select(M.id, M.flow, M.channel, M.status, M.reason, M.recipient, M.created_at,
               M.sent_at, M.subject, M.last_error, M.shipment_id, M.body_text)
        .where(and_(*where))
        .order_by(M.created_at.desc(), M.id.desc())
        .limit(200)
    )  # fmt: skip
    return [
        SentMessage(
            r.id,
            r.flow,
            r.channel,
            r.status,
            r.reason,
            r.recipient,
            r.created_at,
            r.sent_at,
            r.subject,
            r.last_error,
            r.shipment_id,
            r.body_text,
        )
        for r in rows
    ]


def shipment_detail(conn: Connection, merchant_id: str, shipment_id: str) -> ShipmentDetail | None:
    r = conn.execute(
        select(t.shipments).where(S.merchant_id == merchant_id, S.id == shipment_id)
    ).first()
    if r is None:
        return None
    order = order_facts(conn, merchant_id, r.order_id)
    if order is None:
        return None
    R = console_resolutions.c
    resolutions = [
        dict(row._mapping)
        for row in conn.execute(
            select(R.kind, R.resolved_at, R.resolved_by, R.action, R.note)
            .where(R.merchant_id == merchant_id, R.shipment_id == shipment_id)
            .order_by(R.resolved_at.desc())
        )
    ]
    return ShipmentDetail(
        r.id, order, r.tracking_number, r.carrier, r.service, bool(r.tracking_valid), r.status,
        r.substatus, r.created_at, r.last_scan_at, r.last_event_at, r.delivered_at,
        r.carrier_estimate, r.tracking_url, list(r.lines or []),
        scans_of(conn, merchant_id, [r.id]).get(r.id, []),
        messages_of(conn, merchant_id, r.order_id, r.id), resolutions,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class OrderDetail:
    order: OrderFacts
    lines: list[dict[str, Any]]
    shipments: list[dict[str, Any]]
    messages: list[SentMessage]


def order_detail(conn: Connection, merchant_id: str, order_id: str) -> OrderDetail | None:
    order = order_facts(conn, merchant_id, order_id)
    if order is None:
        return None
    L = t.order_lines.c
    lines = [
        dict(row._mapping)
        for row in conn.execute(
            select(L.sku, L.name, L.quantity, L.unit_price)
            .where(L.order_id == order_id)
            .order_by(L.position)
        )
    ]
    shipments = [
        dict(row._mapping)
        for row in conn.execute(
            select(S.id, S.tracking_number, S.carrier, S.service, S.status, S.substatus,
                   S.created_at, S.delivered_at, S.last_scan_at)
            .where(S.merchant_id == merchant_id, S.order_id == order_id)
            .order_by(S.created_at, S.id)
        )
    ]  # fmt: skip
    return OrderDetail(order, lines, shipments, messages_of(conn, merchant_id, order_id))

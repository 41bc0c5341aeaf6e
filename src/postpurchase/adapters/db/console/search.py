"""Orders and shipments search: one row per order (newest first) with its shipments, found by
order number, e-mail, tracking number or the customer's name, filtered and paged. Every
query is bound to the signed-in merchant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, Select, exists, func, select, union

from postpurchase.adapters.db import tables as t
from postpurchase.domain.carrier_detection import normalise
from postpurchase.domain.console import OrderQuery, Paged

Ord, S, C = t.orders.c, t.shipments.c, t.customers.c


@dataclass(frozen=True, slots=True)
class ShipmentLine:
    id: str
    tracking_number: str
    carrier: str | None
    status: str
    substatus: str | None


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: str
    number: str
    placed_at: datetime
    status: str
    email: str | None
    customer_name: str | None
    customer_id: str | None
    currency: str
    total: Decimal | None
    shipments: tuple[ShipmentLine, ...]


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_condition(merchant_id: str, text: str) -> ColumnElement[bool]:
    """The order is one the text finds. Each way of finding is its own indexed lookup (by
    number, external id, the customer's name, the e-mail's beginning, a tracking number) and
    the order ids are their union: one OR across three tables would read every order of
    the store for a text that matches none (benchmarks/console.py)."""
    number = text.lstrip("#").strip()
    lowered = like_escape(text.lower())
    mine = Ord.merchant_id == merchant_id
    found: list[Select[tuple[str]]] = [
        select(Ord.id).where(mine, Ord.number.in_([number, f"#{number}"])),
        select(Ord.id).where(mine, Ord.external_id == text),
        select(Ord.id).where(
            mine,
            Ord.customer_id.in_(
                select(C.id).where(
                    C.merchant_id == merchant_id,
                    func.lower(C.name).like(f"%{lowered}%", escape="\\"),
                )
            ),
        ),
    ]
    if "@" in text:
        found.append(
            select(Ord.id).where(mine, func.lower(Ord.email).like(f"{lowered}%", escape="\\"))
        )
    tracking = normalise(text)
    if tracking:
        found.append(
            select(S.order_id).where(S.merchant_id == merchant_id, S.tracking_number == tracking)
        )
    return Ord.id.in_(union(*found))


def search_orders(
    conn: Connection, merchant_id: str, query: OrderQuery
) -> tuple[list[OrderRow], Paged]:
    q = (
        select(
            Ord.id, Ord.number, Ord.placed_at, Ord.status, Ord.email, C.name,
            Ord.customer_id, Ord.currency, Ord.total,
        )
        .select_from(t.orders.outerjoin(t.customers, C.id == Ord.customer_id))
        .where(Ord.merchant_id == merchant_id)
    )  # fmt: skip
    if query.text:
        q = q.where(text_condition(merchant_id, query.text))
    if query.order_status:
        q = q.where(Ord.status == query.order_status.value)
    if query.shipment_status or query.carrier:
        parcel: list[ColumnElement[bool]] = [S.merchant_id == merchant_id, S.order_id == Ord.id]
        if query.shipment_status:
            parcel.append(S.status == query.shipment_status.value)
        if query.carrier:
            parcel.append(S.carrier == query.carrier)
        q = q.where(exists().where(*parcel))
    if query.placed_from:
        q = q.where(Ord.placed_at >= datetime.combine(query.placed_from, time(), UTC))
    if query.placed_to:
        end = datetime.combine(query.placed_to, time(), UTC) + timedelta(days=1)
        q = q.where(Ord.placed_at < end)
    page = query.page
    rows = list(
        conn.execute(
            q.order_by(Ord.placed_at.desc(), Ord.id.desc())
            .limit(page.per_page + 1)
            .offset(page.offset)
        )
    )
    has_more = len(rows) > page.per_page
    rows = rows[: page.per_page]
    parcels = shipments_of(conn, merchant_id, [r.id for r in rows])
    out = [
        OrderRow(
            r.id,
            r.number,
            r.placed_at,
            r.status,
            r.email,
            r.name,
            r.customer_id,
            r.currency,
            r.total,
            tuple(parcels.get(r.id, ())),
        )
        for r in rows
    ]
    return out, Paged(page.number, page.per_page, len(out), has_more)


def shipments_of(
    conn: Connection, merchant_id: str, order_ids: list[str]
) -> dict[str, list[ShipmentLine]]:
    found: dict[str, list[ShipmentLine]] = {}
    if not order_ids:
        return found
    rows = conn.execute(
        select(S.id, S.order_id, S.tracking_number, S.carrier, S.status, S.substatus)
        .where(S.merchant_id == merchant_id, S.order_id.in_(order_ids))
        .order_by(S.created_at, S.id)
    )
    for r in rows:
        found.setdefault(r.order_id, []).append(
            ShipmentLine(r.id, r.tracking_number, r.carrier, r.status, r.substatus)
        )
    return found


def carriers_in_use(conn: Connection, merchant_id: str) -> list[str]:
    """The carriers of the merchant's shipments, for the filter's choices."""
    rows = conn.execute(
        select(S.carrier).where(S.merchant_id == merchant_id, S.carrier.is_not(None)).distinct()
    )
    return sorted(r.carrier for r in rows)

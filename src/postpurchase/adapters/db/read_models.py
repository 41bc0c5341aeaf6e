"""The read side: plain SQL shaped for the API and pages (CQRS-style views).

Every function takes ``merchant_id`` and filters on it: tenants never see each other's rows.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from postpurchase.adapters.db import tables as t
from postpurchase.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class OrderFilter:
    status: str | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None
    customer_id: str | None = None
    email: str | None = None


def encode_cursor(placed_at: datetime, order_id: str) -> str:
    raw = f"{placed_at.isoformat()}|{order_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, order_id = raw.split("|", 1)
        return datetime.fromisoformat(stamp), order_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API returned", field="cursor") from None


def list_orders(
    conn: Connection,
    merchant_id: str,
    flt: OrderFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; keyset pagination so page 1,000 costs what page 1 does."""
    o = t.orders.c
    where = [o.merchant_id == merchant_id]
    if flt.status:
        where.append(o.status == flt.status)
    if flt.placed_from:
        where.append(o.placed_at >= flt.placed_from)
    if flt.placed_to:
        where.append(o.placed_at < flt.placed_to)
    if flt.customer_id:
        where.append(o.customer_id == flt.customer_id)
    if flt.email:
        where.append(o.email == flt.email.strip())
    if cursor:
        at, oid = decode_cursor(cursor)
        where.append(or_(o.placed_at < at, and_(o.placed_at == at, o.id < oid)))
    q = select(t.orders).where(*where).order_by(o.placed_at.desc(), o.id.desc()).limit(limit + 1)
    rows = [dict(r) for r in conn.execute(q).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    _attach_lines(conn, rows)
    _attach_shipments(conn, merchant_id, rows, with_events=False)
    next_cursor = encode_cursor(rows[-1]["placed_at"], rows[-1]["id"]) if more and rows else None
    return rows, next_cursor


def get_order(conn: Connection, merchant_id: str, order_id: str) -> dict[str, Any] | None:
    o = t.orders.c
    row = (
        conn.execute(select(t.orders).where(o.merchant_id == merchant_id, o.id == order_id))
        .mappings()
        .first()
    )
    if row is None:
        return None
    rows = [dict(row)]
    _attach_lines(conn, rows)
    _attach_shipments(conn, merchant_id, rows, with_events=False)
    return rows[0]


def get_order_by_token(conn: Connection, token: str) -> dict[str, Any] | None:
    """For the shopper's tracking page: the token is the only credential."""
    row = (
        conn.execute(select(t.orders).where(t.orders.c.tracking_token == token)).mappings().first()
    )
    if row is None:
        return None
    rows = [dict(row)]
    _attach_lines(conn, rows)
    _attach_shipments(conn, row["merchant_id"], rows, with_events=True)
    return rows[0]


def get_shipment(conn: Connection, merchant_id: str, shipment_id: str) -> dict[str, Any] | None:
    s = t.shipments.c
    row = (
        conn.execute(select(t.shipments).where(s.merchant_id == merchant_id, s.id == shipment_id))
        .mappings()
        .first()
    )
    if row is None:
        return None
    out = dict(row)
    out["events"] = _events(conn, [shipment_id])[shipment_id]
    return out


def _attach_lines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in rows]
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        q = (
            select(t.order_lines)
            .where(t.order_lines.c.order_id.in_(ids))
            .order_by(t.order_lines.c.order_id, t.order_lines.c.position)
        )
        for line in conn.execute(q).mappings():
            by_order[line["order_id"]].append(dict(line))
    for r in rows:
        r["lines"] = by_order[r["id"]]


def _attach_shipments(
    conn: Connection, merchant_id: str, rows: list[dict[str, Any]], *, with_events: bool
) -> None:
    ids = [r["id"] for r in rows]
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        s = t.shipments.c
        q = (
            select(t.shipments)
            .where(s.merchant_id == merchant_id, s.order_id.in_(ids))
            .order_by(s.created_at, s.id)
        )
        shipments = [dict(r) for r in conn.execute(q).mappings()]
        events = _events(conn, [x["id"] for x in shipments]) if with_events else {}
        for x in shipments:
            if with_events:
                x["events"] = events[x["id"]]
            by_order[x["order_id"]].append(x)
    for r in rows:
        r["shipments"] = by_order[r["id"]]


def _events(conn: Connection, shipment_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {sid: [] for sid in shipment_ids}
    if not shipment_ids:
        return out
    e = t.tracking_events.c
    q = (
        select(t.tracking_events)
        .where(e.shipment_id.in_(shipment_ids))
        .order_by(e.shipment_id, e.occurred_at.desc(), e.id.desc())
    )
    for r in conn.execute(q).mappings():
        out[r["shipment_id"]].append(dict(r))
    return out


def counts_by_status(conn: Connection, merchant_id: str) -> dict[str, int]:
    o = t.orders.c
    q = select(o.status, func.count()).where(o.merchant_id == merchant_id).group_by(o.status)
    return dict(conn.execute(q).all())

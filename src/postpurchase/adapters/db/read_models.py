"""The read side: plain SQL shaped for the API and pages (CQRS-style views).

Every function takes ``merchant_id`` and filters on it: tenants never see each other's rows.
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)

from postpurchase.adapters.db import hot_reads
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


_CURSOR_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position :func:`encode_cursor` wrote; anything else (bad base64, no offset, a
    time out of range, an id with odd characters) is an ``InvalidInput`` on ``cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, order_id = raw.split("|", 1)
        at = datetime.fromisoformat(stamp)
        if at.tzinfo is None or at.utcoffset() is None or not _CURSOR_ID.fullmatch(order_id):
            raise ValueError(cursor)
        return at.astimezone(UTC), order_id
    except (ValueError, UnicodeDecodeError, OverflowError):
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
    _attach_refunds(conn, merchant_id, rows)
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
    _attach_refunds(conn, merchant_id, rows)
    return rows[0]


def _prefixed(table: Any, prefix: str) -> list[Any]:
    return [c.label(prefix + c.name) for c in table.c]


# The tracking page's read, built once (building a select costs more than running it): the
# order with its lines and its shipments with their scans, in ONE statement -- a UNION ALL
# of two LEFT JOINs, each branch padding the other's columns with typed NULLs, told apart by
# ``kind``. A first view is database-bound on its round trips (the page's reads run on the
# event loop, ADR 0006): one instead of two for the order is one fewer wait per view.
_ORDER_COLUMNS = [c.name for c in t.orders.c]
_LINE_COLUMNS = [c.name for c in t.order_lines.c]
_SHIPMENT_COLUMNS = [c.name for c in t.shipments.c]
_EVENT_COLUMNS = [c.name for c in t.tracking_events.c]
_LINE_ID, _SHIPMENT_ID, _EVENT_ID = (
    cols.index("id") for cols in (_LINE_COLUMNS, _SHIPMENT_COLUMNS, _EVENT_COLUMNS)
)


def _padding(table: Any, prefix: str) -> list[Any]:
    return [type_coerce(null(), c.type).label(prefix + c.name) for c in table.c]


_ORDER_BRANCH = (
    select(
        literal(0).label("kind"),
        *_prefixed(t.orders, "o_"),
        *_prefixed(t.order_lines, "l_"),
        *_padding(t.shipments, "s_"),
        *_padding(t.tracking_events, "e_"),
    )
    .select_from(t.orders.outerjoin(t.order_lines, t.order_lines.c.order_id == t.orders.c.id))
    .where(t.orders.c.tracking_token == bindparam("token"))
)
_SHIPMENT_BRANCH = (
    select(
        literal(1).label("kind"),
        *_padding(t.orders, "o_"),
        *_padding(t.order_lines, "l_"),
        *_prefixed(t.shipments, "s_"),
        *_prefixed(t.tracking_events, "e_"),
    )
    .select_from(
        t.orders.join(
            t.shipments,
            and_(
                t.shipments.c.order_id == t.orders.c.id,
                # The tenant check stays, as a filter on the order's few shipments: as an
                # index condition, on tables not analysed yet (after a bulk load; autovacuum
                # off) PostgreSQL took the merchant's (merchant_id, return_id) index and read
                # every shipment of the merchant for each view (5,649 rows for one order).
                func.coalesce(t.shipments.c.merchant_id, "") == t.orders.c.merchant_id,
                t.shipments.c.return_id.is_(None),  # the return's parcel is not the order's
            ),
        ).outerjoin(t.tracking_events, t.tracking_events.c.shipment_id == t.shipments.c.id)
    )
    .where(t.orders.c.tracking_token == bindparam("token"))
)
_PAGE_ORDER = union_all(_ORDER_BRANCH, _SHIPMENT_BRANCH).subquery("page")
ORDER_FOR_PAGE = select(_PAGE_ORDER).order_by(
    _PAGE_ORDER.c.kind,
    _PAGE_ORDER.c.l_position,
    _PAGE_ORDER.c.s_created_at,
    _PAGE_ORDER.c.s_id,
    _PAGE_ORDER.c.e_occurred_at.desc(),
    _PAGE_ORDER.c.e_id.desc(),
)
_N_ORDER, _N_LINE, _N_SHIPMENT = len(_ORDER_COLUMNS), len(_LINE_COLUMNS), len(_SHIPMENT_COLUMNS)


def get_order_by_token(conn: Connection, token: str) -> dict[str, Any] | None:
    """For the shopper's tracking page: the token is the only credential.

    One statement (see ``ORDER_FOR_PAGE``), the same shape as :func:`get_order` plus
    ``events`` on each shipment (newest first).
    """
    return order_from_page_rows(hot_reads.rows(conn, ORDER_FOR_PAGE, {"token": token}))


def order_from_page_rows(rows: list[tuple[Any, ...]]) -> dict[str, Any] | None:
    """The order :func:`get_order_by_token` makes of :data:`ORDER_FOR_PAGE`'s rows."""
    if not rows or rows[0][0] != 0:
        return None
    o0, l0 = 1, 1 + _N_ORDER
    s0 = l0 + _N_LINE
    e0 = s0 + _N_SHIPMENT
    order = dict(zip(_ORDER_COLUMNS, rows[0][o0:l0], strict=True))
    order["lines"] = [
        dict(zip(_LINE_COLUMNS, row[l0:s0], strict=True))
        for row in rows
        if row[0] == 0 and row[l0 + _LINE_ID] is not None
    ]
    shipments: list[dict[str, Any]] = []
    for row in rows:
        if row[0] != 1:
            continue
        if not shipments or shipments[-1]["id"] != row[s0 + _SHIPMENT_ID]:
            shipment = dict(zip(_SHIPMENT_COLUMNS, row[s0:e0], strict=True))
            shipment["events"] = []
            shipments.append(shipment)
        if row[e0 + _EVENT_ID] is not None:
            shipments[-1]["events"].append(dict(zip(_EVENT_COLUMNS, row[e0:], strict=True)))
    order["shipments"] = shipments
    return order


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


def _attach_refunds(conn: Connection, merchant_id: str, rows: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in rows]
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        f = t.refunds.c
        q = (
            select(t.refunds)
            .where(f.merchant_id == merchant_id, f.order_id.in_(ids))
            .order_by(f.created_at, f.id)
        )
        for refund in conn.execute(q).mappings():
            by_order[refund["order_id"]].append(dict(refund))
    for r in rows:
        r["refunds"] = by_order[r["id"]]


def _attach_shipments(
    conn: Connection, merchant_id: str, rows: list[dict[str, Any]], *, with_events: bool
) -> None:
    ids = [r["id"] for r in rows]
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        s = t.shipments.c
        q = (
            select(t.shipments)
            .where(s.merchant_id == merchant_id, s.order_id.in_(ids), s.return_id.is_(None))
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

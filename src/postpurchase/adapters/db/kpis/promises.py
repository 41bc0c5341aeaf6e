"""Promises as shown (``promise_records``): written where they are shown, never rewritten.

Its own module, free of the other KPI modules: the orders repository writes an order's
promises in the transaction that stores it, and must not import the dashboards' code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from postpurchase.adapters.db.kpis.tables import promise_records
from postpurchase.adapters.db.sql import _chunks


def record_promises(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert promises as shown; one already recorded (same order, surface and dates) is
    kept as first shown, never overwritten. Returns how many were new."""
    new = 0
    p = promise_records.c
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        by_key.setdefault(
            (row["merchant_id"], row["order_id"], row["surface"], row.get("earliest"),
             row["latest"]),
            row,
        )  # fmt: skip
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in by_key.values():
        grouped[row["order_id"]].append(row)
    for order_id, items in grouped.items():
        have = {
            (surface, earliest, latest)
            for surface, earliest, latest in conn.execute(
                select(p.surface, p.earliest, p.latest).where(p.order_id == order_id)
            )
        }
        fresh = [
            {"shipment_id": None, "earliest": None, **i}
            for i in items
            if (i["surface"], i.get("earliest"), i["latest"]) not in have
        ]
        if fresh:
            conn.execute(insert(promise_records), fresh)
            new += len(fresh)
    return new


def record_page_promises(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert the promises the tracking page showed (``surface`` ``page``), each only when it
    differs from the last one recorded for its order and parcel (``shipment_id``; None for
    an order not shipped yet). ``rows`` come in the order shown; a parcel whose date went
    A, B, A gets three rows, so the drift after a promise reads the date shown last. Returns
    how many were new. Two processes that render the same change within one flush may both
    record it (a second row with the same dates); the reports count what was shown, so that
    is a near-duplicate, never a lost change."""
    if not rows:
        return 0
    p = promise_records.c
    last: dict[tuple[str, str | None], tuple[Any, Any]] = {}
    order_ids = sorted({r["order_id"] for r in rows})
    for chunk in _chunks(order_ids):
        q = (
            select(p.order_id, p.shipment_id, p.earliest, p.latest)
            .where(p.order_id.in_(chunk), p.surface == "page")
            .order_by(p.shown_at, p.id)
        )
        for order_id, shipment_id, earliest, latest in conn.execute(q):
            last[(order_id, shipment_id)] = (earliest, latest)
    fresh = []
    for row in rows:
        key = (row["order_id"], row.get("shipment_id"))
        dates = (row.get("earliest"), row["latest"])
        if last.get(key) != dates:
            last[key] = dates
            fresh.append({"shipment_id": None, "earliest": None, **row, "surface": "page"})
    if fresh:
        conn.execute(insert(promise_records), fresh)
    return len(fresh)

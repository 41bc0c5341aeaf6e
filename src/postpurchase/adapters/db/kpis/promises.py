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

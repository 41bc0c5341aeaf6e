"""What the console's pages read: plain SQL over the shared tables, every query filtered on
the signed-in merchant (the one argument no page can choose)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.console.attention import attention_count


def overview_counts(
    conn: Connection, merchant_id: str, now: datetime, no_scan_days: int
) -> dict[str, int]:
    """The overview tiles: orders and deliveries of the last 30 days, parcels on the way,
    shipments in the exceptions queue."""
    since = now - timedelta(days=30)
    o, s = t.orders.c, t.shipments.c
    orders_30d = conn.execute(
        select(func.count()).where(o.merchant_id == merchant_id, o.placed_at >= since)
    ).scalar_one()
    in_transit = conn.execute(
        select(func.count()).where(
            s.merchant_id == merchant_id,
            s.status.in_(("in_transit", "out_for_delivery", "info_received")),
        )
    ).scalar_one()
    delivered = conn.execute(
        select(func.count()).where(
            s.merchant_id == merchant_id, s.status == "delivered", s.delivered_at >= since
        )
    ).scalar_one()
    return {
        "orders_30d": int(orders_30d),
        "in_transit": int(in_transit),
        "delivered_30d": int(delivered),
        "exceptions": attention_count(conn, merchant_id, now, no_scan_days),
    }

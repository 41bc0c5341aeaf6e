"""A merchant's own delivered shipments, read from its database as training records.

Whatever brought the orders in (the demo's simulated history, a store backfill, a CSV
import, live webhooks), a shipment with status ``delivered`` and a delivery time is one
``DeliveredShipmentRecord``: destination from the order, origin from the shipment, carrier
and service, the parcel's weight from its order lines, the carrier hand-over (first scan)
and the store's own promise (``promise_latest``): it scores the store, and models trained
with ``EngineConfig.store_promise_feature`` (the default since issue 16's fourth pass)
read it as an order-time feature.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.edd.records import DeliveredShipmentRecord
from postpurchase.domain.order_details import service_level_of
from postpurchase.domain.status import ShipmentStatus

BATCH = 900  # under SQLite's bound-parameter limit for the lines' IN list


def _service(shipment_service: str | None, details: Any) -> str | None:
    level = service_level_of(shipment_service) if shipment_service else None
    if level is None and isinstance(details, dict):
        raw = details.get("service_level")
        return str(raw) if raw else None
    return level.value if level is not None else shipment_service


def _record(row: Any, weight: int | None, value: Decimal | None) -> DeliveredShipmentRecord | None:
    dest = row["shipping_address"] if isinstance(row["shipping_address"], dict) else {}
    origin = row["origin"] if isinstance(row["origin"], dict) else {}
    if not dest.get("country"):
        return None
    delivered: datetime = row["delivered_at"]
    ordered: datetime = row["placed_at"]
    if delivered < ordered:
        return None  # a clock or data error: never learn a negative transit
    handed = row["handed_over_at"]
    if handed is not None and not ordered <= handed <= delivered:
        handed = None
    extras: dict[str, float] = {}
    if value is not None:
        extras["order_value"] = float(value)
    if row["shipping_fee"] is not None:
        extras["freight_value"] = float(row["shipping_fee"])
    return DeliveredShipmentRecord(
        record_id=row["id"],
        ordered_at=ordered,
        delivered_at=delivered,
        destination_country=str(dest["country"]),
        destination_postal_code=dest.get("postal_code"),
        destination_region=dest.get("region"),
        origin_country=origin.get("country"),
        origin_postal_code=origin.get("postal_code"),
        origin_region=origin.get("region"),
        origin_id=origin.get("name") or origin.get("postal_code"),
        carrier=row["carrier"],
        service=_service(row["service"], row["details"]),
        weight_grams=float(weight) if weight else None,
        handed_over_at=handed,
        extras=extras,
        quoted_promise=row["promise_latest"],
    )


def count_delivered(conn: Connection, merchant_id: str) -> int:
    s = t.shipments.c
    q = select(func.count()).where(
        s.merchant_id == merchant_id,
        s.status == ShipmentStatus.DELIVERED.value,
        s.delivered_at.is_not(None),
        s.return_id.is_(None),  # a return parcel is not a delivery to learn from
    )
    return int(conn.execute(q).scalar() or 0)


def delivered_records(
    conn: Connection,
    merchant_id: str,
    *,
    delivered_since: datetime | None = None,
) -> Iterator[DeliveredShipmentRecord]:
    """The merchant's delivered shipments as training records, oldest order first (only this
    merchant's rows: every statement filters on ``merchant_id``)."""
    s, o, li = t.shipments.c, t.orders.c, t.order_lines.c
    q = (
        select(
            s.id,
            s.carrier,
            s.service,
            s.origin,
            s.handed_over_at,
            s.delivered_at,
            s.order_id,
            o.placed_at,
            o.shipping_address,
            o.shipping_fee,
            o.promise_latest,
            o.details,
        )
        .join(t.orders, o.id == s.order_id)
        .where(
            s.merchant_id == merchant_id,
            o.merchant_id == merchant_id,
            s.status == ShipmentStatus.DELIVERED.value,
            s.delivered_at.is_not(None),
            s.return_id.is_(None),  # a return parcel is not a delivery to learn from
        )
        .order_by(o.placed_at, s.id)
    )
    if delivered_since is not None:
        q = q.where(s.delivered_at >= delivered_since)
    rows = conn.execute(q).mappings().all()
    for i in range(0, len(rows), BATCH):
        chunk = rows[i : i + BATCH]
        order_ids = sorted({r["order_id"] for r in chunk})
        weights: dict[str, int] = {}
        values: dict[str, Decimal] = {}
        lq = select(li.order_id, li.weight_grams, li.quantity, li.unit_price).where(
            li.order_id.in_(order_ids)
        )
        for oid, weight, quantity, price in conn.execute(lq):
            if weight:
                weights[oid] = weights.get(oid, 0) + int(weight) * int(quantity)
            if price is not None:
                values[oid] = values.get(oid, Decimal(0)) + Decimal(str(price)) * int(quantity)
        for r in chunk:
            rec = _record(r, weights.get(r["order_id"]), values.get(r["order_id"]))
            if rec is not None:
                yield rec

"""The worker's ``kpi_facts`` job: per-shipment facts, computed by the pure definitions
(domain.kpis.delivery) and stored one row per shipment, so a dashboard adds up one narrow,
indexed table instead of joining shipments, orders and scans on every view.

New shipments (queued in ``kpi_pending`` with the shipment) get a row at the next run; rows
not final (not delivered or expired) are recomputed once they are older than
``STALE_AFTER``; final rows are left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, delete, func, insert, not_, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.kpis import rollups
from postpurchase.adapters.db.kpis.tables import kpi_facts, kpi_pending, promise_records
from postpurchase.domain.kpis import ShipmentRecord, region_label, shipment_facts
from postpurchase.domain.notification_timing import zone

STALE_AFTER = timedelta(minutes=10)
BATCH = 2000
NOT_SCANS = ("pending", "info_received")


def _region(address: Any) -> str | None:
    if not isinstance(address, dict):
        return None
    country = address.get("country")
    return region_label(country, address.get("region")) if country else None


def due_ids(
    conn: Connection, now: datetime, limit: int | None, merchant_id: str | None = None
) -> list[str]:
    """Shipments whose facts are due: queued in ``kpi_pending`` (new ones), and those not
    final whose facts are older than ``STALE_AFTER``. Both read an index of what is due
    only, so a tick with nothing to do costs two empty index reads, whatever the number of
    shipments (ADR 0027)."""
    p, f = kpi_pending.c, kpi_facts.c
    pending = select(p.shipment_id)
    stale = select(f.shipment_id).where(
        not_(f.final), f.refreshed_at < now - STALE_AFTER
    )  # ``NOT final``: the partial index's own predicate, so PostgreSQL uses it
    if merchant_id is not None:
        pending = pending.where(p.merchant_id == merchant_id)
        stale = stale.where(f.merchant_id == merchant_id)
    out: dict[str, None] = {}  # ordered, once each
    for query in (pending, stale):
        if limit is not None:
            query = query.limit(limit - len(out))
        out.update(dict.fromkeys(conn.execute(query).scalars()))
        if limit is not None and len(out) >= limit:
            break
    return list(out)


def without_facts(conn: Connection, merchant_id: str | None = None) -> list[str]:
    """Shipments that have no facts, queued or not: the backfill's anti-join over every
    shipment (``refresh_all``; e.g. after the facts were dropped to be rebuilt)."""
    s, f = t.shipments.c, kpi_facts.c
    query = (
        select(s.id)
        .select_from(t.shipments.outerjoin(kpi_facts, f.shipment_id == s.id))
        .where(
            f.shipment_id.is_(None),
            s.return_id.is_(None),  # a return leg is not a delivery to a shopper
        )
    )
    if merchant_id is not None:
        query = query.where(s.merchant_id == merchant_id)
    return list(conn.execute(query).scalars())


def _rows(conn: Connection, ids: Sequence[str]) -> list[Any]:
    s, o, m = t.shipments.c, t.orders.c, t.merchants.c
    query = (
        select(
            s.id,
            s.merchant_id,
            s.order_id,
            s.status,
            s.created_at,
            s.handed_over_at,
            s.delivered_at,
            s.carrier_estimate,
            s.tracking_valid,
            s.carrier,
            s.service,
            s.origin,
            s.destination,
            o.placed_at,
            o.customer_id,
            o.promise_latest,
            o.our_promise,
            o.timezone,
            o.shipping_address,
            m.timezone.label("merchant_tz"),
        )
        .select_from(
            t.shipments.join(t.orders, o.id == s.order_id).join(t.merchants, m.id == s.merchant_id)
        )
        .where(s.id.in_(ids))
    )
    return list(conn.execute(query).all())


def _scans(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[Any, bool, bool]]:
    e = t.tracking_events.c
    scanned = case((e.status.not_in(NOT_SCANS), e.occurred_at))
    q = (
        select(
            e.shipment_id,
            func.min(scanned),
            func.max(case((e.status == "exception", 1), else_=0)),
            func.max(case((e.status == "attempt_failed", 1), else_=0)),
        )
        .where(e.shipment_id.in_(ids))
        .group_by(e.shipment_id)
    )
    out: dict[str, tuple[Any, bool, bool]] = {}
    for sid, first, exc, failed in conn.execute(q):
        if isinstance(first, str):  # min() over a CASE loses the column type on SQLite
            first = datetime.fromisoformat(first)
        if first is not None and first.tzinfo is None:
            first = first.replace(tzinfo=UTC)
        out[sid] = (first, bool(exc), bool(failed))
    return out


def _first_estimates(conn: Connection, ids: Sequence[str]) -> dict[str, date]:
    """Each parcel's first carrier estimate (by event time): the "original EDD" other
    tools judge on-time against, where the shipment keeps only the latest."""
    e = t.tracking_events.c
    rows = conn.execute(
        select(e.shipment_id, e.estimated_delivery)
        .where(e.shipment_id.in_(ids), e.estimated_delivery.is_not(None))
        .order_by(e.shipment_id, e.occurred_at, e.id)
    )
    out: dict[str, date] = {}
    for shipment_id, estimate in rows:
        out.setdefault(shipment_id, estimate)
    return out


def _final_promises(conn: Connection, order_ids: Sequence[str]) -> dict[str, date]:
    p = promise_records.c
    rows = conn.execute(
        select(p.order_id, p.latest).where(p.order_id.in_(order_ids)).order_by(p.shown_at, p.id)
    )
    return dict(rows.all())  # the last shown wins (a Row unpacks as a pair)


def refresh(
    conn: Connection,
    now: datetime,
    *,
    limit: int = BATCH,
    merchant_id: str | None = None,
    touched: Touched | None = None,
    roll: bool = True,
    ids: Sequence[str] | None = None,
) -> int:
    """Compute and store the facts of up to ``limit`` due shipments (or of ``ids``), and
    (``roll``) rebuild the rollups of the days and customers they belong to; returns how
    many. The caller commits."""
    touched = touched if touched is not None else Touched()
    due = ids if ids is not None else due_ids(conn, now, limit, merchant_id)
    rows = _rows(conn, due) if due else []
    if due:  # done, or gone (a shipment erased): out of the queue either way
        conn.execute(delete(kpi_pending).where(kpi_pending.c.shipment_id.in_(due)))
    if not rows:
        if roll:
            rollups.settle_repeats(conn, now, merchant_id)
        return 0
    ids = [r.id for r in rows]
    scans = _scans(conn, ids)
    first_estimates = _first_estimates(conn, ids)
    finals = _final_promises(conn, sorted({r.order_id for r in rows}))
    values: list[dict[str, Any]] = []
    for r in rows:
        first_scan, had_exception, had_failed = scans.get(r.id, (None, False, False))
        first_scan = first_scan or r.handed_over_at
        record = ShipmentRecord(
            placed_at=r.placed_at,
            created_at=r.created_at,
            status=r.status,
            zone=zone(r.timezone, r.merchant_tz),
            tracking_valid=bool(r.tracking_valid),
            handed_over_at=r.handed_over_at,
            first_scan_at=first_scan,
            delivered_at=r.delivered_at,
            store_promise=r.promise_latest,
            our_promise=r.our_promise,
            carrier_estimate=r.carrier_estimate,
            # none sent with a scan: the one the shipment has is the first we know of
            carrier_first_estimate=first_estimates.get(r.id, r.carrier_estimate),
            had_exception=had_exception or r.status == "exception",
            had_failed_attempt=had_failed or r.status == "attempt_failed",
            carrier=r.carrier,
            service=r.service,
            origin_region=_region(r.origin),
            destination_region=_region(r.destination) or _region(r.shipping_address),
        )
        facts = shipment_facts(record)
        row = {
            "shipment_id": r.id, "merchant_id": r.merchant_id, "order_id": r.order_id,
            "customer_id": r.customer_id, "placed_at": r.placed_at, "refreshed_at": now,
            "status": r.status,
            "final_promise": finals.get(r.order_id),
        }  # fmt: skip
        for name in facts.__slots__:
            value = getattr(facts, name)
            row[name] = value.value if name == "cohort" and value is not None else value
        values.append(row)
    old = conn.execute(
        select(kpi_facts.c.merchant_id, kpi_facts.c.placed_on).where(
            kpi_facts.c.shipment_id.in_(ids)
        )
    ).all()
    conn.execute(delete(kpi_facts).where(kpi_facts.c.shipment_id.in_(ids)))
    conn.execute(insert(kpi_facts), values)
    for merchant, day in [*old, *((v["merchant_id"], v["placed_on"]) for v in values)]:
        touched.days.setdefault(merchant, set()).add(day)
    for v in values:
        if v["customer_id"] is not None and v["delivered"]:
            touched.customers.setdefault(v["merchant_id"], set()).add(v["customer_id"])
    if roll:
        touched.roll(conn, now)
    return len(values)


@dataclass
class Touched:
    """Days and customers whose rollups a refresh made stale."""

    days: dict[str, set[date]] = field(default_factory=dict)
    customers: dict[str, set[str]] = field(default_factory=dict)

    def roll(self, conn: Connection, now: datetime) -> None:
        for merchant_id, days in self.days.items():
            rollups.rebuild_days(conn, merchant_id, days)
        for merchant_id, customers in self.customers.items():
            rollups.rebuild_customers(conn, merchant_id, customers, now)
        self.days.clear()
        self.customers.clear()


def refresh_all(
    conn: Connection, now: datetime, merchant_id: str | None = None, *, limit: int = BATCH
) -> int:
    """Every due shipment, batch after batch, then the rollups once (tests, the CLI and the
    benchmark's backfill)."""
    total = 0
    touched = Touched()
    # Once: the anti-join scans every shipment (a backfill may follow dropped facts).
    due = list(dict.fromkeys([*without_facts(conn, merchant_id),
                              *due_ids(conn, now, None, merchant_id)]))  # fmt: skip
    for i in range(0, len(due), limit):
        total += refresh(
            conn, now, merchant_id=merchant_id, touched=touched, roll=False,
            ids=due[i : i + limit],
        )  # fmt: skip
        conn.commit()
    touched.roll(conn, now)
    rollups.settle_repeats(conn, now, merchant_id)
    conn.commit()
    return total

"""Rollups of the per-shipment facts, rebuilt by the ``kpi_facts`` job for every day (and
customer) a refresh touched: ``kpi_daily`` (sums per day, carrier, service, lane),
``kpi_daily_hist`` (6-hour histograms per day and carrier), ``kpi_promise_daily`` and
``kpi_customers`` (each customer's first delivery and, once its 90 days are over, whether
they bought again). Rebuilt with INSERT ... SELECT from ``kpi_facts``: the facts stay the
one source, the rollups only add them up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.kpis.tables import (
    kpi_customers,
    kpi_daily,
    kpi_daily_hist,
    kpi_facts,
    kpi_promise_daily,
    promise_records,
)

f = kpi_facts.c
HIST_HOURS = 6
METRICS = {
    "click_to_door": f.click_to_door_hours,
    "transit": f.transit_hours,
    "first_scan": f.first_scan_hours,
    # The order-to-delivery split's medians, as merchants compare them elsewhere (issue 14).
    "processing": f.processing_hours,
    "pickup_wait": f.pickup_wait_hours,
}
CHUNK = 400
WHOLE_MERCHANT = 5000  # more customers than this to rebuild: rebuild the merchant's all


UNTRACKED = ("pending", "expired")  # not "tracked" in the delivered rate's denominator


def one(flag: Any) -> Any:
    return func.coalesce(func.sum(case((flag, 1), else_=0)), 0)


SUM_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("shipments", func.count()),
    ("valid_tracking", one(f.valid_tracking)),
    ("delivered", one(f.delivered)),
    ("exceptions", one(f.exception)),
    ("failed_attempts", one(f.failed_attempt)),
    ("promise_judged", one(f.promise_judged)),
    ("on_time_promise", one(f.on_time_promise)),
    ("carrier_judged", one(f.carrier_judged)),
    ("on_time_carrier", one(f.on_time_carrier)),
    ("ours_judged", one(f.ours_judged)),
    ("on_time_ours", one(f.on_time_ours)),
    ("first_scanned", func.count(f.first_scan_hours)),
    ("first_scan_hours", func.coalesce(func.sum(f.first_scan_hours), 0.0)),
    ("processing_n", func.count(f.processing_hours)),
    ("processing_hours", func.coalesce(func.sum(f.processing_hours), 0.0)),
    ("pickup_n", func.count(f.pickup_wait_hours)),
    ("pickup_hours", func.coalesce(func.sum(f.pickup_wait_hours), 0.0)),
    ("transit_n", func.count(f.transit_hours)),
    ("transit_hours", func.coalesce(func.sum(f.transit_hours), 0.0)),
    ("tracked", one(f.status.not_in(UNTRACKED))),
    ("carrier_first_judged", one(f.carrier_first_judged)),
    ("on_time_carrier_first", one(f.on_time_carrier_first)),
)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def days_between(later: Any, earlier: Any, dialect: str) -> Any:
    """Whole days from ``earlier`` to ``later`` (dates), on either database."""
    if dialect == "postgresql":
        return later - earlier
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def rebuild_days(conn: Connection, merchant_id: str, days: Iterable[date]) -> None:
    """Recompute the daily rollups of ``days`` from the facts."""
    wanted = sorted(set(days))
    keys = (f.merchant_id, f.placed_on, f.carrier, f.service, f.lane)
    names = ["merchant_id", "placed_on", "carrier", "service", "lane"]
    for chunk in _chunks(wanted):
        mine = and_(f.merchant_id == merchant_id, f.placed_on.in_(chunk))
        for table in (kpi_daily, kpi_daily_hist, kpi_promise_daily):
            conn.execute(
                delete(table).where(
                    table.c.merchant_id == merchant_id, table.c.placed_on.in_(chunk)
                )
            )
        conn.execute(
            insert(kpi_daily).from_select(
                names + [n for n, _ in SUM_COLUMNS],
                select(*keys, *(c for _, c in SUM_COLUMNS)).where(mine).group_by(*keys),
            )
        )
        for metric, column in METRICS.items():
            bucket = cast(func.floor(column / HIST_HOURS), Integer)
            conn.execute(
                insert(kpi_daily_hist).from_select(
                    ["merchant_id", "placed_on", "carrier", "metric", "bucket", "n"],
                    select(
                        f.merchant_id, f.placed_on, f.carrier, literal(metric), bucket, func.count()
                    )
                    .where(mine, column.is_not(None))
                    .group_by(f.merchant_id, f.placed_on, f.carrier, bucket),
                )
            )
        _promises(conn, mine)


def _promises(conn: Connection, mine: Any) -> None:
    p = promise_records.c
    dialect = conn.dialect.name
    delivered = f.delivered_on.is_not(None)
    early = and_(delivered, p.earliest.is_not(None), f.delivered_on < p.earliest)
    within = and_(delivered, ~early, f.delivered_on <= p.latest)
    late = and_(delivered, f.delivered_on > p.latest)
    bias = days_between(f.delivered_on, p.latest, dialect)
    drift = days_between(f.final_promise, p.latest, dialect)
    keys = (f.merchant_id, f.placed_on, p.surface, f.carrier, f.lane)
    conn.execute(
        insert(kpi_promise_daily).from_select(
            ["merchant_id", "placed_on", "surface", "carrier", "lane", "shown", "delivered",
             "within", "early", "late", "bias_sum", "drift_n", "drift_sum", "moved"],
            select(
                *keys, func.count(), one(delivered), one(within), one(early), one(late),
                func.coalesce(func.sum(case((delivered, bias))), 0),
                func.count(f.final_promise), func.coalesce(func.sum(drift), 0),
                one(and_(f.final_promise.is_not(None), f.final_promise != p.latest)),
            )
            .select_from(promise_records.join(kpi_facts, f.order_id == p.order_id))
            .where(mine, p.merchant_id == f.merchant_id)
            .group_by(*keys),
        )
    )  # fmt: skip


def rebuild_customers(
    conn: Connection, merchant_id: str, customer_ids: Iterable[str], now: datetime
) -> None:
    """Each customer's first delivered parcel (earliest purchase; ties to the smaller
    shipment id) and its cohort; whether they repeated is settled once the window is over."""
    wanted: Sequence[str | None] = sorted(set(customer_ids))
    if len(wanted) > WHOLE_MERCHANT:  # a backfill: one pass over the merchant is cheaper
        wanted = [None]
    for chunk in _chunks(wanted):
        gone = delete(kpi_customers).where(kpi_customers.c.merchant_id == merchant_id)
        if chunk != [None]:
            gone = gone.where(kpi_customers.c.customer_id.in_(chunk))
        conn.execute(gone)
        firsts = select(
            f.merchant_id,
            f.customer_id,
            f.order_id,
            f.placed_at,
            f.placed_on,
            f.repeat_until,
            f.cohort,
            func.row_number()
            .over(partition_by=f.customer_id, order_by=(f.placed_at, f.shipment_id))
            .label("rn"),
        ).where(f.merchant_id == merchant_id, f.delivered.is_(True), f.customer_id.is_not(None))
        if chunk != [None]:
            firsts = firsts.where(f.customer_id.in_(chunk))
        ranked = firsts.subquery()
        names = ["merchant_id", "customer_id", "order_id", "placed_at", "placed_on",
                 "repeat_until", "cohort"]  # fmt: skip
        conn.execute(
            insert(kpi_customers).from_select(
                names, select(*(ranked.c[n] for n in names)).where(ranked.c.rn == 1)
            )
        )
    settle_repeats(conn, now, merchant_id)


def settle_repeats(conn: Connection, now: datetime, merchant_id: str | None = None) -> int:
    """Decide ``repeated`` for customers whose 90 days are over: another order of theirs,
    not cancelled, placed after the first and at most 90 days later."""
    k, o = kpi_customers.c, t.orders.c
    again = exists().where(
        o.merchant_id == k.merchant_id,
        o.customer_id == k.customer_id,
        o.placed_at > k.placed_at,
        o.placed_at <= k.repeat_until,
        o.id != k.order_id,
        o.status != "cancelled",
    )
    # ``repeated IS NULL``: the partial index's predicate, so only ended windows are read.
    stmt = update(kpi_customers).where(k.repeated.is_(None), k.repeat_until <= now)
    if merchant_id is not None:
        stmt = stmt.where(k.merchant_id == merchant_id)
    return int(conn.execute(stmt.values(repeated=again)).rowcount or 0)

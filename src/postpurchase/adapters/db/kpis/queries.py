"""The dashboards' SQL: sums over ``kpi_facts`` and friends, for one merchant and one query.

Only sums, counts and histograms are computed here; every rate, mean and percentile is made
from them by the pure definitions (domain.kpis), so SQLite and PostgreSQL answer alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Integer, and_, case, cast, exists, func, select
from sqlalchemy.sql import ColumnElement

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.kpis.tables import kpi_facts, promise_records, support_contacts
from postpurchase.domain.kpis import DeliveryCounts, KpiQuery
from postpurchase.domain.notification_timing import zone

f = kpi_facts.c


def _one(flag: Any) -> Any:
    return func.coalesce(func.sum(case((flag, 1), else_=0)), 0)


def _n(col: Any) -> Any:
    return func.count(col)


def _s(col: Any) -> Any:
    return func.coalesce(func.sum(col), 0.0)


COUNT_COLUMNS = (
    func.count().label("shipments"),
    _one(f.valid_tracking).label("valid_tracking"),
    _one(f.delivered).label("delivered"),
    _one(f.exception).label("exceptions"),
    _one(f.failed_attempt).label("failed_attempts"),
    _one(f.promise_judged).label("promise_judged"),
    _one(f.on_time_promise).label("on_time_promise"),
    _one(f.carrier_judged).label("carrier_judged"),
    _one(f.on_time_carrier).label("on_time_carrier"),
    _one(f.ours_judged).label("ours_judged"),
    _one(f.on_time_ours).label("on_time_ours"),
    _n(f.first_scan_hours).label("first_scanned"),
    _s(f.first_scan_hours).label("first_scan_hours"),
    _n(f.processing_hours).label("processing_n"),
    _s(f.processing_hours).label("processing_hours"),
    _n(f.pickup_wait_hours).label("pickup_n"),
    _s(f.pickup_wait_hours).label("pickup_hours"),
    _n(f.transit_hours).label("transit_n"),
    _s(f.transit_hours).label("transit_hours"),
)
GROUPS: dict[str, tuple[Any, ...]] = {
    "day": (f.placed_on,),
    "carrier": (f.carrier,),
    "service": (f.carrier, f.service),
    "lane": (f.lane,),
    "scorecard": (f.carrier, f.service, f.lane),
    "cohort": (f.cohort,),
}


def _where(merchant_id: str, q: KpiQuery) -> list[ColumnElement[bool]]:
    clauses = [f.merchant_id == merchant_id, f.placed_on >= q.start, f.placed_on <= q.end]
    if q.carrier is not None:
        clauses.append(f.carrier == q.carrier)
    if q.service is not None:
        clauses.append(f.service == q.service)
    if q.lane is not None:
        clauses.append(f.lane == q.lane)
    return clauses


def _counts(row: Any) -> DeliveryCounts:
    return DeliveryCounts(*(row[i] for i in range(len(COUNT_COLUMNS))))


def delivery_counts(
    conn: Connection, merchant_id: str, q: KpiQuery, group: str | None = None
) -> list[tuple[tuple[Any, ...], DeliveryCounts]]:
    """The sums, for all of the range (``group=None``) or per group."""
    keys = GROUPS[group] if group else ()
    stmt = select(*COUNT_COLUMNS, *keys).where(*_where(merchant_id, q))
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    n = len(COUNT_COLUMNS)
    return [(tuple(row[n:]), _counts(row)) for row in conn.execute(stmt)]


def histogram(
    conn: Connection, merchant_id: str, q: KpiQuery, column: str, group: str | None = None
) -> dict[tuple[Any, ...], dict[int, int]]:
    """Counts per whole hour of ``column`` (click_to_door_hours, transit_hours...)."""
    value = getattr(f, column)
    bucket = cast(func.floor(value), Integer).label("bucket")
    keys = GROUPS[group] if group else ()
    stmt = (
        select(*keys, bucket, func.count())
        .where(*_where(merchant_id, q), value.is_not(None))
        .group_by(*keys, bucket)
    )
    out: dict[tuple[Any, ...], dict[int, int]] = defaultdict(dict)
    n = len(keys)
    for row in conn.execute(stmt):
        out[tuple(row[:n])][int(row[n])] = int(row[n + 1])
    return out


@dataclass(frozen=True, slots=True)
class CohortRepeat:
    cohort: str
    customers: int
    repeaters: int


def repeat_by_cohort(conn: Connection, merchant_id: str, q: KpiQuery) -> list[CohortRepeat]:
    """Each customer's first delivered order (earliest purchase; ties to the smaller
    shipment id) puts them in its cohort; they repeat with another order of theirs, not
    cancelled, placed after it and within 90 days. Customers whose first order is within 90
    days of the merchant's last purchase are left out (their window is not over)."""
    ranked = (
        select(
            f.customer_id,
            f.placed_at,
            f.repeat_until,
            f.cohort,
            f.placed_on,
            f.order_id,
            func.row_number()
            .over(partition_by=f.customer_id, order_by=(f.placed_at, f.shipment_id))
            .label("rn"),
        )
        .where(f.merchant_id == merchant_id, f.delivered.is_(True), f.customer_id.is_not(None))
        .subquery()
    )
    o = t.orders.c
    last = conn.execute(select(func.max(o.placed_at)).where(o.merchant_id == merchant_id))
    last_purchase = last.scalar()
    if last_purchase is None:
        return []
    again = (
        exists()
        .where(
            o.merchant_id == merchant_id,
            o.customer_id == ranked.c.customer_id,
            o.placed_at > ranked.c.placed_at,
            o.placed_at <= ranked.c.repeat_until,
            o.id != ranked.c.order_id,
            o.status != "cancelled",
        )
        .correlate(ranked)
    )
    stmt = (
        select(ranked.c.cohort, func.count(), func.coalesce(func.sum(case((again, 1), else_=0)), 0))
        .where(
            ranked.c.rn == 1,
            ranked.c.cohort.is_not(None),
            ranked.c.placed_on >= q.start,
            ranked.c.placed_on <= q.end,
            ranked.c.repeat_until <= last_purchase,
        )
        .group_by(ranked.c.cohort)
        .order_by(ranked.c.cohort)
    )
    return [CohortRepeat(c, int(n), int(r)) for c, n, r in conn.execute(stmt)]


def merchant_zone_bounds(
    conn: Connection, merchant_id: str, q: KpiQuery
) -> tuple[datetime, datetime]:
    """The range's first and past-the-last instants, in UTC, by the merchant's calendar."""
    tz_name = conn.execute(
        select(t.merchants.c.timezone).where(t.merchants.c.id == merchant_id)
    ).scalar()
    tz = zone(tz_name)
    start = datetime.combine(q.start, time(), tz).astimezone(UTC)
    end = datetime.combine(q.end + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end


def orders_placed(conn: Connection, merchant_id: str, start: datetime, end: datetime) -> int:
    o = t.orders.c
    stmt = select(func.count()).where(
        o.merchant_id == merchant_id, o.placed_at >= start, o.placed_at < end
    )
    return int(conn.execute(stmt).scalar_one())


def contact_counts(
    conn: Connection, merchant_id: str, start: datetime, end: datetime
) -> list[tuple[str | None, str | None, str | None, bool, int]]:
    """Contacts by (preventable, carrier, last flow, order-status?) made in the range."""
    c = support_contacts.c
    stmt = (
        select(c.preventable, c.carrier, c.last_flow, c.order_status_contact, func.count())
        .where(c.merchant_id == merchant_id, c.contacted_at >= start, c.contacted_at < end)
        .group_by(c.preventable, c.carrier, c.last_flow, c.order_status_contact)
    )
    return [(p, ca, lf, bool(os_), int(n)) for p, ca, lf, os_, n in conn.execute(stmt)]


def rating_counts(
    conn: Connection, merchant_id: str, start: datetime, end: datetime
) -> tuple[dict[int, int], int]:
    """Survey answers by score given in the range, and how many carry a comment."""
    r = t.tracking_ratings.c
    stmt = (
        select(r.score, func.count(), func.count(r.comment))
        .where(r.merchant_id == merchant_id, r.updated_at >= start, r.updated_at < end)
        .group_by(r.score)
    )
    scores: dict[int, int] = {}
    comments = 0
    for score, n, with_comment in conn.execute(stmt):
        scores[int(score)] = int(n)
        comments += int(with_comment)
    return scores, comments


def return_figures(
    conn: Connection, merchant_id: str, start: datetime, end: datetime
) -> tuple[int, dict[str, int], list[float]]:
    """Returns opened in the range, units per reason, and hours from opening to the refund
    entry of the ledger (refunded returns only)."""
    # The returns context's tables, read through the shared metadata (its modules are its own).
    returns, lines, ledgers = (
        t.metadata.tables[n] for n in ("returns", "return_lines", "return_ledger")
    )
    r, line, ledger = returns.c, lines.c, ledgers.c
    in_range = and_(r.merchant_id == merchant_id, r.created_at >= start, r.created_at < end)
    opened = int(conn.execute(select(func.count()).where(in_range)).scalar_one())
    reasons = {
        str(code): int(units)
        for code, units in conn.execute(
            select(line.reason_code, func.sum(line.quantity))
            .select_from(lines.join(returns, r.id == line.return_id))
            .where(in_range)
            .group_by(line.reason_code)
        )
    }
    cycles = [
        (refunded - opened_at).total_seconds() / 3600
        for opened_at, refunded in conn.execute(
            select(r.created_at, ledger.created_at)
            .select_from(returns.join(ledgers, ledger.return_id == r.id))
            .where(in_range, ledger.kind == "refund")
        )
    ]
    return opened, reasons, cycles


def delivered_orders(conn: Connection, merchant_id: str, q: KpiQuery) -> int:
    stmt = select(func.count(func.distinct(f.order_id))).where(
        *_where(merchant_id, q), f.delivered.is_(True)
    )
    return int(conn.execute(stmt).scalar_one())


def _days_between(later: Any, earlier: Any, dialect: str) -> Any:
    if dialect == "postgresql":
        return later - earlier  # date - date is whole days
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


@dataclass(frozen=True, slots=True)
class PromiseSums:
    surface: str
    carrier: str
    lane: str
    shown: int
    delivered: int
    within: int
    early: int
    late: int
    bias_sum: int
    drift_n: int
    drift_sum: int
    moved: int


def promise_sums(
    conn: Connection, merchant_id: str, q: KpiQuery, sequence: Sequence[str] = ()
) -> list[PromiseSums]:
    """Per surface, carrier and lane: every promise shown on orders placed in the range,
    against the delivery date of the order's first delivered parcel in ``kpi_facts``."""
    p = promise_records.c
    dialect = conn.dialect.name
    delivered = f.delivered_on.is_not(None)
    early = and_(delivered, p.earliest.is_not(None), f.delivered_on < p.earliest)
    within = and_(delivered, ~early, f.delivered_on <= p.latest)
    late = and_(delivered, f.delivered_on > p.latest)
    bias = _days_between(f.delivered_on, p.latest, dialect)
    drift = _days_between(f.final_promise, p.latest, dialect)
    stmt = (
        select(
            p.surface,
            f.carrier,
            f.lane,
            func.count(),
            _one(delivered),
            _one(within),
            _one(early),
            _one(late),
            func.coalesce(func.sum(case((delivered, bias))), 0),
            func.count(f.final_promise),
            func.coalesce(func.sum(drift), 0),
            _one(and_(f.final_promise.is_not(None), f.final_promise != p.latest)),
        )
        .select_from(promise_records.join(kpi_facts, f.order_id == p.order_id))
        .where(*_where(merchant_id, q), p.merchant_id == merchant_id)
        .group_by(p.surface, f.carrier, f.lane)
        .order_by(p.surface, f.carrier, f.lane)
    )
    return [PromiseSums(*(r[0], r[1], r[2]), *(int(v) for v in r[3:])) for r in conn.execute(stmt)]


def first_day(conn: Connection, merchant_id: str) -> date | None:
    return conn.execute(select(func.min(f.placed_on)).where(f.merchant_id == merchant_id)).scalar()

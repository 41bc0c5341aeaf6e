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

from sqlalchemy import Connection, Integer, and_, case, cast, func, select
from sqlalchemy.sql import ColumnElement

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.kpis.rollups import HIST_HOURS, METRICS, SUM_COLUMNS
from postpurchase.adapters.db.kpis.tables import (
    kpi_customers,
    kpi_daily,
    kpi_daily_hist,
    kpi_facts,
    kpi_promise_daily,
    support_contacts,
)
from postpurchase.domain.kpis import DeliveryCounts, KpiQuery
from postpurchase.domain.notification_timing import zone

f = kpi_facts.c
d = kpi_daily.c
h = kpi_daily_hist.c

GROUPS: dict[str, tuple[str, ...]] = {
    "day": ("placed_on",),
    "carrier": ("carrier",),
    "service": ("carrier", "service"),
    "lane": ("lane",),
    "scorecard": ("carrier", "service", "lane"),
}


def _where(table: Any, merchant_id: str, q: KpiQuery) -> list[ColumnElement[bool]]:
    c = table.c
    clauses = [c.merchant_id == merchant_id, c.placed_on >= q.start, c.placed_on <= q.end]
    for name in ("carrier", "service", "lane"):
        value = getattr(q, name)
        if value is not None:
            clauses.append(c[name] == value)
    return clauses


def delivery_counts(
    conn: Connection, merchant_id: str, q: KpiQuery, group: str | None = None
) -> list[tuple[tuple[Any, ...], DeliveryCounts]]:
    """The sums from the daily rollup, for the whole range (``group=None``) or per group."""
    keys = tuple(d[k] for k in GROUPS[group]) if group else ()
    sums = [func.coalesce(func.sum(d[name]), 0) for name, _ in SUM_COLUMNS]
    stmt = select(*sums, *keys).where(*_where(kpi_daily, merchant_id, q))
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    n = len(sums)
    return [(tuple(row[n:]), DeliveryCounts(*row[:n])) for row in conn.execute(stmt)]


def histogram(
    conn: Connection, merchant_id: str, q: KpiQuery, metric: str, group: str | None = None
) -> dict[tuple[Any, ...], dict[int, int]]:
    """Parcels per ``HIST_HOURS`` bucket of ``metric`` (a key of ``METRICS``); per carrier
    at most. Filtered by service or lane, read from the facts (a slice of them: the rollup
    keeps histograms per carrier only)."""
    bucket: Any
    if q.service is None and q.lane is None:
        keys: tuple[Any, ...] = (h.carrier,) if group == "carrier" else ()
        n_col, bucket = func.sum(h.n), h.bucket
        stmt = (
            select(*keys, bucket, n_col)
            .where(*_where(kpi_daily_hist, merchant_id, q), h.metric == metric)
            .group_by(*keys, bucket)
        )
    else:
        value = METRICS[metric]
        keys = (f.carrier,) if group == "carrier" else ()
        bucket = cast(func.floor(value / HIST_HOURS), Integer)
        stmt = (
            select(*keys, bucket, func.count())
            .where(*_where(kpi_facts, merchant_id, q), value.is_not(None))
            .group_by(*keys, bucket)
        )
    out: dict[tuple[Any, ...], dict[int, int]] = defaultdict(dict)
    n = len(keys)
    for row in conn.execute(stmt):
        out[tuple(row[:n])][int(row[n])] = int(row[n + 1])
    return out


def histograms(
    conn: Connection,
    merchant_id: str,
    q: KpiQuery,
    metrics: Sequence[str],
    group: str | None = None,
) -> dict[str, dict[tuple[Any, ...], dict[int, int]]]:
    """``histogram`` of several metrics: from the rollup in one pass over the range's rows
    (a metric at a time read every metric's rows of the range again: the delivery page's
    five histograms were five passes), from the facts one metric at a time."""
    if q.service is not None or q.lane is not None:
        return {m: histogram(conn, merchant_id, q, m, group) for m in metrics}
    keys: tuple[Any, ...] = (h.carrier,) if group == "carrier" else ()
    stmt = (
        select(h.metric, *keys, h.bucket, func.sum(h.n))
        .where(*_where(kpi_daily_hist, merchant_id, q), h.metric.in_(list(metrics)))
        .group_by(h.metric, *keys, h.bucket)
    )  # fmt: skip
    out: dict[str, dict[tuple[Any, ...], dict[int, int]]] = {m: defaultdict(dict) for m in metrics}
    n = len(keys)
    for row in conn.execute(stmt):
        out[row[0]][tuple(row[1 : n + 1])][int(row[n + 1])] = int(row[n + 2])
    return out


@dataclass(frozen=True, slots=True)
class CohortRepeat:
    cohort: str
    customers: int
    repeaters: int


def repeat_by_cohort(conn: Connection, merchant_id: str, q: KpiQuery) -> list[CohortRepeat]:
    """Customers whose first delivered parcel was bought in the range, per its cohort, and
    how many bought again within 90 days (``kpi_customers``). Customers whose window is
    not over by the merchant's last purchase are left out."""
    o, k = t.orders.c, kpi_customers.c
    last_purchase = conn.execute(
        select(func.max(o.placed_at)).where(o.merchant_id == merchant_id)
    ).scalar()
    if last_purchase is None:
        return []
    stmt = (
        select(k.cohort, func.count(), func.coalesce(func.sum(case((k.repeated, 1), else_=0)), 0))
        .where(
            k.merchant_id == merchant_id,
            k.placed_on >= q.start,
            k.placed_on <= q.end,
            k.cohort.is_not(None),
            k.repeated.is_not(None),
            k.repeat_until <= last_purchase,
        )
        .group_by(k.cohort)
        .order_by(k.cohort)
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


def delivered_parcels(conn: Connection, merchant_id: str, q: KpiQuery) -> int:
    """Parcels delivered of orders bought in the range (the daily rollup)."""
    stmt = select(func.coalesce(func.sum(d.delivered), 0)).where(*_where(kpi_daily, merchant_id, q))
    return int(conn.execute(stmt).scalar_one())


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


PROMISE_SUMS = ("shown", "delivered", "within", "early", "late", "bias_sum", "drift_n",
                "drift_sum", "moved")  # fmt: skip


def promise_sums(conn: Connection, merchant_id: str, q: KpiQuery) -> list[PromiseSums]:
    """Per surface, carrier and lane: every promise shown on orders bought in the range,
    against the delivery date of each of the order's parcels (``kpi_promise_daily``)."""
    pd = kpi_promise_daily
    keys = (pd.c.surface, pd.c.carrier, pd.c.lane)
    clauses = _where(pd, merchant_id, KpiQuery(q.start, q.end, q.carrier, None, q.lane))
    stmt = (
        select(*keys, *(func.sum(pd.c[n]) for n in PROMISE_SUMS))
        .where(*clauses)
        .group_by(*keys)
        .order_by(*keys)
    )
    return [PromiseSums(r[0], r[1], r[2], *(int(v) for v in r[3:])) for r in conn.execute(stmt)]


def first_day(conn: Connection, merchant_id: str) -> date | None:
    return conn.execute(select(func.min(f.placed_on)).where(f.merchant_id == merchant_id)).scalar()

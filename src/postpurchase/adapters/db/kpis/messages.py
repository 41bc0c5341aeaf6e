"""The sums behind the message-versions report: per flow, channel and template version
(or hold-out), the orders of the range that were sent it (or held out of it), and what
happened to them afterwards. Counts only; rates and intervals come from domain.kpis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Date, and_, case, func, literal, or_, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.kpis.tables import kpi_customers, support_contacts
from postpurchase.domain.kpis import VersionSums

KEYS = ("placed_on", "flow", "channel", "template_version", "held_out")
Day = tuple[date, datetime, datetime]  # a day of purchase and its bounds in UTC


def _groups(merchant_id: str, days: Sequence[Day]) -> Any:
    """One row per day, group and order: the orders placed in a day's bounds that were sent
    a message of the group (or held out of it), with the first such message's time.

    The days' bounds are literals in the WHERE (an index range of ``orders`` per day) and a
    CASE names each order's day: joined to a subquery of bounds instead, PostgreSQL could
    not see the ranges and scanned every message of the store for a few days.
    """
    m, o = t.notification_messages.c, t.orders.c
    ranges = [(day, and_(o.placed_at >= start, o.placed_at < end)) for day, start, end in days]
    day_of = case(*((inside, literal(day, Date())) for day, inside in ranges)).label("placed_on")
    return (
        select(
            day_of, m.flow, m.channel, m.template_version, m.held_out, m.order_id,
            func.min(m.created_at).label("first_at"),
        )
        .select_from(t.orders)
        .join(t.notification_messages, and_(m.merchant_id == merchant_id, m.order_id == o.id))
        .where(
            o.merchant_id == merchant_id, or_(*(inside for _, inside in ranges)),
            or_(m.held_out.is_(True), m.status == "sent"),
        )
        .group_by(day_of, m.flow, m.channel, m.template_version, m.held_out, m.order_id)
        .cte("message_groups")
    )  # fmt: skip


def version_sums(
    conn: Connection, merchant_id: str, start: datetime, end: datetime
) -> list[VersionSums]:
    """The sums of the orders placed in [start, end)."""
    return version_sums_by_day(conn, merchant_id, [(start.date(), start, end)]).get(
        start.date(), []
    )


def version_sums_by_day(
    conn: Connection, merchant_id: str, days: Sequence[Day]
) -> dict[date, list[VersionSums]]:
    """The sums of each day's orders, all days in one statement per figure (the rollup's
    rebuild; ADR 0030)."""
    if not days:
        return {}
    g = _groups(merchant_id, days)
    keys = [g.c[k] for k in KEYS]
    sums: dict[tuple[Any, ...], dict[str, int]] = {}

    def add(stmt: Any, *names: str) -> None:
        for row in conn.execute(stmt.group_by(*keys)):
            found = sums.setdefault(tuple(row[:5]), {})
            for name, value in zip(names, row[5:], strict=True):
                found[name] = int(value or 0)

    add(select(*keys, func.count()), "orders")
    sc = support_contacts.c
    add(
        select(*keys, func.count(sc.id), func.count(func.distinct(g.c.order_id))).join(
            support_contacts,
            and_(
                sc.merchant_id == merchant_id, sc.order_id == g.c.order_id,
                sc.order_status_contact.is_(True), sc.contacted_at >= g.c.first_at,
            ),
        ),
        "status_contacts", "contacted_orders",
    )  # fmt: skip
    r = t.tracking_ratings.c
    add(
        select(*keys, func.count(), func.sum(case((r.score >= 4, 1), else_=0)), func.sum(r.score))
        .join(t.tracking_ratings, and_(r.merchant_id == merchant_id, r.order_id == g.c.order_id)),
        "rated_orders", "happy_orders", "score_sum",
    )  # fmt: skip
    k = kpi_customers.c
    add(
        select(*keys, func.count(), func.sum(case((k.repeated.is_(True), 1), else_=0))).join(
            kpi_customers,
            and_(k.merchant_id == merchant_id, k.order_id == g.c.order_id,
                 k.repeated.is_not(None)),
        ),
        "repeat_eligible", "repeaters",
    )  # fmt: skip
    clicks = t.metadata.tables["recommendation_clicks"].c  # the recommendations context's
    add(
        select(*keys, func.count(func.distinct(g.c.order_id))).join(
            t.metadata.tables["recommendation_clicks"],
            and_(clicks.merchant_id == merchant_id, clicks.order_id == g.c.order_id,
                 clicks.placement == "email", clicks.clicked_at >= g.c.first_at),
        ),
        "clicked_orders",
    )  # fmt: skip
    out: dict[date, list[VersionSums]] = {}
    for (day, flow, channel, version, held), found in sums.items():
        out.setdefault(day, []).append(
            VersionSums(flow, channel, None if held else version, bool(held), **found)
        )
    for rows in out.values():
        rows.sort(key=lambda s: (s.flow, s.channel, s.held_out, s.template_version or 0))
    return out

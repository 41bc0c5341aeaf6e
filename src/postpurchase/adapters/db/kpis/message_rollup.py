"""The message-versions report over a rollup the worker keeps (ADR 0030).

The sums of ``messages.version_sums`` read every message of every order of the range and
join contacts, answers, repeat windows and clicks to them: 13 s for a year of a store with
1,000,000 orders on PostgreSQL. They are kept per day of purchase (the merchant's calendar)
in ``kpi_message_daily``, and ``kpi_message_days`` says which days are in it and when they
were summed. A report adds up the days summed and sums the others (today, and any day the
worker has not reached yet) from the messages themselves, so nothing shown is missing.

What happens to an order after its messages (a contact, an answer, a click, its repeat
window ending at 90 days) changes its day's sums, and none of those writers knows about
this table; so the worker sums a day again once it is older than its age allows: ten
minutes for the last two weeks, an hour up to 100 days (the 90-day repeat windows end in
there), a day after that. A figure can be that much behind; the facts' rollups are ten
minutes behind at most (``facts.STALE_AFTER``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, delete, func, insert, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.kpis.messages import version_sums as summed_from_messages
from postpurchase.adapters.db.kpis.messages import version_sums_by_day as summed_by_day
from postpurchase.adapters.db.kpis.tables import kpi_message_daily, kpi_message_days
from postpurchase.domain.kpis import KpiQuery, VersionSums
from postpurchase.domain.notification_timing import zone

SUMS = tuple(f.name for f in fields(VersionSums))[4:]  # orders ... clicked_orders
NO_VERSION = -1  # a key column cannot be null: the hold-out's (and a legacy row's) version
DAYS_PER_TICK = 31  # days summed per merchant and tick (a year's backfill: a dozen ticks)
Key = tuple[str, str, int | None, bool]


def stale_after(age_days: int) -> timedelta:
    """How long a day's sums may stand before the worker sums it again."""
    if age_days <= 14:
        return timedelta(minutes=10)
    if age_days <= 100:
        return timedelta(hours=1)
    return timedelta(days=1)


def _key(s: VersionSums) -> Key:
    return (s.flow, s.channel, s.template_version, s.held_out)


def merge(sums: Iterable[VersionSums]) -> list[VersionSums]:
    """Rows of the same flow, channel, version and hold-out added up (days, or a hold-out's
    messages rendered before and after a version was set), in the report's order."""
    out: dict[Key, VersionSums] = {}
    for s in sums:
        known = out.get(_key(s))
        out[_key(s)] = s if known is None else replace(
            known, **{n: getattr(known, n) + getattr(s, n) for n in SUMS}
        )  # fmt: skip
    return sorted(
        out.values(), key=lambda s: (s.flow, s.channel, s.held_out, s.template_version or 0)
    )


def _bounds(tz_name: str | None, first: date, last: date) -> tuple[datetime, datetime]:
    tz = zone(tz_name)
    return (
        datetime.combine(first, time(), tz).astimezone(UTC),
        datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC),
    )


def _timezone(conn: Connection, merchant_id: str) -> str | None:
    m = t.merchants.c
    return conn.execute(select(m.timezone).where(m.id == merchant_id)).scalar()


def rebuild_days(conn: Connection, merchant_id: str, days: Iterable[date], now: datetime) -> int:
    """Sum ``days`` from the messages again (a month of days per statement) and store them;
    returns how many. The caller commits."""
    tz_name = _timezone(conn, merchant_id)
    d, k = kpi_message_daily.c, kpi_message_days.c
    wanted = sorted(set(days))
    for i in range(0, len(wanted), DAYS_PER_TICK):
        chunk = wanted[i : i + DAYS_PER_TICK]
        found = summed_by_day(
            conn, merchant_id, [(day, *_bounds(tz_name, day, day)) for day in chunk]
        )
        conn.execute(
            delete(kpi_message_daily).where(d.merchant_id == merchant_id, d.placed_on.in_(chunk))
        )
        conn.execute(
            delete(kpi_message_days).where(k.merchant_id == merchant_id, k.placed_on.in_(chunk))
        )
        rows = [
            {"merchant_id": merchant_id, "placed_on": day, "flow": s.flow, "channel": s.channel,
             "held_out": s.held_out,
             "template_version": NO_VERSION if s.template_version is None else s.template_version,
             **{name: getattr(s, name) for name in SUMS}}
            for day, sums in found.items()
            for s in merge(sums)
        ]  # fmt: skip
        if rows:
            conn.execute(insert(kpi_message_daily), rows)
        conn.execute(
            insert(kpi_message_days),
            [{"merchant_id": merchant_id, "placed_on": day, "refreshed_at": now} for day in chunk],
        )
    return len(wanted)


def due_days(
    conn: Connection, merchant_id: str, now: datetime, limit: int = DAYS_PER_TICK
) -> list[date]:
    """The days to sum (again): from the first order to yesterday, those never summed (the
    newest first), then those summed longer ago than ``stale_after`` allows (the stalest
    first). Today is always summed live by the report."""
    tz_name = _timezone(conn, merchant_id)
    o, k = t.orders.c, kpi_message_days.c
    first_at = conn.execute(
        select(func.min(o.placed_at)).where(o.merchant_id == merchant_id)
    ).scalar()
    if first_at is None:
        return []
    today = now.astimezone(zone(tz_name)).date()
    first = first_at.astimezone(zone(tz_name)).date()
    summed: dict[date, datetime] = dict(  # a list: a Result has keys(), dict() takes them
        conn.execute(select(k.placed_on, k.refreshed_at).where(k.merchant_id == merchant_id)).all()
    )
    never = [
        today - timedelta(days=i)
        for i in range(1, (today - first).days + 1)
        if today - timedelta(days=i) not in summed
    ]
    stale = sorted(
        (at, day)
        for day, at in summed.items()
        if day < today and at < now - stale_after((today - day).days)
    )
    return [*never, *(day for _, day in stale)][:limit]


def refresh(conn: Connection, now: datetime, limit: int = DAYS_PER_TICK) -> int:
    """The worker's tick: every merchant's due days, up to ``limit`` each; the caller
    commits. Returns the days summed."""
    n = 0
    for merchant_id in conn.execute(select(t.merchants.c.id)).scalars():
        due = due_days(conn, merchant_id, now, limit)
        if due:
            n += rebuild_days(conn, merchant_id, due, now)
    return n


def _runs(days: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def version_sums(conn: Connection, merchant_id: str, q: KpiQuery) -> list[VersionSums]:
    """The report's sums for the days of ``q``: the summed days from the rollup, the rest
    from the messages (each run of consecutive days in one query)."""
    d, k = kpi_message_daily.c, kpi_message_days.c
    in_range = (k.merchant_id == merchant_id, k.placed_on >= q.start, k.placed_on <= q.end)
    summed = set(conn.execute(select(k.placed_on).where(*in_range)).scalars())
    keys = (d.flow, d.channel, d.template_version, d.held_out)
    rolled = conn.execute(
        select(*keys, *(func.sum(d[name]) for name in SUMS))
        .where(d.merchant_id == merchant_id, d.placed_on >= q.start, d.placed_on <= q.end)
        .group_by(*keys)
    )
    out = [
        VersionSums(
            flow, channel, None if version == NO_VERSION else version, bool(held),
            **{name: int(v or 0) for name, v in zip(SUMS, values, strict=True)},
        )
        for flow, channel, version, held, *values in rolled
    ]  # fmt: skip
    missing = [
        q.start + timedelta(days=i)
        for i in range((q.end - q.start).days + 1)
        if q.start + timedelta(days=i) not in summed
    ]
    if missing:
        tz_name = _timezone(conn, merchant_id)
        for first, last in _runs(missing):
            start, end = _bounds(tz_name, first, last)
            out.extend(summed_from_messages(conn, merchant_id, start, end))
    return merge(out)

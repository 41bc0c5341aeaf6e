"""Dashboard queries over 1,000,000 shipments on PostgreSQL: every KPI page within 1 s.

Loads one merchant's year of orders and parcels with COPY (orders, customers, shipments,
the promises shown at checkout, survey answers, support contacts), has the worker's
``kpi_facts`` job compute the per-shipment facts (timed: the one-off backfill a merchant
with a year of history pays once; afterwards the job only looks at new and moving
parcels), then times every dashboard report (``entrypoints.api.kpi_reports.REPORTS``: the
JSON, CSV and SVG of a KPI are rendered from one report) over the default 90 days, a
whole year, and a year filtered to one carrier, by week.

The message-versions report reads the day sums the worker keeps (``kpi_message_daily``,
ADR 0030); the last column times, once, the same sums taken from the messages themselves
(the report before the rollup). The worker's KPI tick is timed idle (nothing due) and busy
(2,000 parcels queued and 3 message days due), each beside the previous tick's queries.

Named baseline, same run: the delivery page's headline sums (delivered, on time against
the promise, mean click-to-door) computed straight from ``shipments`` joined to ``orders``
for the same range, as a dashboard without the facts table would; the ratio is report time
over that one query. (The baseline computes 3 figures; the report 20 and a time series.)

Run (a database of its own; dropped after):
  createdb -h 127.0.0.1 -U postgres kpis_bench
  nice -n 10 .venv/bin/python benchmarks/kpis.py \
      --url postgresql+psycopg://postgres@127.0.0.1:5432/kpis_bench [--shipments 1000000]
  dropdb -h 127.0.0.1 -U postgres kpis_bench
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.kpis import facts, message_rollup
from postpurchase.adapters.db.kpis.messages import version_sums as messages_live
from postpurchase.adapters.db.kpis.queries import merchant_zone_bounds
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.domain.kpis import KpiQuery
from postpurchase.entrypoints.api.kpi_reports import REPORTS

END = datetime(2026, 11, 30, 12, tzinfo=UTC)  # the last purchase of the year loaded
CARRIERS = [("ups", ("ground", "2day")), ("fedex", ("home", "express")), ("usps", ("priority",)),
            ("dhl", ("paket", "express")), ("gls", ("business",))]  # fmt: skip
REGIONS = ["US-CA", "US-NY", "US-TX", "US-FL", "US-IL", "US-WA", "US-GA", "US-PA", "US-OH",
           "US-MA"]  # fmt: skip
ORIGINS = REGIONS[:3]
ROUNDS = 5


def hex_id() -> str:
    return uuid.uuid4().hex


def copy_rows(
    engine: Engine, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]
) -> int:
    raw = engine.raw_connection()
    n = 0
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
                n += 1
        raw.commit()
    finally:
        raw.close()
    return n


def load(engine: Engine, merchant_id: str, shipments: int, rng: random.Random) -> dict[str, float]:
    customers = [hex_id() for _ in range(int(shipments * 0.7))]
    timings: dict[str, float] = {}
    started = time.perf_counter()
    copy_rows(engine, "customers", ["id", "merchant_id", "email", "locale", "created_at"],
              ((c, merchant_id, f"{c[:12]}@example.com", "en", END - timedelta(days=400))
               for c in customers))  # fmt: skip
    orders: list[tuple[str, str, datetime, date, date, str, str]] = []
    for i in range(shipments):
        placed = END - timedelta(seconds=rng.randrange(365 * 86400))
        promise = (placed + timedelta(days=rng.choice((3, 4, 5, 6)))).date()
        ours = (placed + timedelta(days=rng.choice((3, 4, 5)))).date()
        orders.append((hex_id(), rng.choice(customers), placed, promise, ours,
                       rng.choice(REGIONS), f"{i}"))  # fmt: skip
    address = {r: json.dumps({"country": "US", "region": r[3:], "postal_code": "10001"})
               for r in REGIONS}  # fmt: skip
    copy_rows(
        engine, "orders",
        ["id", "merchant_id", "external_id", "number", "customer_id", "email", "locale",
         "currency", "shipping_address", "shipping_fee", "placed_at", "promise_latest",
         "our_promise", "source", "status", "tracking_token", "created_at", "updated_at"],
        ((oid, merchant_id, f"ext-{n}", f"#{n}", cid, None, "en", "USD", address[dest],
          "5.00", placed, promise, ours, "api", "delivered", hex_id(), placed, placed)
         for oid, cid, placed, promise, ours, dest, n in orders),
    )  # fmt: skip
    timings["orders"] = time.perf_counter() - started

    sent: list[tuple[str, str, str, datetime, datetime | None, date]] = []  # for messages

    def parcels() -> Iterator[tuple[Any, ...]]:
        for oid, cid, placed, promise, _, dest, n in orders:
            carrier, services = CARRIERS[rng.randrange(len(CARRIERS))]
            created = placed + timedelta(hours=rng.uniform(2, 40))
            handed = created + timedelta(hours=rng.uniform(1, 30))
            roll = rng.random()
            in_transit = placed > END - timedelta(days=6) and roll < 0.8
            status = "exception" if roll < 0.03 else "in_transit" if in_transit else "delivered"
            delivered = (
                handed + timedelta(hours=rng.lognormvariate(4.2, 0.45))
                if status == "delivered" else None
            )  # fmt: skip
            origin = rng.choice(ORIGINS)
            sid = hex_id()
            estimate = promise + timedelta(days=rng.choice((-1, 0, 0, 1)))
            sent.append((oid, sid, cid, handed, delivered, estimate))
            yield (
                sid,
                merchant_id,
                oid,
                f"1Z{int(n):016d}",
                carrier,
                rng.choice(services),
                rng.random() > 0.01,
                json.dumps({"country": "US", "region": origin[3:]}),
                address[dest],
                "[]",
                created,
                status,
                handed,
                handed,
                delivered,
                estimate,
                3,
            )

    started = time.perf_counter()
    copy_rows(
        engine, "shipments",
        ["id", "merchant_id", "order_id", "tracking_number", "carrier", "service",
         "tracking_valid", "origin", "destination", "lines", "created_at", "status",
         "handed_over_at", "last_scan_at", "delivered_at", "carrier_estimate", "event_count"],
        parcels(),
    )  # fmt: skip
    timings["shipments"] = time.perf_counter() - started
    started = time.perf_counter()
    copy_rows(
        engine, "promise_records",
        ["merchant_id", "order_id", "surface", "latest", "source", "shown_at"],
        ((merchant_id, oid, "checkout", promise, "store", placed)
         for oid, _, placed, promise, _, _, _ in orders),
    )  # fmt: skip
    rated = rng.sample(orders, k=shipments // 10)
    copy_rows(
        engine, "tracking_ratings",
        ["order_id", "merchant_id", "score", "locale", "created_at", "updated_at", "comment"],
        ((o[0], merchant_id, rng.choice((1, 2, 3, 4, 4, 5, 5, 5)), "en",
          o[2] + timedelta(days=6), o[2] + timedelta(days=6),
          "late" if rng.random() < 0.1 else None) for o in rated),
    )  # fmt: skip
    asked = rng.sample(orders, k=shipments // 50)
    copy_rows(
        engine, "support_contacts",
        ["id", "merchant_id", "source", "ticket_id", "tags", "order_status_contact",
         "order_id", "carrier", "state_when_made", "preventable", "last_flow", "contacted_at",
         "recorded_at"],
        ((hex_id(), merchant_id, "zendesk", f"t{i}", "[]", True, o[0],
          rng.choice(CARRIERS)[0], "on_time", rng.choice(("messaging_gap", "after_exception")),
          "shipped", o[2] + timedelta(days=2), o[2] + timedelta(days=2))
         for i, o in enumerate(asked)),
    )  # fmt: skip
    timings["promises, ratings, contacts"] = time.perf_counter() - started
    started = time.perf_counter()
    load_messages(engine, merchant_id, orders, sent, rng)
    timings["messages, page promises, clicks"] = time.perf_counter() - started
    return timings


MESSAGE_COLUMNS = [
    "id", "merchant_id", "dedupe_key", "flow", "channel", "status", "reason", "locale",
    "subject_id", "order_id", "shipment_id", "customer_id", "recipient", "event_topic",
    "event_at", "urgent", "created_at", "send_after", "attempts", "unknown_outcomes",
    "sent_at", "updated_at", "template_version", "held_out",
]  # fmt: skip


def load_messages(
    engine: Engine,
    merchant_id: str,
    orders: list[tuple[str, str, datetime, date, date, str, str]],
    sent: list[tuple[str, str, str, datetime, datetime | None, date]],
    rng: random.Random,
) -> None:
    """What the message-versions and page-promise KPIs read: about 3.4 messages per order
    (the order confirmation, "shipped" in two template versions with a 10 % hold-out, "out
    for delivery" by SMS for some, "delivered"), each parcel's tracking-page promise (a
    quarter of them shown a second, moved date) and e-mail recommendation clicks on 3 %."""
    placed_at = {o[0]: o[2] for o in orders}

    def message(
        flow: str, channel: str, topic: str, oid: str, subject: str, sid: str | None,
        cid: str, at: datetime, version: int | None,
    ) -> tuple[Any, ...]:  # fmt: skip
        held = version is None
        return (
            hex_id(), merchant_id, f"{flow}:{subject}:{channel}", flow, channel,
            "suppressed" if held else "sent",
            f"held out of '{flow}' (10% control group)" if held else "sent", "en",
            subject, oid, sid, cid, None if channel == "sms" else f"{cid[:12]}@example.com",
            topic, at, False, at, at, 0 if held else 1, 0, None if held else at, at,
            version, held,
        )  # fmt: skip

    def messages() -> Iterator[tuple[Any, ...]]:
        for oid, sid, cid, handed, delivered, _ in sent:
            placed = placed_at[oid]
            yield message("order_confirmed", "email", "OrderPlaced", oid, oid, None, cid,
                          placed + timedelta(minutes=1), 1)  # fmt: skip
            roll = rng.random()
            version = None if roll < 0.1 else 1 if roll < 0.55 else 2
            yield message("shipped", "email", "ShipmentCreated", oid, sid, sid, cid, handed,
                          version)  # fmt: skip
            if delivered is not None:
                if rng.random() < 0.4:
                    yield message("out_for_delivery", "sms", "ShipmentStatusChanged", oid,
                                  sid, sid, cid, delivered - timedelta(hours=4), 1)  # fmt: skip
                yield message("delivered", "email", "ShipmentStatusChanged", oid, sid, sid,
                              cid, delivered, 1)  # fmt: skip

    copy_rows(engine, "notification_messages", MESSAGE_COLUMNS, messages())

    def page_promises() -> Iterator[tuple[Any, ...]]:
        for oid, sid, _, handed, _, estimate in sent:
            yield (merchant_id, oid, sid, "page", estimate, "carrier", handed)
            if rng.random() < 0.25:
                yield (merchant_id, oid, sid, "page", estimate + timedelta(days=1), "carrier",
                       handed + timedelta(days=1))  # fmt: skip

    copy_rows(
        engine, "promise_records",
        ["merchant_id", "order_id", "shipment_id", "surface", "latest", "source", "shown_at"],
        page_promises(),
    )  # fmt: skip
    clicked = rng.sample(sent, k=len(sent) * 3 // 100)
    copy_rows(
        engine, "recommendation_clicks",
        ["id", "merchant_id", "order_id", "product_id", "placement", "email", "clicked_at"],
        ((hex_id(), merchant_id, c[0], f"p{rng.randrange(500)}", "email",
          f"{c[2][:12]}@example.com", c[3] + timedelta(hours=1)) for c in clicked),
    )  # fmt: skip


def timed(fn: Callable[[], Any], setup: Callable[[], Any] | None = None) -> float:
    """The median of ``ROUNDS`` runs after one warm-up, in seconds (``setup`` before each,
    not timed)."""
    if setup:
        setup()
    fn()
    runs = []
    for _ in range(ROUNDS):
        if setup:
            setup()
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


BASELINE = text(
    """
    SELECT count(s.delivered_at),
           sum(CASE WHEN s.delivered_at IS NOT NULL
                     AND CAST(s.delivered_at AS date) <= o.promise_latest THEN 1 ELSE 0 END),
           avg(EXTRACT(EPOCH FROM s.delivered_at - o.placed_at))
    FROM shipments s JOIN orders o ON o.id = s.order_id
    WHERE s.merchant_id = :m AND o.placed_at >= :start AND o.placed_at < :end
    """
)


# The worker's idle tick before ADR 0027, same run, as the named baseline of the tick: the
# anti-join of every shipment with its facts, and settling the repeat windows without the
# partial index of the unsettled ones (the planner told not to use an index, as without it).
PREVIOUS_TICK = (
    text(
        "SELECT s.id FROM shipments s LEFT JOIN kpi_facts f ON f.shipment_id = s.id "
        "WHERE f.shipment_id IS NULL OR (f.final IS false AND f.refreshed_at < :stale) "
        "LIMIT 2000"
    ),
    text("SET LOCAL enable_indexscan = off"),
    text("SET LOCAL enable_bitmapscan = off"),
    text("SET LOCAL enable_indexonlyscan = off"),
    text(
        "UPDATE kpi_customers k SET repeated = EXISTS (SELECT 1 FROM orders o "
        "WHERE o.merchant_id = k.merchant_id AND o.customer_id = k.customer_id "
        "AND o.placed_at > k.placed_at AND o.placed_at <= k.repeat_until "
        "AND o.id <> k.order_id AND o.status <> 'cancelled') "
        "WHERE k.repeated IS NULL AND k.repeat_until <= :now"
    ),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a PostgreSQL database of its own")
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--reuse", action="store_true",
        help="keep the orders and parcels a previous run loaded; recompute the facts",
    )  # fmt: skip
    parser.add_argument(
        "--keep-facts", action="store_true",
        help="with --reuse: keep the facts and their rollups (no facts backfill)",
    )  # fmt: skip
    parser.add_argument(
        "--load-only", action="store_true", help="stop after the load and the backfill"
    )
    args = parser.parse_args()
    console = Console(width=160)
    engine = make_engine(args.url, pool_size=2)
    if engine.dialect.name != "postgresql":
        raise SystemExit("error: the benchmark needs PostgreSQL (--url postgresql+psycopg://...)")
    upgrade(engine)
    rng = random.Random(args.seed)
    with engine.begin() as conn:
        known = conn.execute(text("SELECT id FROM merchants WHERE slug LIKE 'bench-%'")).scalar()
    loads: dict[str, float] = {}
    if args.reuse and known:
        merchant_id = str(known)
        with engine.begin() as conn:
            kept = (
                ()
                if args.keep_facts
                else (
                    "kpi_facts",
                    "kpi_daily",
                    "kpi_daily_hist",
                    "kpi_promise_daily",
                    "kpi_customers",
                )
            )  # the message sums are summed again either way (their backfill is timed)
            for table in (*kept, "kpi_message_daily", "kpi_message_days"):  # fmt: skip
                conn.execute(text(f"TRUNCATE {table}"))
    else:
        merchant_id = hex_id()
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO merchants (id, name, slug, timezone, locale, settings,"
                     " created_at) VALUES (:id, 'Bench', :slug, 'America/New_York', 'en',"
                     " '{}', :at)"),
                {"id": merchant_id, "slug": "bench-" + merchant_id[:8], "at": END},
            )  # fmt: skip
        console.print(f"loading {args.shipments:,} shipments (COPY)...")
        loads = load(engine, merchant_id, args.shipments, rng)
    console.print("load: " + (", ".join(f"{k} {v:.1f} s" for k, v in loads.items()) or "reused"))
    if not (args.reuse and known and args.keep_facts):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        started = time.perf_counter()
        with engine.connect() as conn:
            done = facts.refresh_all(conn, END + timedelta(days=1), limit=5_000)
        backfill = time.perf_counter() - started
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        console.print(f"kpi_facts backfill: {done:,} shipments in {backfill:.1f} s "
                      f"({done / backfill:,.0f}/s)")  # fmt: skip
    if args.load_only:
        return

    now = END + timedelta(days=1)
    started = time.perf_counter()
    with engine.connect() as conn:  # the message-version sums of every day not summed yet
        days = message_rollup.refresh(conn, now, limit=1_000)
        conn.commit()
    if days:
        took = time.perf_counter() - started
        console.print(f"kpi_message_daily backfill: {days} days in {took:.1f} s "
                      f"({took / days * 1000:,.0f} ms a day)")  # fmt: skip

    def tick() -> None:  # the worker's KPI minute: facts due, then message days due
        with engine.connect() as conn:
            facts.refresh(conn, now)
            message_rollup.refresh(conn, now)
            conn.commit()

    def previous_tick() -> None:
        with engine.connect() as conn:
            for statement in PREVIOUS_TICK:
                conn.execute(statement, {"stale": now - facts.STALE_AFTER, "now": now})
            conn.rollback()  # it settles nothing new either: the same work, undone

    idle, previous = timed(tick), timed(previous_tick)
    console.print(
        f"a worker tick with nothing due: {idle * 1000:,.0f} ms; the previous tick's "
        f"queries (baseline, same run): {previous * 1000:,.0f} ms; "
        f"{idle / previous:.3f}x the baseline"
    )
    with engine.connect() as conn:  # the parcels a busy minute moves: the newest ones
        moving = list(conn.execute(
            text("SELECT id FROM shipments WHERE merchant_id = :m"
                 " ORDER BY created_at DESC LIMIT :n"),
            {"m": merchant_id, "n": facts.BATCH},
        ).scalars())  # fmt: skip

    def busy_setup() -> None:  # 2,000 parcels queued, 3 message days due (a steady minute)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO kpi_pending (shipment_id, merchant_id) VALUES (:s, :m)"
                     " ON CONFLICT DO NOTHING"),
                [{"s": sid, "m": merchant_id} for sid in moving],
            )  # fmt: skip
            conn.execute(
                text("UPDATE kpi_message_days SET refreshed_at = :old WHERE placed_on IN"
                     " (:a, :b, :c) AND merchant_id = :m"),
                {"old": now - timedelta(days=2), "a": END.date() - timedelta(days=1),
                 "b": END.date() - timedelta(days=30), "c": END.date() - timedelta(days=200),
                 "m": merchant_id},
            )  # fmt: skip

    def busy_previous() -> None:  # the same batch found the previous way, no message days
        with engine.connect() as conn:
            for statement in PREVIOUS_TICK:
                conn.execute(statement, {"stale": now - facts.STALE_AFTER, "now": now})
            conn.rollback()
            facts.refresh(conn, now, ids=moving)
            conn.commit()

    busy, busy_before = timed(tick, busy_setup), timed(busy_previous, busy_setup)
    console.print(
        f"a busy worker tick ({len(moving):,} parcels due, 3 message days due): "
        f"{busy * 1000:,.0f} ms; the previous tick's queries with the same batch (baseline, "
        f"same run): {busy_before * 1000:,.0f} ms; {busy / busy_before:.3f}x the baseline"
    )

    today = END.date()
    ranges = {
        "90 days": KpiQuery(today - timedelta(days=89), today),
        "365 days": KpiQuery(today - timedelta(days=364), today),
        "365 d, ups, by week": KpiQuery(
            today - timedelta(days=364), today, carrier="ups", interval="week"
        ),
    }
    table = Table(title=f"KPI pages over {args.shipments:,} shipments (median of {ROUNDS})")
    columns = ("range", "baseline ms", *REPORTS, "slowest / baseline", "messages live ms")
    for column in columns:
        table.add_column(column, justify="right")
    worst = 0.0
    for label, q in ranges.items():
        start = datetime.combine(q.start, datetime.min.time(), UTC)
        end = datetime.combine(q.end + timedelta(days=1), datetime.min.time(), UTC)

        def baseline(start: datetime = start, end: datetime = end) -> None:
            with engine.connect() as conn:
                conn.execute(BASELINE, {"m": merchant_id, "start": start, "end": end}).all()

        base = timed(baseline)
        cells = []
        slowest = 0.0
        for build in REPORTS.values():

            def page(build: Any = build, q: KpiQuery = q) -> None:
                with engine.connect() as conn:
                    build(conn, merchant_id, q)

            took = timed(page)
            slowest = max(slowest, took)
            cells.append(f"{took * 1000:,.0f}")
        worst = max(worst, slowest)

        def live(q: KpiQuery = q) -> None:  # the message report before its rollup: one run
            with engine.connect() as conn:
                messages_live(conn, merchant_id, *merchant_zone_bounds(conn, merchant_id, q))

        started = time.perf_counter()
        live()
        before = time.perf_counter() - started
        table.add_row(label, f"{base * 1000:,.0f}", *cells, f"{slowest / base:.2f}×",
                      f"{before * 1000:,.0f}")  # fmt: skip
    console.print(table)
    console.print(
        "load: "
        + (", ".join(f"{k} {v:.1f} s" for k, v in loads.items()) or "reused")
        + f"; every page {'within' if worst <= 1 else 'OVER'} 1 s (slowest {worst * 1000:,.0f} ms)"
    )


if __name__ == "__main__":
    main()

"""The console's busiest pages on a store with ~200,000 shipments (PostgreSQL).

Bulk-loads (COPY) one store's customers, orders and shipments in a realistic mix (most
delivered, a quarter on the way, a few per cent in each kind of trouble, some promises
already past) plus a second store's rows around it, runs VACUUM ANALYZE, then times full
pages through the ASGI app with a signed-in owner (session read, queries, Jinja), each
``--repeat`` times after one warm-up:

  baseline            /console/orders/{id}: one order's page (point reads by key)
  overview            /console: the tiles (orders and deliveries in 30 days, on the way,
                      the exceptions count)
  queue               /console/exceptions: the first page and the count of every kind
  queue, one kind     /console/exceptions?kind=late
  queue, page 40      /console/exceptions?page=40 (deep OFFSET)
  search: name part   /console/orders?q=<part of a surname>   (substring of any case)
  search: e-mail      /console/orders?q=<an address's beginning>
  search: tracking #  /console/orders?q=<a tracking number typed with spaces>
  search: order #     /console/orders?q=<an order number without '#'>
  orders, filtered    /console/orders?shipment_status=exception&carrier=ups

The target is every page <= 1 s; the ratio to the baseline is the figure that survives a
loaded machine. ``--without-indexes`` drops the indexes migration 0024 adds (the "before").

Needs a PostgreSQL server; the script creates its own database (``--db``, default
console_bench) and drops it afterwards unless ``--keep``. Run it niced on a shared machine:

  nice -n 10 .venv/bin/python benchmarks/console.py [--shipments 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from postpurchase.adapters.console import Argon2Hasher
from postpurchase.adapters.db.console import SqlConsoleUnitOfWork
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.console import Role
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from postpurchase.service_layer.console import Accounts

console = Console(width=140)
TARGET_S = 1.0
NOW = datetime.now(UTC).replace(microsecond=0)
SURNAMES = ["Lovelace", "Hopper", "Turing", "Noether", "Curie", "Meitner", "Franklin",
            "Goodall", "Johnson", "Shannon", "Dijkstra", "Lamport", "Liskov", "Knuth",
            "Ritchie", "Thompson", "Wirth", "Hoare", "Backus", "Kay"]  # fmt: skip
GIVEN = ["Ada", "Grace", "Alan", "Emmy", "Marie", "Lise", "Rosalind", "Jane", "Katherine",
         "Claude", "Edsger",
         "Leslie", "Barbara", "Donald", "Dennis", "Ken", "Niklaus", "Tony"]  # fmt: skip
# (status, substatus, share): what a store's shipments look like on an ordinary day
MIX = [("delivered", None, 0.62), ("in_transit", None, 0.22), ("out_for_delivery", None, 0.03),
       ("info_received", None, 0.03), ("attempt_failed", None, 0.02),
       ("exception", "address_issue", 0.01), ("exception", "returned_to_sender", 0.01),
       ("exception", "damaged", 0.01), ("exception", "delayed", 0.02),
       ("available_for_pickup", None, 0.03)]  # fmt: skip
NEW_INDEXES = ["ix_shipments_open_merchant", "ix_shipments_merchant_status",
               "ix_customers_name_trgm", "ix_orders_email_lower"]  # fmt: skip


def pg(args: list[str]) -> None:
    subprocess.run([*args, "-h", "127.0.0.1", "-U", "postgres"], check=True)


def status_of(r: random.Random, age_days: int) -> tuple[str, str | None]:
    """In flight for a parcel of the last two weeks; an older one is delivered unless it
    ended in trouble nobody cleaned up (the queue's long tail)."""
    x, acc = r.random(), 0.0
    if age_days > 14:
        return (("delivered", None) if x < 0.97 else ("exception", "returned_to_sender")
                if x < 0.98 else ("exception", "damaged") if x < 0.99 else
                ("in_transit", None))  # fmt: skip
    for status, sub, share in MIX:
        acc += share
        if x < acc:
            return status, sub
    return "in_transit", None


def rows(merchant_id: str, n: int, seed: int) -> Iterator[tuple[tuple[Any, ...], ...]]:
    """(customer row or None, order row, shipment row) per parcel."""
    r = random.Random(seed)
    address = orjson.dumps({"country": "US", "postal_code": "10001", "city": "New York"}).decode()
    lines = orjson.dumps([{"sku": "MUG-1", "quantity": 1}]).decode()
    customer: tuple[Any, ...] = ()
    for i in range(n):
        placed = NOW - timedelta(minutes=r.randint(0, 180 * 24 * 60))
        if i % 3 != 2 or not customer:  # two of three orders from a new customer
            name = f"{r.choice(GIVEN)} {r.choice(SURNAMES)}"
            email = f"{name.split()[0].lower()}.{i}@example.com"
            customer = (uuid.uuid4().hex, merchant_id, email, None, name, "en", placed)
            new_customer: tuple[Any, ...] | None = customer
        else:
            new_customer = None
        order_id, shipment_id = uuid.uuid4().hex, uuid.uuid4().hex
        promise = (placed + timedelta(days=r.randint(3, 9))).date()
        order = (order_id, merchant_id, f"ext-{seed}-{i}", f"{1000 + i}", customer[0],
                 customer[2], "en", "USD", address, "6.95", placed, promise, promise, "api",
                 "fulfilled", uuid.uuid4().hex, placed, placed)  # fmt: skip
        created = min(NOW, placed + timedelta(hours=r.randint(2, 48)))
        status, sub = status_of(r, (NOW - created).days)
        last_scan: datetime | None = min(NOW, created + timedelta(hours=r.randint(1, 120)))
        if r.random() < 0.03:
            last_scan = None  # never scanned
        delivered = last_scan if status == "delivered" else None
        number = f"1Z{r.randint(0, 16**8):08X}{i:08d}"
        shipment = (shipment_id, merchant_id, order_id, number, "ups" if i % 4 else "usps",
                    r.random() > 0.01, address, lines, created, status, sub, last_scan,
                    last_scan, last_scan, delivered, 1 if last_scan else 0)  # fmt: skip
        yield new_customer or (), order, shipment


def load(url: str, merchant_id: str, n: int, seed: int) -> None:
    engine = make_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with (
            cur.copy(
                "COPY customers (id, merchant_id, email, phone, name, locale, created_at)"
                " FROM STDIN"
            ) as cc,  # fmt: skip
        ):
            batch = list(rows(merchant_id, n, seed))
            for c, _, _ in batch:
                if c:
                    cc.write_row(c)
        with cur.copy(
            "COPY orders (id, merchant_id, external_id, number, customer_id, email, locale,"
            " currency, shipping_address, shipping_fee, placed_at, promise_earliest,"
            " promise_latest, source, status, tracking_token, created_at, updated_at)"
            " FROM STDIN"
        ) as co:
            for _, o, _ in batch:
                co.write_row(o)
        with cur.copy(
            "COPY shipments (id, merchant_id, order_id, tracking_number, carrier,"
            " tracking_valid, destination, lines, created_at, status, substatus, status_at,"
            " last_event_at, last_scan_at, delivered_at, event_count) FROM STDIN"
        ) as cs:
            for _, _, s in batch:
                cs.write_row(s)
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def timed(client: TestClient, path: str, repeat: int) -> tuple[float, float]:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        r = client.get(path)
        samples.append(time.perf_counter() - start)
        assert r.status_code == 200
    return statistics.median(samples), max(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shipments", type=int, default=200_000)
    ap.add_argument("--others", type=int, default=20_000, help="another store's shipments")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", default="console_bench")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--reuse", action="store_true", help="a database loaded by --keep")
    ap.add_argument("--without-indexes", action="store_true")
    args = ap.parse_args()
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.db}"
    if not args.reuse:
        pg(["createdb", args.db])
    try:
        run(args, url)
    finally:
        if not args.keep:
            pg(["dropdb", "--if-exists", args.db])


def run(args: argparse.Namespace, url: str) -> None:
    engine = make_engine(url)
    platform = bootstrap(Settings(database_url=url), engine=engine, notifications=False)
    slug = "bench"
    upgrade(engine)  # a no-op on a database loaded before
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id FROM merchants WHERE slug = :s"), {"s": slug})
        merchant_id = found.scalar()
    if merchant_id is None:
        merchant, _, _ = handlers.create_merchant(
            platform.uow(), platform.clock, "Bench", slug=slug
        )
        other, _, _ = handlers.create_merchant(
            platform.uow(), platform.clock, "Other", slug="other"
        )
        merchant_id = merchant.id
        start = time.perf_counter()
        load(url, merchant_id, args.shipments, 1)
        load(url, other.id, args.others, 2)
        console.print(f"loaded {args.shipments:,} + {args.others:,} shipments in "
                      f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    # VACUUM ANALYZE, as autovacuum leaves a store's tables (statistics, and the visibility
    # map index-only scans need); a COPY-loaded table has neither.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    with engine.begin() as conn:
        if args.without_indexes:
            for name in NEW_INDEXES:
                conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
        sample = conn.execute(
            text("SELECT o.id, o.number, o.email, s.tracking_number, c.name FROM orders o"
                 " JOIN shipments s ON s.order_id = o.id JOIN customers c ON c.id ="
                 " o.customer_id WHERE o.merchant_id = :m ORDER BY o.number LIMIT 1 OFFSET 777"),
            {"m": merchant_id},
        ).one()  # fmt: skip
        queued = conn.execute(
            text("SELECT count(*) FROM shipments WHERE merchant_id = :m AND status NOT IN"
                 " ('delivered')"), {"m": merchant_id}).scalar_one()  # fmt: skip
    accounts = Accounts(
        lambda: SqlConsoleUnitOfWork(engine), Argon2Hasher(time_cost=1, memory_kib=8192),
        platform.clock.now,
    )  # fmt: skip
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    link = accounts.create_user(slug, email, Role.OWNER)
    accounts.set_password(link.token, "correct horse battery")
    signed = accounts.login(email, "correct horse battery")
    app = create_app(platform)
    app.state.console_accounts = accounts
    number = sample.tracking_number
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    pages = [
        ("baseline: one order", f"/console/orders/{sample.id}"),
        ("overview", "/console"),
        ("queue", "/console/exceptions"),
        ("queue, one kind", "/console/exceptions?kind=late"),
        ("queue, page 40", "/console/exceptions?page=40"),
        ("search: name part", f"/console/orders?q={sample.name.split()[1][1:5].lower()}"),
        ("search: e-mail", f"/console/orders?q={sample.email[:8]}"),
        ("search: tracking #", f"/console/orders?q={spaced}"),
        ("search: order #", f"/console/orders?q={sample.number}"),
        ("orders, filtered", "/console/orders?shipment_status=exception&carrier=ups"),
    ]
    table = Table(title=f"console pages, {args.shipments:,} shipments ({queued:,} not delivered)"
                  + (", WITHOUT the 0024 indexes" if args.without_indexes else ""))  # fmt: skip
    for col in ("page", "median s", "max s", "vs baseline", "<= 1 s"):
        table.add_column(col, justify="left" if col == "page" else "right")
    with TestClient(app) as client:
        client.cookies.set("pp_console", signed.session_token, domain="testserver.local",
                           path="/console")  # fmt: skip
        base = 0.0
        for name, path in pages:
            median, worst = timed(client, path, args.repeat)
            base = base or median
            table.add_row(name, f"{median:.3f}", f"{worst:.3f}", f"{median / base:.1f}x",
                          "yes" if worst <= TARGET_S else "NO")  # fmt: skip
    console.print(table)
    engine.dispose()


if __name__ == "__main__":
    main()

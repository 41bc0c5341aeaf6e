"""Tracking-event ingestion throughput, against the database's own bulk-INSERT ceiling.

For each backend (SQLite file; PostgreSQL when POSTPURCHASE_BENCH_POSTGRES_URL or the local
server is reachable) every phase stores the same number of scan rows in the same table:

  ceiling         raw bulk INSERT of the rows, nothing else (one INSERT ... SELECT FROM
                  json_to_recordset per batch on PostgreSQL, executemany on SQLite)
  service         MessageBus.handle(RecordTracking) in-process, inline mode, 1,000 a command
  http inline     POST /webhooks/tracking/postpurchase to one uvicorn process on loopback,
                  from this (separate) process with 4 concurrent clients, 1,000 a request;
                  the answer comes after statuses moved
  http deferred   the same with POSTPURCHASE_TRACKING_INGEST=deferred (ADR 0005): the answer
                  comes once the scans are stored and queued; no worker runs
  fold backlog    the queue the previous phase left, folded by one folder in this process
                  (the worker's code path): how fast statuses catch up
  deferred + worker  http deferred with a `postpurchase worker` process folding (and
                  delivering the outbox) alongside; the clock stops when the queue is empty,
                  so this is the sustained end-to-end rate of one API and one worker process

Run:  .venv/bin/python benchmarks/ingest.py [--events 30000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select, text, update

from postpurchase.adapters.db import tables
from postpurchase.adapters.db.bulk import insert_rows
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.db.repositories import event_row, unfolded
from postpurchase.adapters.queue import make_huey
from postpurchase.adapters.tracking_sources.normalised import parse_batch
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.carrier_detection import example_number
from postpurchase.domain.money import Money
from postpurchase.domain.orders import OrderLineInput
from postpurchase.entrypoints.worker import fold_tracking
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.testing import api_server, scratch_pg_database

console = Console()
STATUSES = ["info_received", "in_transit", "in_transit", "in_transit", "out_for_delivery"]
BATCH = 1000
PHASES = os.environ.get(
    "BENCH_PHASES", "ceiling,service,http inline,http deferred,deferred + worker"
).split(",")


def make_shipments(
    platform: Any, merchant_id: str, n: int, rng: random.Random, *, contact: bool = False
) -> list[str]:
    """One parcel per order; ``contact``: the orders have an e-mail, so each status change
    plans a message (benchmarks/scale.py measures that too)."""
    numbers = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"creating {n} shipments", total=n)
        for i in range(n):
            order = platform.bus().handle(
                commands.PlaceOrder(
                    merchant_id=merchant_id, external_id=uuid.uuid4().hex, number=str(i),
                    email=f"shopper{i}@example.com" if contact else None, phone=None,
                    customer_name="Ada" if contact else None, locale="en", currency="USD",
                    lines=(OrderLineInput("SKU", "Thing", 1, Money(Decimal(5), "USD")),),
                    shipping_address=Address("US", "10001"), shipping_fee=Money.zero("USD"),
                    placed_at=datetime(2026, 11, 1, tzinfo=UTC),
                )
            )  # fmt: skip
            number = example_number("ups", rng)
            platform.bus().handle(commands.CreateShipment(merchant_id, order.id, number, "ups"))
            numbers.append(number)
            progress.advance(task)
    return numbers


def feed(
    numbers: list[str], per_shipment: int, rng: random.Random, t0: datetime | None = None
) -> list[dict[str, Any]]:
    """Scans as a carrier feed sends them: interleaved across parcels in time order, ~3%
    re-sent (duplicates) and ~3% late (out of order). ``t0``: the first scan's day (a
    fixed past date unless given; notifications about scans days old are suppressed)."""
    t0 = t0 or datetime(2026, 11, 2, 6, tzinfo=UTC)
    events = []
    for number in numbers:
        for k in range(per_shipment):
            at = t0 + timedelta(minutes=37 * k + rng.randint(0, 30))
            status = "delivered" if k == per_shipment - 1 else STATUSES[min(k, len(STATUSES) - 1)]
            events.append(
                {"id": uuid.uuid4().hex, "tracking_number": number, "carrier": "ups",
                 "occurred_at": at.isoformat(), "status": status, "code": "AR",
                 "description": "Arrived at facility",
                 "location": {"city": "Louisville", "region": "KY", "country": "US"}}
            )  # fmt: skip
    events.sort(key=lambda e: e["occurred_at"])
    for i in range(0, len(events) - 50, 33):  # late arrivals
        events[i], events[i + 40] = events[i + 40], events[i]
    dups = [dict(e) for e in rng.sample(events, len(events) // 33)]
    for d in dups:
        events.insert(rng.randrange(len(events)), d)
    return events


def batches(events: list[dict[str, Any]]) -> list[bytes]:
    out = []
    for i in range(0, len(events), BATCH):
        chunk, seen, unique = events[i : i + BATCH], set(), []
        for e in chunk:  # one batch may not repeat an id; repeats go across batches
            if e["id"] not in seen:
                seen.add(e["id"])
                unique.append(e)
        out.append(orjson.dumps({"events": unique}))
    return out


def phase_ceiling(
    engine: Any, shipment_ids: dict[str, str], bodies: list[bytes], merchant_id: str
) -> tuple[int, float]:
    now = datetime.now(UTC)
    rows = []
    for body in bodies:
        for u in parse_batch(body, now=now).updates:
            for e in u.events:
                rows.append(event_row(merchant_id, shipment_ids[u.tracking_number], e, now))
    seen, unique = set(), []
    for r in rows:
        key = (r["shipment_id"], r["fingerprint"])
        if key not in seen:
            seen.add(key)
            unique.append(r)
    start = time.perf_counter()
    for i in range(0, len(unique), BATCH):
        with engine.begin() as conn:  # the fastest plain insert we have: one statement a batch
            insert_rows(conn, tables.tracking_events, unique[i : i + BATCH])
    return len(unique), time.perf_counter() - start


def phase_service(platform: Any, merchant_id: str, bodies: list[bytes]) -> tuple[int, float]:
    now = datetime.now(UTC)
    cmds = [commands.RecordTracking(merchant_id, parse_batch(b, now=now).updates) for b in bodies]
    total = sum(len(u.events) for c in cmds for u in c.updates)
    start = time.perf_counter()
    for c in cmds:
        platform.bus().handle(c)
    return total, time.perf_counter() - start


def queued(engine: Any) -> int:
    with engine.connect() as c:
        return unfolded(c)[0]


def phase_http(
    db_url: str, data_dir: Path, key: str, bodies: list[bytes], mode: str = "inline",
    *, engine: Any = None, worker: bool = False,
) -> tuple[int, float]:  # fmt: skip
    env = {
        **os.environ,
        "POSTPURCHASE_DATABASE_URL": db_url,
        "POSTPURCHASE_DATA_DIR": str(data_dir),
        "POSTPURCHASE_TRACKING_INGEST": mode,
    }
    env.pop("POSTPURCHASE_REDIS_URL", None)
    worker_proc = None
    if worker:
        worker_proc = subprocess.Popen(
            [sys.executable, "-m", "postpurchase.entrypoints.cli", "worker", "--threads", "2"],
            env=env,
            stdout=subprocess.DEVNULL,  # its warnings and errors still show, on stderr
        )
    try:
        with api_server(env) as url:
            return _post_all(url, key, bodies, engine if worker else None)
    finally:
        if worker_proc is not None:
            worker_proc.terminate()
            worker_proc.wait(timeout=30)


def _post_all(url: str, key: str, bodies: list[bytes], fold_engine: Any) -> tuple[int, float]:
    """POST every batch with 4 clients; with ``fold_engine``, also wait until a worker has
    folded every queued scan."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    total = sum(len(orjson.loads(b)["events"]) for b in bodies)
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        client.post("/webhooks/tracking/postpurchase", content=b'{"events": []}')

        def post(body: bytes) -> None:
            r = client.post("/webhooks/tracking/postpurchase", content=body)
            r.raise_for_status()

        if fold_engine is not None:
            time.sleep(2)  # let the worker start before the clock does
        start, started = time.perf_counter(), datetime.now(UTC)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(post, bodies))
        while fold_engine is not None and queued(fold_engine):
            time.sleep(0.02)
        secs = time.perf_counter() - start
    if fold_engine is not None:
        o = tables.outbox
        waiting = func.count().filter(o.c.processed_at.is_(None))
        with fold_engine.connect() as c:
            left, total_rows = c.execute(
                select(waiting, func.count()).where(o.c.created_at >= started)
            ).one()
        console.print(
            f"  when the fold caught up, {left:,} of the {total_rows:,} events it raised"
            " were still waiting for delivery (notifications, webhooks)"
        )
    return total, secs


def phase_fold(platform: Any, engine: Any) -> tuple[int, float]:
    backlog = queued(engine)
    start = time.perf_counter()
    fold_tracking(platform)
    return backlog, time.perf_counter() - start


def run_backend(
    name: str, db_url: str, data_dir: Path, n_events: int, per: int
) -> list[tuple[str, int, float]]:
    engine = make_engine(db_url)
    upgrade(engine)
    platform = bootstrap(Settings(database_url=db_url, data_dir=data_dir), engine=engine)
    merchant, key, *_ = create_merchant(
        platform.uow(), platform.clock, f"Bench {uuid.uuid4().hex[:6]}"
    )
    rng = random.Random(42)
    n_ship = max(1, n_events // per)
    results = []
    for phase in PHASES:
        numbers = make_shipments(platform, merchant.id, n_ship, rng)
        bodies = batches(feed(numbers, per, rng))
        console.print(f"[{name}] {phase}: {len(bodies)} batches")
        if phase == "ceiling":
            with engine.connect() as c:
                ids = dict(c.execute(text(
                    "SELECT tracking_number, id FROM shipments WHERE merchant_id = :m"
                ), {"m": merchant.id}).all())  # fmt: skip
            count, secs = phase_ceiling(engine, ids, bodies, merchant.id)
        elif phase == "service":
            count, secs = phase_service(platform, merchant.id, bodies)
        elif phase == "http inline":
            count, secs = phase_http(db_url, data_dir, key, bodies)
        elif phase == "http deferred":
            count, secs = phase_http(db_url, data_dir, key, bodies, "deferred")
            results.append((phase, count, secs))
            phase, (count, secs) = "fold backlog", phase_fold(platform, engine)
        else:
            # Start from an idle worker: the earlier phases' outbox rows (orders and
            # shipments created for the benchmark) and queued nudges are not this phase's.
            o = tables.outbox
            with engine.begin() as c:
                c.execute(
                    update(o)
                    .where(o.c.processed_at.is_(None))
                    .values(processed_at=datetime.now(UTC))
                )
            make_huey(platform.settings).flush()
            count, secs = phase_http(
                db_url, data_dir, key, bodies, "deferred", engine=engine, worker=True
            )
        results.append((phase, count, secs))
        fold_tracking(platform)  # never leave a backlog to the next phase
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=30000)
    parser.add_argument("--per-shipment", type=int, default=4)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    table = Table(title=f"Tracking ingestion, {args.events} events per phase, batches of {BATCH}")
    for col in ("backend", "path", "events", "seconds", "events/s", "vs ceiling"):
        table.add_column(col, justify="right" if col not in ("backend", "path") else "left")
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            data_dir = Path(tmp)
            if backend == "sqlite":
                url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
            else:
                url = stack.enter_context(scratch_pg_database(pg, prefix="pp_bench"))
            results = run_backend(backend, url, data_dir, args.events, args.per_shipment)
        ceiling = results[0][1] / results[0][2]
        for phase, count, secs in results:
            rate = count / secs
            table.add_row(
                backend, phase, f"{count:,}", f"{secs:.2f}", f"{rate:,.0f}", f"{rate / ceiling:.0%}"
            )
    console.print(table)


if __name__ == "__main__":
    main()

"""Shopify webhooks: how fast a delivery is answered, and how fast its order is stored,
against creating the same orders through the API.

Issue 11 asks that a Shopify delivery be answered within 1 s (Shopify gives up after 5 s):
verify, store the raw delivery durably, answer, then process (ADR 0007). This measures that
path on ONE API server process on loopback (`postpurchase.testing.api_server`, as the
other benchmarks), SQLite by default or PostgreSQL in a scratch database, with no worker
process: the API process does the processing itself, right after answering.

Each phase has a merchant of its own, created in the database; its Shopify secret is set
through `PUT /api/v1/merchant/secrets`. The orders are `orders/create` bodies in the shape
Shopify sends (2 to 4 lines, sometimes a SKU-less one; a 10 % code on most orders allocated
to the lines; sales tax per line; shipping lines, customer, addresses: ~10 KB of JSON), each
with its own order and line ids (generated in shopify_bodies.py), signed with the merchant's
secret. Concurrent clients (httpx, asyncio, keep-alive) send them as fast as they are
answered. The rows:

  baseline POST /api/v1/orders    the same orders through the API: synchronous, the 201
                                  comes once the order is stored. Run with
                                  --baseline-clients (16), the like-for-like row below
  Shopify orders/create           the N deliveries, with as many clients as the baseline,
                                  then with --clients (50): answered once stored in the
                                  inbox, processed after the answer in the same process
  Shopify fulfilment first        --early-orders (N/4) more orders, each one's
                                  fulfillments/create sent just before its orders/create by
                                  the same client, --clients of them: each fulfilment waits
                                  for its order, whose arrival wakes the merchant's waiting
                                  deliveries (--early-orders 0 leaves the row out)

Measured: answer latency p50/p99/max (what Shopify sees), answers per second, and the time
from the first send until the last delivery is processed (the merchant's inbox rows
settled, polled in the database every 20 ms), i.e. deliveries processed and orders stored
per second; ratios against the baseline of the same run. The clock stops at the last
delivery processed; deliveries not processed when none was for 5 s, or 30 s after the last
answer, are counted as stuck (a delivery waiting for a retry that only a worker's sweep
brings: no worker runs here). Also: the server's CPU time per request (it moves far less
than latency when other work shares the machine), the CPU other processes used meanwhile,
in cores (PostgreSQL's backends count there), and the unhandled exceptions in the server's
log, by class.

Run:  .venv/bin/python benchmarks/shopify_webhooks.py [--orders 2000] [--clients 50]
      [--baseline-clients 16] [--early-orders 500]
      [--db sqlite|postgresql|sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import os
import random
import re
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from postpurchase.adapters.db import tables
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.carrier_detection import example_number
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.testing import api_server, scratch_pg_database
from shopify_bodies import Spec, api_order, make_specs, shopify_fulfillment, shopify_order

console = Console(width=240)


STALL = 5.0  # s without a delivery processed: the rest wait for a retry (counted as stuck)
SETTLE_CAP = 30.0  # s after the last answer at most; what is not processed then is counted
POLL = 0.02


# ---- sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Result:
    requests: int
    latencies: list[float]  # seconds, per request
    clients: int
    answered_s: float  # first send -> last answer
    settled_s: float  # first send -> the last delivery processed
    orders: int
    errors: Counter[str]
    backlog_at_last_answer: int = 0
    stuck: int = 0  # deliveries still waiting when processing stopped
    outcomes: Counter[str] = field(default_factory=Counter)
    server_cpu_ms: float = 0.0  # the API process's CPU time per request
    others: float = 0.0  # cores other processes used meanwhile (PostgreSQL's backends too)
    client_cpu_s: float = 0.0  # this process's CPU time (the clients and the polling)
    server_errors: Counter[str] = field(default_factory=Counter)


EXCEPTION_LINE = re.compile(
    r"^([A-Za-z_][\w.]*(?:Error|Exception|Detected|Disconnect|Violation))\b"
)


def busy_seconds() -> float:
    """CPU time the whole machine spent so far (Linux /proc/stat, all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid() -> int:
    """The uvicorn process ``api_server`` started: this process's child running uvicorn."""
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in children.read_text().split():
            if b"uvicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return int(pid)
    raise RuntimeError("no uvicorn child process")


def signed(slug: str, secret: str, topic: str, payload: dict[str, Any]) -> Request:
    raw = orjson.dumps(payload)
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Shop-Domain": "north-wind.myshopify.com",
        "X-Shopify-API-Version": "2025-07",
        "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
    }
    return Request(f"/webhooks/shopify/{slug}", raw, headers)


async def drive(
    url: str, jobs: list[list[Request]], clients: int, settled: Any = None
) -> tuple[list[float], float, float, int, int, Counter[str]]:
    """Send every job (its requests one after the other) from ``clients`` concurrent
    clients. ``settled()`` (optional) -> how many are still to process; polled until 0.
    Returns the latencies, seconds to the last answer and to the last delivery processed,
    how many were still to process at the last answer and at the end, and the errors."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    it: Iterator[list[Request]] = iter(jobs)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        await client.get("/healthz")

        async def worker() -> None:
            for job in it:
                for req in job:
                    t0 = time.perf_counter()
                    try:
                        r = await client.post(req.path, content=req.body, headers=req.headers)
                        if r.status_code >= 300:
                            errors[f"{r.status_code} {r.text[:120]}"] += 1
                    except httpx.HTTPError as exc:
                        errors[type(exc).__name__] += 1
                    latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        answered = time.perf_counter() - start
    backlog = left = 0
    settled_s = answered
    if settled is not None:
        backlog = left = await asyncio.to_thread(settled)
        # Until every delivery is settled, or none was for STALL s (one is waiting for a
        # retry that no one else will bring forward), or SETTLE_CAP passed: the clock stops
        # at the last one processed.
        progress = cap = time.perf_counter()
        while left and time.perf_counter() - progress < STALL and progress - cap < SETTLE_CAP:
            await asyncio.sleep(POLL)
            now_left = await asyncio.to_thread(settled)
            if now_left < left:
                progress, left = time.perf_counter(), now_left
        settled_s = max(progress - start, answered)
    return latencies, answered, settled_s, backlog, left, errors


# ---- phases -------------------------------------------------------------------------------


@dataclass
class Bench:
    db_url: str
    data_dir: Path
    engine: Any
    platform: Any
    url: str = ""
    pid: int = 0  # the API server process
    cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)  # the last run(): server s, others, ours

    def run(self, coro: Any) -> Any:
        """asyncio.run(coro), with the CPU the server, this process and others used."""
        server, busy, mine, began = (
            cpu_seconds(self.pid), busy_seconds(), time.process_time(), time.perf_counter()
        )  # fmt: skip
        out = asyncio.run(coro)
        served, ours = cpu_seconds(self.pid) - server, time.process_time() - mine
        others = max(0.0, busy_seconds() - busy - served - ours) / (time.perf_counter() - began)
        self.cpu = (served, others, ours)
        return out

    def merchant(self, name: str) -> tuple[str, str, str, str]:
        """(id, slug, API key, Shopify secret) of a new merchant; the secret is set through
        the API, as a merchant would."""
        m, key, *_ = create_merchant(
            self.platform.uow(), self.platform.clock, f"{name} {uuid.uuid4().hex[:6]}"
        )
        secret = "shpss_" + hashlib.sha256(m.id.encode()).hexdigest()
        r = httpx.put(
            f"{self.url}/api/v1/merchant/secrets",
            json={"shopify_webhook_secret": secret},
            headers={"Authorization": f"Bearer {key}"},
        )
        r.raise_for_status()
        return m.id, m.slug, key, secret

    def unsettled(self, merchant_id: str, expected: int) -> int:
        w = tables.webhook_inbox.c
        with self.engine.connect() as c:
            done = c.execute(
                select(func.count()).where(w.merchant_id == merchant_id, w.processed_at.isnot(None))
            ).scalar_one()
        return expected - int(done)

    def orders(self, merchant_id: str) -> int:
        o = tables.orders.c
        with self.engine.connect() as c:
            return int(
                c.execute(select(func.count()).where(o.merchant_id == merchant_id)).scalar_one()
            )

    def outcomes(self, merchant_id: str) -> Counter[str]:
        w = tables.webhook_inbox.c
        with self.engine.connect() as c:
            rows = c.execute(
                select(w.topic, w.outcome, w.attempts).where(w.merchant_id == merchant_id)
            ).all()
        out: Counter[str] = Counter()
        for topic, outcome, attempts in rows:
            out[f"{topic} {(outcome or {}).get('result', 'unprocessed')}"] += 1
            out["attempts"] += attempts
        return out


def phase_api(b: Bench, specs: list[Spec], clients: int) -> Result:
    mid, _, key, _ = b.merchant("Bench API")
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    jobs = [[Request("/api/v1/orders", orjson.dumps(api_order(s)), headers)] for s in specs]
    lat, answered, _, _, _, errors = b.run(drive(b.url, jobs, clients))
    return Result(len(jobs), lat, clients, answered, answered, b.orders(mid), errors)


def phase_shopify(b: Bench, specs: list[Spec], clients: int) -> Result:
    mid, slug, _, secret = b.merchant("Bench Shopify")
    jobs = [[signed(slug, secret, "orders/create", shopify_order(s))] for s in specs]
    lat, answered, settled, backlog, stuck, errors = b.run(
        drive(b.url, jobs, clients, lambda: b.unsettled(mid, len(jobs)))
    )
    return Result(len(jobs), lat, clients, answered, settled, b.orders(mid), errors, backlog,
                  stuck, b.outcomes(mid))  # fmt: skip


def phase_fulfilment_first(b: Bench, specs: list[Spec], clients: int, rng: random.Random) -> Result:
    mid, slug, _, secret = b.merchant("Bench Early")
    jobs = []
    for s in specs:
        fulfilment = shopify_fulfillment(s, example_number("ups", rng))
        jobs.append(
            [
                signed(slug, secret, "fulfillments/create", fulfilment),
                signed(slug, secret, "orders/create", shopify_order(s)),
            ]
        )
    n = 2 * len(jobs)
    lat, answered, settled, backlog, stuck, errors = b.run(
        drive(b.url, jobs, clients, lambda: b.unsettled(mid, n))
    )
    return Result(n, lat, clients, answered, settled, b.orders(mid), errors, backlog, stuck,
                  b.outcomes(mid))  # fmt: skip


def run_backend(
    backend: str, db_url: str, data_dir: Path, args: argparse.Namespace
) -> list[tuple[str, Result]]:
    engine = make_engine(db_url)
    upgrade(engine)
    platform = bootstrap(Settings(database_url=db_url, data_dir=data_dir), engine=engine)
    env = {
        **os.environ,
        "POSTPURCHASE_DATABASE_URL": db_url,
        "POSTPURCHASE_DATA_DIR": str(data_dir),
        "POSTPURCHASE_LOG_LEVEL": "warning",  # an info line a delivery would cost time
    }
    env.pop("POSTPURCHASE_REDIS_URL", None)
    rng = random.Random(11)
    n, c, cb = args.orders, args.clients, args.baseline_clients
    specs = make_specs(n, 6_100_000_000_000, rng)
    size = statistics.mean(len(orjson.dumps(shopify_order(s))) for s in specs[:200])
    console.print(f"[{backend}] {n} orders, Shopify bodies ~{size / 1024:.1f} KB")
    phases: list[tuple[str, Any]] = [
        ("baseline POST /api/v1/orders", lambda b: phase_api(b, specs, cb)),
        ("Shopify orders/create", lambda b: phase_shopify(b, specs, cb)),
    ]
    if c != cb:
        phases.append(("Shopify orders/create", lambda b: phase_shopify(b, specs, c)))
    if args.early_orders:
        half = make_specs(args.early_orders, 6_200_000_000_000, rng)
        phases.append(
            ("Shopify fulfilment first",
             lambda b: phase_fulfilment_first(b, half, c, rng))
        )  # fmt: skip
    results = []
    log = data_dir / "server.log"
    with ExitStack() as stack:
        # The server's stderr (its tracebacks) goes to a file, summed up per row.
        ours = os.dup(2)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 2)
        try:
            url = stack.enter_context(api_server(env))
        finally:
            os.dup2(ours, 2)
            os.close(fd)
            os.close(ours)
        b = Bench(db_url, data_dir, engine, platform, url, server_pid())
        for name, fn in phases:
            console.print(f"[{backend}] {name} ...")
            time.sleep(1.0)  # a breath between rows
            offset = log.stat().st_size
            r = fn(b)
            served, r.others, r.client_cpu_s = b.cpu
            r.server_cpu_ms = served * 1000 / r.requests
            r.server_errors = server_errors(log, offset)
            results.append((name, r))
    engine.dispose()
    return results


def server_errors(log: Path, offset: int) -> Counter[str]:
    """Unhandled exceptions in the server's log since ``offset``, by exception class."""
    with log.open("rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    found: Counter[str] = Counter()
    for line in text.splitlines():
        if line.startswith("ERROR:") and "Exception in ASGI application" in line:
            found["unhandled (tracebacks)"] += 1
        elif m := EXCEPTION_LINE.match(line):
            name = m.group(1).rsplit(".", 1)[-1]
            if not (m.group(1).startswith("sqlalchemy.exc.") and "(psycopg." in line):
                found[name] += 1  # (a psycopg error SQLAlchemy wraps is counted once)
    return found


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--baseline-clients", type=int, default=16,
        help="clients for the baseline (and a Shopify row alike); see the docstring",
    )  # fmt: skip
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql, or both: a,b")
    parser.add_argument(
        "--early-orders", type=int, default=None,
        help="orders for the fulfilment-first row (default: a quarter of --orders; 0: none)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.early_orders is None:
        args.early_orders = args.orders // 4
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    table = Table(title=f"Shopify webhooks, {args.orders} orders a row, one API process")
    cols = ("db", "path", "clients", "requests", "p50 ms", "p99 ms", "max ms", "answers/s",
            "all done s", "orders/s", "CPU ms/req", "others' CPU", "answers/s ×base",
            "orders/s ×base", "p99 ×base", "CPU ×base")  # fmt: skip
    for col in cols:
        table.add_column(col, justify="left" if col in ("db", "path") else "right")
    load = os.getloadavg()[0]
    notes = []
    for backend in args.db.split(","):
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            data_dir = Path(tmp)
            if backend == "sqlite":
                url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
            else:
                url = stack.enter_context(scratch_pg_database(pg, prefix="pp_bench"))
            results = run_backend(backend, url, data_dir, args)
        base = results[0][1]
        base_rate = base.requests / base.answered_s
        base_stored = base.orders / base.settled_s
        base_p99 = pct(base.latencies, 0.99)
        for name, r in results:
            rate = r.requests / r.answered_s
            stored = r.orders / r.settled_s
            p99 = pct(r.latencies, 0.99)
            table.add_row(
                backend, name, str(r.clients), f"{r.requests:,}", f"{pct(r.latencies, 0.5):.1f}",
                f"{p99:.1f}", f"{max(r.latencies) * 1000:.0f}", f"{rate:,.0f}",
                f"{r.settled_s:.2f}" + (f" ({r.stuck} stuck)" if r.stuck else ""),
                f"{stored:,.0f}", f"{r.server_cpu_ms:.1f}", f"{r.others:.2f}",
                f"{rate / base_rate:.2f}", f"{stored / base_stored:.2f}", f"{p99 / base_p99:.2f}",
                f"{r.server_cpu_ms / base.server_cpu_ms:.2f}",
            )  # fmt: skip
            what = f"{backend} {name} ({r.clients} clients):"
            if r.errors:
                notes.append(f"{what} errors {dict(r.errors)}")
            if r.server_errors:
                notes.append(f"{what} server log: {dict(r.server_errors)}")
            if r is not base:
                notes.append(
                    f"{what} {r.backlog_at_last_answer:,} of {r.requests:,} still to process at"
                    f" the last answer ({r.answered_s:.2f} s); {r.orders:,} orders stored;"
                    f" inbox {dict(r.outcomes)}"
                )
            notes.append(f"{what} client CPU {r.client_cpu_s:.1f} s")
    console.print(table)
    for note in notes:
        console.print("  " + note)
    console.print(f"  load average (1 min) {load:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()

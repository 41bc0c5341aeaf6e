"""Tracking page latency and throughput, against a static file served by the same server.

For each backend (SQLite file; PostgreSQL at POSTPURCHASE_BENCH_POSTGRES_URL or the local
server, in a database of its own) the script seeds orders with realistic scan histories,
starts ONE uvicorn process on loopback and drives it from another process with 100
concurrent keep-alive connections, each request for a random order:

  static              GET /static/tracking/tracking.css: the baseline (same server, same
                      framework, no database, no template)
  page, first view    GET /t/{token} with the page cache off: every view renders
  page, repeat view   GET /t/{token} after every page was viewed once: the page cache
                      answers after its one-row version check
  json, repeat view   GET /api/v1/public/track/{token}, likewise

Two load shapes: "closed" (each of the 100 clients sends its next request as soon as the
last answer arrives: saturation throughput, and the latency queueing adds at saturation)
and "open" (the 100 clients together send a fixed rate, given as shares of the first
view's saturation throughput; latency is measured from the scheduled send time, so a slow
answer is not hidden by the client waiting for it). The target is p99 <= 50 ms. The
server's CPU time per request is reported too: unlike latency, it barely moves when other
work shares the machine.

Run:  .venv/bin/python benchmarks/tracking_page.py [--orders 2000] [--seconds 10]
      [--backends sqlite,postgresql] [--open-rates 0.5,0.8]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import create_engine, select, text, update

from postpurchase.adapters.db import tables
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.carrier_detection import example_number
from postpurchase.domain.money import Money
from postpurchase.domain.orders import OrderLineInput, Promise
from postpurchase.domain.status import ShipmentStatus as S
from postpurchase.domain.tracking import Location, TrackingEvent
from postpurchase.service_layer.handlers import create_merchant

console = Console(width=160)
ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 100
TARGET_P99_MS = 50.0

CITIES = [
    Location("Newark", "NJ", "07102", "US"),
    Location("Philadelphia", "PA", "19153", "US"),
    Location("Louisville", "KY", "40209", "US"),
    Location("Chicago", "IL", "60607", "US"),
    Location("Brooklyn", "NY", "11201", "US"),
]
JOURNEY = [
    (S.INFO_RECEIVED, "label_created", "Shipper created a label"),
    (S.IN_TRANSIT, "picked_up", "Pickup Scan"),
    (S.IN_TRANSIT, "hub_departure", "Departed from Facility"),
    (S.IN_TRANSIT, "hub_arrival", "Arrived at Facility"),
    (S.IN_TRANSIT, "hub_departure", "Departed from Facility"),
    (S.IN_TRANSIT, "hub_arrival", "Arrived at Facility"),
    (S.OUT_FOR_DELIVERY, None, "Out For Delivery Today"),
    (S.DELIVERED, "left_at_door", "Delivered: front door"),
]
SETTINGS: dict[str, Any] = {
    "branding": {"display_name": "Bench Outfitters", "primary_color": "#14532d"},
    "support": {"email": "help@bench.example", "phone": "+1 555 0100"},
    "returns_url": "https://bench.example/returns?order={order_number}",
    "tracking_page": {
        "custom_block": {"title": "10% off", "html": "<p>Use <strong>BENCH10</strong></p>"}
    },
}


def server_app() -> Any:
    """uvicorn factory: the API app with the tracking-page routers (added if app.py lacks them)."""
    from postpurchase.entrypoints.api.app import create_app
    from postpurchase.entrypoints.api.routes import public_track
    from postpurchase.entrypoints.web import views

    app = create_app(bootstrap())
    if os.environ.get("BENCH_TRACKING_PAGE_CACHE") == "0":  # measure every view as a miss
        from postpurchase.entrypoints.web.loader import PageCache, PageState

        app.state.tracking_page = PageState(pages=PageCache(entries=0))
    paths = {getattr(r, "path", None) for r in app.routes}
    if "/t/{token}" not in paths:
        app.include_router(views.router)
    if "/api/v1/public/track/{token}" not in paths:
        app.include_router(public_track.router)
    return app


# ---- seeding ----------------------------------------------------------------------------------


def seed(db_url: str, data_dir: Path, n_orders: int) -> list[str]:
    """Orders at every stage of the journey (0-8 scans each), through the message bus."""
    engine = make_engine(db_url)
    upgrade(engine)
    platform = bootstrap(Settings(database_url=db_url, data_dir=data_dir), engine=engine)
    merchant, _ = create_merchant(platform.uow(), platform.clock, f"Bench {uuid.uuid4().hex[:6]}")
    with engine.begin() as conn:
        conn.execute(
            update(tables.merchants)
            .where(tables.merchants.c.id == merchant.id)
            .values(settings=SETTINGS, timezone="America/New_York")
        )
    rng = random.Random(7)
    now = datetime.now(UTC)
    updates: list[commands.TrackingUpdate] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"seeding {n_orders} orders", total=n_orders)
        for i in range(n_orders):
            placed = now - timedelta(days=4, hours=rng.randint(0, 48))
            order = platform.bus().handle(
                commands.PlaceOrder(
                    merchant_id=merchant.id, external_id=uuid.uuid4().hex, number=f"#B{i:06d}",
                    email=f"shopper{i}@example.com", phone=None, customer_name="Sam",
                    locale=rng.choice(["en", "en", "en", "es", "pt-BR", "fr", "de"]),
                    currency="USD",
                    lines=(
                        OrderLineInput("JKT", "Rain jacket", 1, Money(Decimal("89"), "USD")),
                        OrderLineInput("SOCK", "Wool socks", 2, Money(Decimal("12"), "USD")),
                    ),
                    shipping_address=Address("US", "11201", "NY", "Brooklyn", "200 Court St"),
                    shipping_fee=Money(Decimal("6.95"), "USD"), placed_at=placed,
                    promise=Promise((now + timedelta(days=2)).date()),
                )
            )  # fmt: skip
            progress.advance(task)
            scans = rng.choice([0, 1, 3, 4, 5, 6, 7, 8, 8])
            if scans == 0 and rng.random() < 0.5:
                continue  # not shipped yet
            number = example_number("ups", rng)
            platform.bus().handle(
                commands.CreateShipment(merchant.id, order.id, number, "ups", "ground")
            )
            events = tuple(
                TrackingEvent(
                    occurred_at=placed + timedelta(hours=10 + 9 * k),
                    status=JOURNEY[k][0],
                    substatus=JOURNEY[k][1],
                    description=JOURNEY[k][2],
                    location=CITIES[min(k, len(CITIES) - 1)] if k else None,
                    estimated_delivery=(now + timedelta(days=1)).date() if k == 0 else None,
                    source="ups",
                )
                for k in range(scans)
            )
            if events:
                updates.append(commands.TrackingUpdate(number, "ups", events))
            if len(updates) >= 200:
                platform.bus().handle(commands.RecordTracking(merchant.id, tuple(updates)))
                updates = []
    if updates:
        platform.bus().handle(commands.RecordTracking(merchant.id, tuple(updates)))
    with engine.connect() as conn:
        tokens = list(conn.execute(select(tables.orders.c.tracking_token)).scalars())
    engine.dispose()
    return tokens


# ---- load generator (runs in its own process) ------------------------------------------------

_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


async def _client(
    port: int,
    paths: list[str],
    start: float,
    stop: float,
    interval: float | None,
    offset: float,
    out: list[float],
    errors: list[int],
    each_once: deque[str] | None = None,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rng = random.Random(offset)
    next_at = start + offset
    while each_once is None or each_once:
        if interval is not None:  # open loop: keep to the schedule, measure from it
            now = time.perf_counter()
            if next_at > now:
                await asyncio.sleep(next_at - now)
            sent_at = next_at
            next_at += interval
        else:
            sent_at = time.perf_counter()
        if sent_at >= stop:
            break
        path = each_once.popleft() if each_once is not None else rng.choice(paths)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Language: en\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        found = _LENGTH.search(head)
        if found:
            await reader.readexactly(int(found.group(1)))
        done = time.perf_counter()
        if head[9:12] != b"200":
            errors.append(int(head[9:12]))
        if sent_at >= start:
            out.append(done - sent_at)
    writer.close()


def _load(
    port: int, paths: list[str], seconds: float, rate: float | None, once: bool, queue: Any
) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        pass

    async def main() -> tuple[list[float], list[int], float]:
        out: list[float] = []
        errors: list[int] = []
        start = time.perf_counter() + 0.3
        stop = start + (seconds if not once else 3600.0)
        interval = CONCURRENCY / rate if rate else None
        offsets = [(i / CONCURRENCY) * (interval or 0.0) for i in range(CONCURRENCY)]
        each_once = deque(paths) if once else None
        began = time.perf_counter()
        await asyncio.gather(
            *(
                _client(port, paths, start, stop, interval, o, out, errors, each_once)
                for o in offsets
            )
        )
        return out, errors, (time.perf_counter() - began) if once else seconds

    queue.put(asyncio.run(main()))


@dataclass
class Result:
    target: str
    shape: str
    requests: int
    rps: float
    p50: float
    p99: float
    errors: int
    cpu_ms: float  # server CPU time per request: robust to other load on a shared machine


def drive(
    port: int, paths: list[str], seconds: float, rate: float | None, *, once: bool = False
) -> tuple[int, float, float, float, int]:
    """Load from a separate process: random paths for ``seconds`` (closed loop, or open at
    ``rate``), or with ``once`` every path exactly once (to fill the page cache)."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_load, args=(port, paths, seconds, rate, once, queue))
    proc.start()
    latencies: list[float]
    errors: list[int]
    latencies, errors, secs = queue.get(timeout=seconds + 600)
    proc.join(timeout=30)
    latencies.sort()
    n = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(n - 1, int(p * n))] * 1000 if n else float("nan")

    return n, n / secs, pct(0.50), pct(0.99), len(errors)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One uvicorn process on loopback serving the app (page cache on or off)."""

    def __init__(self, db_url: str, data_dir: Path, cache: bool) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "POSTPURCHASE_DATABASE_URL": db_url,
            "POSTPURCHASE_DATA_DIR": str(data_dir),
            "PYTHONPATH": str(ROOT),
            "BENCH_TRACKING_PAGE_CACHE": "1" if cache else "0",
        }
        env.pop("POSTPURCHASE_REDIS_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "benchmarks.tracking_page:server_app",
             "--factory", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "warning", "--no-access-log"],
            env=env, cwd=ROOT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def run_backend(
    name: str,
    db_url: str,
    data_dir: Path,
    n_orders: int,
    seconds: float,
    open_shares: list[float],
) -> list[Result]:
    """Closed loop on an uncached server (every view a first view) and on a cached one
    (every page viewed once first, so the run measures repeat views), then open loops at
    shares of the first view's saturation rate."""
    tokens = seed(db_url, data_dir, n_orders)
    console.print(f"[{name}] seeded {len(tokens)} orders")
    pages = [f"/t/{t}" for t in tokens]
    targets: dict[str, list[str]] = {
        "page": pages,
        "json": [f"/api/v1/public/track/{t}" for t in tokens],
    }
    results: list[Result] = []
    cold = Server(db_url, data_dir, cache=False)
    try:
        page = httpx.get(f"http://127.0.0.1:{cold.port}{pages[0]}")
        css = re.search(r'href="(/static/tracking/tracking\.css\?v=\w+)"', page.text)
        assert page.status_code == 200 and css, "tracking page did not render"
        targets["static"] = [css.group(1)]
        drive(cold.port, pages, 3, None)  # warm-up: pools, Babel data, holiday calendars
        results.append(measure(name, cold, "static", targets["static"], seconds, None))
        results.append(measure(name, cold, "page, first view", pages, seconds, None))
        rates = [max(10.0, results[-1].rps * share) for share in open_shares]
        for rate in rates:
            results.append(measure(name, cold, "static", targets["static"], seconds, rate))
            results.append(measure(name, cold, "page, first view", pages, seconds, rate))
    finally:
        cold.close()
    for rate_or_none in (None, *rates):
        cached = Server(db_url, data_dir, cache=True)
        try:
            for target in ("page", "json"):
                drive(cached.port, targets[target], 0, None, once=True)  # fill the cache
                label = f"{target}, repeat view"
                results.append(measure(name, cached, label, targets[target], seconds, rate_or_none))
        finally:
            cached.close()
    return results


def measure(
    backend: str, server: Server, target: str, paths: list[str], seconds: float, rate: float | None
) -> Result:
    cpu = server.cpu_seconds()
    n, rps, p50, p99, errors = drive(server.port, paths, seconds, rate)
    cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(1, n)
    shape = "closed" if rate is None else f"open {rate:,.0f}/s"
    console.print(
        f"[{backend}] {target} {shape}: {rps:,.0f} req/s p50 {p50:.1f} p99 {p99:.1f} "
        f"cpu {cpu_ms:.2f} ms/req"
    )
    return Result(target, shape, n, rps, p50, p99, errors, cpu_ms)


def pg_database(base_url: str) -> tuple[str, Any]:
    name = f"pp_bench_tp_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base_url.rpartition("/")[0] + "/" + name, drop


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--open-rates",
        default="0.5,0.8",
        help="open-loop rates, as shares of the first view's saturation throughput",
    )
    args = parser.parse_args()
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    load_before = os.getloadavg()[0]
    table = Table()
    for col in ("backend", "target", "load", "req/s", "p50 ms", "p99 ms", "errors",
                "CPU ms/req", "req/s vs static", "p99 vs static"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("backend", "target", "load") else "right")
    rows: list[list[str]] = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp)
            drop = None
            if backend == "sqlite":
                url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
            else:
                url, drop = pg_database(pg)
            try:
                shares = [float(x) for x in args.open_rates.split(",") if x]
                results = run_backend(backend, url, data_dir, args.orders, args.seconds, shares)
            finally:
                if drop:
                    drop()
        for r in results:
            base = next(b for b in results if b.target == "static" and b.shape == r.shape)
            row = [
                backend, r.target, r.shape, f"{r.rps:,.0f}", f"{r.p50:.1f}", f"{r.p99:.1f}",
                str(r.errors), f"{r.cpu_ms:.2f}", f"{r.rps / base.rps:.2f}x",
                f"{r.p99 / base.p99:.2f}x",
            ]  # fmt: skip
            rows.append(row)
            table.add_row(*row)
    table.title = (
        f"Tracking page, {CONCURRENCY} concurrent clients, one uvicorn process, "
        f"{args.orders} orders, {os.cpu_count()} CPUs (load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after), {args.seconds:.0f} s per row; "
        f"target p99 <= {TARGET_P99_MS:.0f} ms"
    )
    console.print(table)
    # the same table as Markdown, for docs/benchmarks.md
    print(f"\n{table.title}\n")
    print("| " + " | ".join(str(c.header) for c in table.columns) + " |")
    print("|" + "---|" * len(table.columns))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

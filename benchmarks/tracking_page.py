"""Tracking page latency and throughput, against a static file served by the same server.

For each backend (SQLite file; PostgreSQL at POSTPURCHASE_BENCH_POSTGRES_URL or the local
server, in a database of its own) the script seeds orders with realistic scan histories,
starts ONE uvicorn process on loopback and drives it with 100 concurrent keep-alive
connections:

  static              GET /static/tracking/tracking.css: the baseline (same server, same
                      framework, no database, no template), in the same run
  page, first view    GET /t/{token} of a random order, page caches off: every view reads
                      the order and renders
  page, repeat view   GET /t/{token} of a random one of 2,000 orders after each page was
                      viewed once and then 3 s of such views: the caches' steady state
  json, repeat view   GET /api/v1/public/track/{token}, likewise
  page, mixed         shoppers' traffic on a server started cold: each order is opened once
                      and viewed again a few more times (--views-per-order, 5: one view in
                      five is a first view), repeats going to recently opened orders

Load shapes: "closed" is wrk (-t2 -c100; a Lua script picks each request's path): each
connection sends its next request as soon as the last answer arrives, which measures
saturation throughput and the queueing it causes. "open N/s" is a Python client in its own
process sending a fixed total rate (shares of the first view's saturation throughput) and
measuring latency from the scheduled send time. "paced N/s" is wrk with a random think time
after each answer (mean 100 connections / N), for the mixed traffic at shares of its
saturation throughput. The target is p99 <= 50 ms. The server's CPU time per request is
reported too (unlike latency, it barely moves when other work shares the machine), and so is
the CPU that other processes used meanwhile ("others' CPU", in cores: PostgreSQL's server
processes among them), PostgreSQL's CPU per request for the benchmark's own database ("DB
CPU ms/req", from its server processes' titles) and the load generator's own ("load gen
CPU", in cores: wrk or the Python client, run on the same machine as the server).

``--workers N`` starts the server as ``postpurchase serve --workers N`` does (N uvicorn
worker processes sharing the port, each with its own page caches); CPU per request is then
the sum over the supervisor and its workers.

Needs wrk (`make system-deps`).

Run:  .venv/bin/python benchmarks/tracking_page.py [--orders 6000] [--seconds 10]
      [--backends sqlite,postgresql] [--open-rates 0.5,0.8] [--views-per-order 5]
      [--loop serve|asyncio|uvloop] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select, update

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
from postpurchase.entrypoints.api.app import EVENT_LOOP
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.testing import free_port, scratch_pg_database, wait_until_healthy

console = Console(width=160)
ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 100
HOT_ORDERS = 2000  # under the page caches' 2,048 entries
WARM_ORDERS = 100  # viewed to warm a server up, kept out of the mixed traffic
LOOP = "serve"  # the server's event loop: "serve" (as `postpurchase serve`), asyncio or uvloop
WORKERS = 1  # server processes (uvicorn --workers), as `postpurchase serve --workers N`
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

        state = PageState(pages=PageCache(entries=0))
        if hasattr(state, "responses"):  # the response cache too (code from before it: none)
            state.responses.entries = 0
        served = getattr(app.state, "delivery_estimator", None)
        if served is not None:  # the estimator serve uses (the active model, else rules)
            state.estimator = served
        app.state.tracking_page = state
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
    merchant, _, *_ = create_merchant(
        platform.uow(), platform.clock, f"Bench {uuid.uuid4().hex[:6]}"
    )
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


# ---- load generators --------------------------------------------------------------------------
#
# Closed loop: wrk (C, epoll), so the load generator costs little of the machine's two cores;
# a Lua script picks each request's path. Open loop: a small asyncio client in a separate
# process (wrk cannot hold a fixed rate), measuring latency from the scheduled send time.

WRK_THREADS = 2
WRK_SCRIPT = r"""
-- Generated by benchmarks/tracking_page.py. args: paths file, mode, think time (ms).
--   random:   every request asks for a path drawn at random from the file
--   sequence: thread i walks its own file (NAME.i.txt) in order, wrapping; lines starting
--             with "F " are an order's first view, counted on the first pass only
-- With a think time, each connection waits a random (exponential) time of that mean after
-- each answer: shoppers reading the page rather than clients firing back to back.
local threads = {}
local counter = 0
wrk.headers["Accept-Language"] = "en"

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[2]
  think = tonumber(args[3])
  paths, first = {}, {}
  local file = args[1]
  if mode == "sequence" then file = file:gsub("%.txt$", "." .. id .. ".txt") end
  for line in io.lines(file) do
    if true then
      local is_first = line:sub(1, 2) == "F "
      paths[#paths + 1] = line:sub(3)
      first[#first + 1] = is_first
    end
  end
  math.randomseed(7919 * (id + 1))
  pos, firsts, wrapped = 0, 0, 0
end

function request()
  local i
  if mode == "random" then
    i = math.random(#paths)
  else
    pos = pos + 1
    if pos > #paths then pos, wrapped = 1, wrapped + 1 end
    i = pos
    if first[i] and wrapped == 0 then firsts = firsts + 1 end
  end
  return wrk.format("GET", paths[i])
end

function delay()
  if think > 0 then return -think * math.log(1 - math.random()) end
  return 0
end

function done(summary, latency, requests)
  local firsts, wraps = 0, 0
  for _, t in ipairs(threads) do
    firsts = firsts + t:get("firsts")
    wraps = wraps + t:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d status_errors=%d "
    .. "firsts=%d wraps=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status, firsts, wraps))
end
"""
_WRK_LINE = re.compile(r"^BENCH (.*)$", re.MULTILINE)


@dataclass
class Load:
    """What a load generator measured (latencies in ms)."""

    requests: int
    rps: float
    p50: float
    p99: float
    errors: int
    firsts: int | None = None  # first views among the requests (sequence loads)


def write_paths(workdir: Path, name: str, lines: list[str]) -> Path:
    path = workdir / f"{name}.txt"
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def wrk(
    port: int, paths_file: Path, seconds: float, mode: str = "random", rate: float | None = None
) -> Load:
    """Closed loop: CONCURRENCY connections, each sending its next request on the answer, or,
    with ``rate``, after a random think time that paces all of them to about that rate."""
    think_ms = CONCURRENCY / rate * 1000 if rate else 0.0
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: run `make system-deps` (apt-get install wrk)")
    script = paths_file.parent / "paths.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(
        ["wrk", f"-t{WRK_THREADS}", f"-c{CONCURRENCY}", f"-d{max(1, round(seconds))}s",
         "--timeout", "30s", "--latency", "-s", str(script), f"http://127.0.0.1:{port}/",
         "--", str(paths_file), mode, f"{think_ms:.3f}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = _WRK_LINE.search(out)
    assert found, f"wrk printed no summary:\n{out}"
    v = {k: int(x) for k, x in (kv.split("=") for kv in found.group(1).split())}
    return Load(
        requests=v["requests"],
        rps=v["requests"] / (v["duration_us"] / 1e6),
        p50=v["p50_us"] / 1000,
        p99=v["p99_us"] / 1000,
        errors=v["errors"] + v["status_errors"],
        firsts=v["firsts"] if mode == "sequence" else None,
    )


def mixed_sequence(pages: list[str], views: float, window: int, rng: random.Random) -> list[str]:
    """Shoppers' traffic: every order is opened once (an "F " line) and then viewed again
    ``views - 1`` times on average, each repeat of one of the ``window`` orders opened most
    recently (a shopper reloads while waiting; old orders fall out of interest)."""
    order = pages[:]
    rng.shuffle(order)
    recent: deque[str] = deque(maxlen=window)
    out: list[str] = []
    fresh = iter(order)
    while True:
        if not recent or rng.random() < 1 / views:
            nxt = next(fresh, None)
            if nxt is None:
                return out
            recent.append(nxt)
            out.append(f"F {nxt}")
        else:
            out.append(f"R {rng.choice(recent)}")


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
        if head[9:10] not in (b"2", b"3"):
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


def drive(
    port: int, paths: list[str], seconds: float, rate: float | None, *, once: bool = False
) -> Load:
    """Python load from a separate process: random paths for ``seconds`` (open at ``rate``,
    or closed), or with ``once`` every path exactly once in order (to fill the caches, or to
    replay a sequence)."""
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

    return Load(n, n / secs, pct(0.50), pct(0.99), len(errors))


@dataclass
class Result:
    target: str
    shape: str
    load: Load
    cpu_ms: float  # server CPU time per request: robust to other load on a shared machine
    others: float  # CPU used by other processes meanwhile, in cores (0 = a quiet machine)
    generator: float = 0.0  # CPU of the load generator (wrk, the Python client), in cores
    database_ms: float | None = None  # PostgreSQL's CPU per request (its bench database)


def busy_seconds() -> float:
    """CPU time spent by the whole machine so far (Linux /proc/stat, all but idle/iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def children_seconds() -> float:
    """CPU time of this script's finished children (the load generators)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


class Server:
    """One uvicorn process on loopback serving the app (page caches on or off)."""

    def __init__(self, db_url: str, data_dir: Path, cache: bool) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "POSTPURCHASE_DATABASE_URL": db_url,
            "POSTPURCHASE_DATA_DIR": str(data_dir),
            # the tree this script is in, after any PYTHONPATH given (a before/after run)
            "PYTHONPATH": os.pathsep.join(
                p for p in (os.environ.get("PYTHONPATH"), str(ROOT / "src"), str(ROOT)) if p
            ),
            "BENCH_TRACKING_PAGE_CACHE": "1" if cache else "0",
        }
        env.pop("POSTPURCHASE_REDIS_URL", None)
        loop = EVENT_LOOP if LOOP == "serve" else LOOP
        workers: list[str] = []
        if WORKERS > 1:  # as `postpurchase serve --workers N` runs them
            workers = ["--workers", str(WORKERS)]
            env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pp_bench_metrics_")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "benchmarks.tracking_page:server_app",
             "--factory", "--host", "127.0.0.1", "--port", str(self.port), "--loop", loop,
             "--log-level", "warning", "--no-access-log", *workers],
            env=env, cwd=ROOT,
        )  # fmt: skip
        wait_until_healthy(  # start-up takes tens of seconds on a loaded machine
            f"http://127.0.0.1:{self.port}", timeout=120, running=lambda: self.proc.poll() is None
        )

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far, and of its worker processes
        with ``--workers`` (Linux /proc)."""
        return sum(_cpu_of(pid) for pid in _tree(self.proc.pid))

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # exited meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_seconds(db_url: str) -> float | None:
    """CPU time so far of the PostgreSQL server processes connected to the benchmark's own
    database (their process titles name it; PostgreSQL on this machine only), or None."""
    if not db_url.startswith("postgresql"):
        return None
    name = ("postgres: ", db_url.rsplit("/", 1)[1].split("?", 1)[0] + " ")
    total = 0.0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with suppress(OSError):
            title = cmdline.read_bytes().decode(errors="replace")
            if title.startswith(name[0]) and name[1] in title:
                total += _cpu_of(int(cmdline.parent.name))
    return total


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's supervisor, its workers and their children),
    from every process's parent in /proc (kernels without /proc/PID/task/TID/children)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        here = todo.pop()
        out.append(here)
        todo.extend(children.get(here, ()))
    return out


@dataclass
class Run:
    """One backend's run: its server(s), the measured rows, scratch files."""

    name: str
    db_url: str
    data_dir: Path
    seconds: float
    results: list[Result]

    def measure(
        self,
        server: Server,
        target: str,
        paths: Path | list[str],
        rate: float | None = None,
        mode: str = "random",
    ) -> Result:
        """wrk for a paths file (closed loop, or paced to ``rate`` by think times), the
        Python open-loop client at ``rate`` for a list of paths."""
        time.sleep(1.0)  # let the server finish what the previous load left queued
        cpu, busy, kids, began = (
            server.cpu_seconds(),
            busy_seconds(),
            children_seconds(),
            time.perf_counter(),
        )
        mine = time.process_time()
        database = database_seconds(self.db_url)
        if isinstance(paths, Path):
            load = wrk(server.port, paths, self.seconds, mode, rate)
            shape = f"paced {rate:,.0f}/s" if rate else "closed"
        else:
            assert rate is not None
            load = drive(server.port, paths, self.seconds, rate)
            shape = f"open {rate:,.0f}/s"
        served = server.cpu_seconds() - cpu
        cpu_ms = served * 1000 / max(1, load.requests)
        database_now = database_seconds(self.db_url)
        database_ms = (
            (database_now - database) * 1000 / max(1, load.requests)
            if database is not None and database_now is not None
            else None
        )
        elapsed = time.perf_counter() - began
        generator = (children_seconds() - kids) / elapsed
        ours = served + children_seconds() - kids + time.process_time() - mine
        others = max(0.0, busy_seconds() - busy - ours) / elapsed
        if load.firsts is not None:
            target += f" ({load.firsts / max(1, load.requests):.0%} first)"
        console.print(
            f"[{self.name}] {target} {shape}: {load.rps:,.0f} req/s p50 {load.p50:.1f} "
            f"p99 {load.p99:.1f} errors {load.errors} cpu {cpu_ms:.2f} ms/req, "
            f"others {others:.2f} cores, load generator {generator:.2f} cores"
            + (f", database {database_ms:.2f} ms/req" if database_ms is not None else "")
        )
        result = Result(target, shape, load, cpu_ms, others, generator, database_ms)
        self.results.append(result)
        return result


def run_backend(
    name: str,
    db_url: str,
    data_dir: Path,
    n_orders: int,
    seconds: float,
    open_shares: list[float],
    views: float,
) -> list[Result]:
    """Closed loops (wrk) on an uncached server (every view a first view), then open loops
    (Python) at shares of the first view's saturation rate; closed loops on a cached one
    (every page viewed once first, so the run measures repeat views); shoppers' mixed
    traffic on a fresh cached server, closed and then paced at shares of its saturation
    rate (each on a fresh server, with the static file paced alike as the baseline)."""
    tokens = seed(db_url, data_dir, n_orders)
    console.print(f"[{name}] seeded {len(tokens)} orders")
    pages = [f"/t/{t}" for t in tokens]
    hot = pages[:HOT_ORDERS]  # the repeat views' orders: all fit in the page caches
    apis = [f"/api/v1/public/track/{t}" for t in tokens[:HOT_ORDERS]]
    run = Run(name, db_url, data_dir, seconds, [])
    files = {"page": write_paths(data_dir, "page", [f"R {p}" for p in pages])}
    files["hot"] = write_paths(data_dir, "hot", [f"R {p}" for p in hot])
    files["json"] = write_paths(data_dir, "json", [f"R {p}" for p in apis])
    files["warm"] = write_paths(data_dir, "warm", [f"R {p}" for p in pages[-WARM_ORDERS:]])
    files["mixed"] = data_dir / "mixed.txt"  # one sequence per wrk thread, orders disjoint
    for i in range(WRK_THREADS):
        part = pages[:-WARM_ORDERS][i::WRK_THREADS]
        seq = mixed_sequence(part, views, window=500 // WRK_THREADS, rng=random.Random(i))
        write_paths(data_dir, f"mixed.{i}", seq)
    cold = Server(db_url, data_dir, cache=False)
    try:
        page = httpx.get(f"http://127.0.0.1:{cold.port}{pages[0]}")
        css = re.search(r'href="(/static/tracking/tracking\.css\?v=\w+)"', page.text)
        assert page.status_code == 200 and css, "tracking page did not render"
        static = [css.group(1)]
        files["static"] = write_paths(data_dir, "static", [f"R {css.group(1)}"])
        wrk(cold.port, files["page"], 3)  # warm-up: pools, Babel data, holiday calendars
        run.measure(cold, "static", files["static"])
        first = run.measure(cold, "page, first view", files["page"])
        rates = [max(10.0, first.load.rps * share) for share in open_shares]
        for rate in rates:
            run.measure(cold, "static", static, rate)
            run.measure(cold, "page, first view", pages, rate)
    finally:
        cold.close()
    cached = Server(db_url, data_dir, cache=True)
    try:
        for target in ("hot", "json"):
            drive(cached.port, hot if target == "hot" else apis, 0, None, once=True)  # each once
            wrk(cached.port, files[target], 3)  # then viewed again and again: the steady state
            label = "page, repeat view" if target == "hot" else "json, repeat view"
            run.measure(cached, label, files[target])
    finally:
        cached.close()
    fresh = Server(db_url, data_dir, cache=True)
    try:
        wrk(fresh.port, files["warm"], 2)  # a few first renders: templates, Babel data, pools
        mixed = run.measure(fresh, "page, mixed", files["mixed"], mode="sequence")
    finally:
        fresh.close()
    for share in open_shares:
        rate = max(10.0, mixed.load.rps * share)
        fresh = Server(db_url, data_dir, cache=True)
        try:
            wrk(fresh.port, files["warm"], 2)
            run.measure(fresh, "static", files["static"], rate)
            run.measure(fresh, "page, mixed", files["mixed"], rate, mode="sequence")
        finally:
            fresh.close()
    return run.results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--orders",
        type=int,
        default=6000,
        help="orders seeded (the mixed rows open each once; repeat views use the first 2000)",
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--open-rates",
        default="0.5,0.8",
        help="open and paced rates, as shares of the saturation throughput (first view, mixed)",
    )
    parser.add_argument(
        "--views-per-order",
        type=float,
        default=5.0,
        help="mixed row: views per order on average (1 in N views is a first view)",
    )
    parser.add_argument(
        "--loop",
        default="serve",
        choices=["serve", "asyncio", "uvloop"],
        help="the server's event loop (serve: the one `postpurchase serve` uses)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes, as `postpurchase serve --workers N` (each has its own caches)",
    )
    args = parser.parse_args()
    global LOOP, WORKERS
    LOOP = args.loop
    WORKERS = args.workers
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    load_before = os.getloadavg()[0]
    table = Table()
    for col in ("backend", "target", "load", "req/s", "p50 ms", "p99 ms", "p99 <= 50",
                "errors", "CPU ms/req", "DB CPU ms/req", "others' CPU", "load gen CPU",
                "req/s vs static",
                "p99 vs static"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("backend", "target", "load") else "right")
    rows: list[list[str]] = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            data_dir = Path(tmp)
            if backend == "sqlite":
                url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
            else:
                url = stack.enter_context(scratch_pg_database(pg, prefix="pp_bench_tp"))
            shares = [float(x) for x in args.open_rates.split(",") if x]
            results = run_backend(
                backend, url, data_dir, args.orders, args.seconds, shares, args.views_per_order
            )
        for r in results:
            base = next(b.load for b in results if b.target == "static" and b.shape == r.shape)
            x = r.load
            row = [
                backend, r.target, r.shape, f"{x.rps:,.0f}", f"{x.p50:.1f}", f"{x.p99:.1f}",
                "yes" if x.p99 <= TARGET_P99_MS else "no", str(x.errors), f"{r.cpu_ms:.2f}",
                f"{r.database_ms:.2f}" if r.database_ms is not None else "-",
                f"{r.others:.2f}", f"{r.generator:.2f}", f"{x.rps / base.rps:.2f}x",
                f"{x.p99 / base.p99:.2f}x",
            ]  # fmt: skip
            rows.append(row)
            table.add_row(*row)
    table.title = (
        f"Tracking page, {CONCURRENCY} concurrent clients, "
        f"{'one uvicorn process' if WORKERS == 1 else f'uvicorn --workers {WORKERS}'}, "
        f"{args.orders} orders, wrk -t{WRK_THREADS} -c{CONCURRENCY} for closed loops, "
        f"--loop {args.loop}, "
        f"{os.cpu_count()} CPUs (load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after), {args.seconds:.0f} s per row; "
        f"target p99 <= {TARGET_P99_MS:.0f} ms"
    )
    console.print(table)
    # the same table as Markdown, for docs/benchmarks-tracking-page.md
    print(f"\n{table.title}\n")
    print("| " + " | ".join(str(c.header) for c in table.columns) + " |")
    print("|" + "---|" * len(table.columns))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

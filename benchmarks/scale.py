"""End-to-end ingest with N API processes and M workers, against a bulk-INSERT ceiling.

What counts is the sustained rate, not acceptance alone: a scan is done when it is stored,
its parcel's status folded, the events that raised written to the outbox and the outbox
drained (notifications planned: message rows rendered and queued). The clock starts with
the first webhook and stops when every scan is folded (none past the fold mark, ADR 0036)
and every outbox row written since the start is processed; the time when the scans alone
were folded (outbox written, nothing planned yet) is shown too ("folded/s").

Per configuration (fresh parcels each, the same feed shape as benchmarks/ingest.py: 4
scans a parcel, interleaved, ~3 % re-sent, ~3 % late; orders carry an e-mail so every
status change plans a message):

  ceiling     the same scan rows inserted with the fastest plain bulk insert we have
  NxAPI+MxW   N uvicorn processes (``POSTPURCHASE_TRACKING_INGEST=deferred``), loaded by 4
              clients alternating between them, M ``postpurchase worker`` processes; an
              SMTP sink (aiosmtpd) accepts the messages

For each it prints events/s, the ratio to the ceiling, the webhook answers' p99 and the CPU
seconds per 1,000 events of every process (from /proc; stable on a shared machine where
throughput is not). PostgreSQL only: SQLite is one writer, there is nothing to scale.

The feed's scans are dated 2026-11-02 unless ``--recent``: a status update about an event
more than 72 h old is planned and stored as *suppressed*, so by default no e-mail is sent and
"delivered" means planned. ``--recent`` dates them in the last three hours: every message
due at once is then sent to the SMTP sink (claim, commit, send, record) before its outbox
row counts as done.

Run:  nice -n 10 .venv/bin/python benchmarks/scale.py [--events 20000] [--configs 1x1,2x1]
      [--recent]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest
from postpurchase.adapters.db import tables
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.db.repositories import unfolded
from postpurchase.adapters.notifications.demo_smtp import start_demo_smtp
from postpurchase.adapters.queue import make_huey
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import EVENT_LOOP
from postpurchase.entrypoints.worker import fold_tracking
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.testing import free_port, scratch_pg_database, wait_until_healthy

console = Console(width=200)
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children so far (uvicorn and Huey run in one)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / TICK


@dataclass
class Result:
    name: str
    events: int
    seconds: float
    p99_ms: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU s per 1,000 events
    planned: int = 0
    folded_s: float = 0.0  # when every scan was stored and folded (outbox rows written)


def settle(engine: Any, platform: Any) -> None:
    """Start from idle: no fold backlog, no outbox rows or queued nudges left over."""
    fold_tracking(platform)
    with engine.begin() as c:
        o = tables.outbox
        c.execute(update(o).where(o.c.processed_at.is_(None)).values(processed_at=func.now()))
    make_huey(platform.settings).flush()


def backlog(engine: Any, since: datetime) -> tuple[int, int]:
    """Scans not yet folded; outbox rows written since ``since`` not yet processed."""
    o = tables.outbox
    with engine.connect() as c:
        pending = unfolded(c)[0]
        waiting = c.execute(
            select(func.count()).where(o.c.processed_at.is_(None), o.c.created_at >= since)
        ).scalar_one()
    return int(pending), int(waiting)


def run_config(
    n_api: int, n_workers: int, env: dict[str, str], key: str, bodies: list[bytes], engine: Any
) -> Result:
    procs: dict[str, subprocess.Popen[bytes]] = {}
    ports = [free_port() for _ in range(n_api)]
    for i, port in enumerate(ports):
        procs[f"api{i + 1}"] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "postpurchase.entrypoints.asgi:app", "--host",
             "127.0.0.1", "--port", str(port), "--loop", EVENT_LOOP, "--log-level", "warning",
             "--no-access-log"], env=env,
        )  # fmt: skip
    for i in range(n_workers):
        procs[f"worker{i + 1}"] = subprocess.Popen(
            [sys.executable, "-m", "postpurchase.entrypoints.cli", "worker", "--threads", "2"],
            env=env, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for url, port in zip(urls, ports, strict=True):
            proc = procs[f"api{ports.index(port) + 1}"]
            wait_until_healthy(url, timeout=300, running=lambda proc=proc: proc.poll() is None)
        time.sleep(2)  # the workers' start-up is not the benchmark's
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        clients = [httpx.Client(base_url=u, headers=headers, timeout=120) for u in urls]
        for c in clients:
            c.post("/webhooks/tracking/postpurchase", content=b'{"events": []}')
        latencies: list[float] = []
        targets = cycle(clients)
        work = [(next(targets), b) for b in bodies]

        def post(item: tuple[httpx.Client, bytes]) -> None:
            t0 = time.perf_counter()
            item[0].post("/webhooks/tracking/postpurchase", content=item[1]).raise_for_status()
            latencies.append(time.perf_counter() - t0)

        cpu0 = {name: cpu_seconds(p.pid) for name, p in procs.items()}
        started = datetime.now(UTC)
        start = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(post, work))
        folded = 0.0
        while True:
            pending, waiting = backlog(engine, started)
            if not pending and not folded:
                folded = time.perf_counter() - start  # stored and folded, outbox written
            if not pending and not waiting:
                break
            time.sleep(0.05)
        secs = time.perf_counter() - start
        cpu1 = {name: cpu_seconds(p.pid) for name, p in procs.items()}
        for c in clients:
            c.close()
        total = sum(len(orjson.loads(b)["events"]) for b in bodies)
        m = tables.notification_messages
        with engine.connect() as conn:
            planned = conn.execute(
                select(func.count()).where(m.c.created_at >= started)
            ).scalar_one()
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        per_k = {name: (cpu1[name] - cpu0[name]) / total * 1000 for name in procs}
        name = f"{n_api} API + {n_workers} worker"
        return Result(name, total, secs, p99, per_k, planned, folded)
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--configs", default="1x1,2x1,2x2", help="APIxWORKERS, comma-separated")
    parser.add_argument(
        "--recent", action="store_true",
        help="date the scans in the last hours, so the messages they raise are sent (by "
        "default they are days old: planned and stored as suppressed, not sent)",
    )  # fmt: skip
    args = parser.parse_args()
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp, scratch_pg_database(pg, prefix="pp_scale") as url:
        data_dir = Path(tmp)
        smtp = start_demo_smtp(store_dir=data_dir / "mail")
        engine = make_engine(url)
        upgrade(engine)
        env = {
            **os.environ,
            "POSTPURCHASE_DATABASE_URL": url,
            "POSTPURCHASE_DATA_DIR": str(data_dir),
            "POSTPURCHASE_TRACKING_INGEST": "deferred",
            "POSTPURCHASE_SMTP_URL": smtp.url,
            "POSTPURCHASE_NOTIFY_QUIET_HOURS": "off",
            "POSTPURCHASE_NOTIFY_COLLAPSE_SECONDS": "0",
        }
        env.pop("POSTPURCHASE_REDIS_URL", None)
        settings = Settings(database_url=url, data_dir=data_dir)
        platform = bootstrap(settings, engine=engine, notifications=False)
        merchant, key, *_ = create_merchant(platform.uow(), platform.clock, "Scale " + tmp[-6:])
        rng = random.Random(42)
        n_ship = max(1, args.events // 4)
        for config in ["ceiling", *args.configs.split(",")]:
            numbers = ingest.make_shipments(platform, merchant.id, n_ship, rng, contact=True)
            t0 = datetime.now(UTC) - timedelta(hours=3) if args.recent else None
            bodies = ingest.batches(ingest.feed(numbers, 4, rng, t0))
            console.print(f"{config}: {len(bodies)} batches")
            if config == "ceiling":
                with engine.connect() as c:
                    ids = dict(c.execute(text(
                        "SELECT tracking_number, id FROM shipments WHERE merchant_id = :m"
                    ), {"m": merchant.id}).all())  # fmt: skip
                count, secs = ingest.phase_ceiling(engine, ids, bodies, merchant.id)
                results.append(Result("ceiling (bulk INSERT of the scans)", count, secs))
                continue
            settle(engine, platform)
            n_api, n_workers = (int(x) for x in config.split("x"))
            results.append(run_config(n_api, n_workers, env, key, bodies, engine))
        smtp.stop()
        engine.dispose()
    table = Table(title=f"End to end on PostgreSQL, {args.events:,} events per configuration")
    for col in ("configuration", "events", "folded/s", "vs ceiling", "planned s", "events/s",
                "vs ceiling", "webhook p99 ms", "messages planned",
                "CPU s / 1,000 events"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("configuration",) else "right")
    ceiling = results[0].events / results[0].seconds
    for r in results:
        rate = r.events / r.seconds
        cpu = ", ".join(f"{k} {v:.2f}" for k, v in r.cpu.items())
        fold = r.events / r.folded_s if r.folded_s else rate
        table.add_row(
            r.name, f"{r.events:,}", f"{fold:,.0f}", f"{fold / ceiling:.0%}", f"{r.seconds:.2f}",
            f"{rate:,.0f}", f"{rate / ceiling:.0%}", f"{r.p99_ms:.0f}" if r.p99_ms else "",
            f"{r.planned:,}" if r.p99_ms else "", cpu,
        )  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    main()

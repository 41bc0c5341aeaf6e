"""Checkout estimate service time: p50/p95/p99 per request on one process, in process.

``benchmarks/checkout_estimates.py`` drives a real server with wrk; on a shared, loaded
machine its latencies mostly measure the wait for a core. This one asks the same app
(``create_app``, every middleware included) one request at a time through Starlette's test
client and records, per request, the wall time and the CPU time the process spent on it
(``time.process_time``: not counting time spent waiting for a core that another process
had). On an idle core a request's latency is its CPU time plus a little I/O; the CPU time is
what does not move when other work shares the machine.

Rows, all in the same run (ratios are to the baseline):

  baseline            GET /healthz/live (same app, no key, no database)
  checkout, repeat    GET /api/v1/estimates/checkout over --questions distinct questions,
                      each asked once before timing (the answer caches' steady state)
  checkout, computed  a US postal code never asked before on every request: the engine
                      (rules layer, holiday calendars) and Babel every time

Run:  nice -n 10 .venv/bin/python benchmarks/checkout.py [--requests 3000]
          [--questions 2000] [--database-url sqlite:///...]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from checkout_estimates import PATH, question
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer.checkout import keys
from postpurchase.service_layer.checkout import settings as checkout_settings
from postpurchase.service_layer.handlers import create_merchant

TARGET_P99_MS = 20.0
console = Console(width=140)


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def timed(call: Callable[[], int], n: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``n`` calls (each must answer 200)."""
    wall, cpu = [], []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        status = call()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        assert status == 200, status
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pp-checkout-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        platform = bootstrap(
            Settings(database_url=url, data_dir=Path(tmp)), engine=engine, notifications=False
        )
        merchant, *_ = create_merchant(platform.uow(), platform.clock, "Bench Mugs")
        checkout_settings.update(
            platform.uow(), merchant.id,
            {"cutoff": "14:00", "handling_days": 1, "ship_from_country": "US",
             "ship_from_postal_code": "60607",
             "storefront_origins": ["https://shop.bench.example"]},
            timezone="America/Chicago",
        )  # fmt: skip
        key, _ = keys.issue(platform.uow(), platform.clock, merchant.id)
        rng = random.Random(7)
        repeat = [f"{PATH}?{urlencode(question(rng))}" for _ in range(args.questions)]
        fresh = rng.sample(range(501, 99950), args.requests)
        computed = [f"{PATH}?{urlencode(question(rng, fresh_code=c))}" for c in fresh]
        headers = {"Authorization": f"Bearer {key}", "Origin": "https://shop.bench.example"}
        rows = []
        with TestClient(create_app(platform)) as client:
            for path in repeat:  # every repeat question asked once before the clock starts
                assert client.get(path, headers=headers).status_code == 200
            for _ in range(200):  # warm the baseline path too
                client.get("/healthz/live")
            plans: list[tuple[str, Callable[[], int]]] = [
                ("baseline: /healthz/live", lambda: client.get("/healthz/live").status_code),
                ("checkout, repeat",
                 lambda: client.get(rng.choice(repeat), headers=headers).status_code),
            ]  # fmt: skip
            it = iter(computed)
            plans.append(
                ("checkout, computed", lambda: client.get(next(it), headers=headers).status_code)
            )
            for label, call in plans:
                wall, cpu = timed(call, args.requests)
                rows.append((label, wall, cpu))
        engine.dispose()
    table = Table(
        title=f"Checkout estimate per request, one process, sequential "
        f"({args.requests:,} requests per row; target p99 <= {TARGET_P99_MS:g} ms)"
    )
    for col in ("load", "wall p50", "wall p95", "wall p99", "CPU p50", "CPU p95", "CPU p99",
                "CPU mean", "CPU p99 vs baseline"):  # fmt: skip
        table.add_column(col, justify="left" if col == "load" else "right")
    base_cpu99 = pct(rows[0][2], 99)
    for label, wall, cpu in rows:
        table.add_row(
            label, *(f"{pct(wall, q):.2f}" for q in (50, 95, 99)),
            *(f"{pct(cpu, q):.2f}" for q in (50, 95, 99)), f"{statistics.fmean(cpu):.2f}",
            f"{pct(cpu, 99) / base_cpu99:.2f}x",
        )  # fmt: skip
    console.print(table)
    la = os.getloadavg()
    console.print(f"load average after the run: {la[0]:.1f} {la[1]:.1f} {la[2]:.1f} (2 cores)")


if __name__ == "__main__":
    main()

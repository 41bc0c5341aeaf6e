"""Tracking by polling: shipments polled per minute by one worker against the simulated
carrier's HTTP API with realistic latency, and the load it puts on the database.

Same run, same simulator, same number of HTTP calls:

  baseline   a no-op round trip per tracking call: ``GET /{carrier}/auth/v1/whoami`` (same
             latency draw, no body, no database), one thread per account, as the poller
             runs them. Its "shipments per minute" is what polling would reach if reading
             and storing the answers cost nothing.
  polling    poll rounds of the real worker code (``poll_until_done``): claim with a lease,
             one thread per account, batches of 50 numbers per call, per-account rate limit,
             each answer ingested through RecordTracking (dedupe, status fold, outbox),
             then rescheduled. Every shipment is polled once.

Database load is counted with a SQLAlchemy cursor hook: statements per polled shipment and
per carrier call (claim, states, reschedule, ingestion).

Setup: N shipments spread over 4 accounts (ups, usps, fedex, dhl) of one merchant, shipped
1-4 days earlier so each has scans; the simulator answers with a log-normal latency (median
``--latency-ms``, 120 by default, sigma 0.5) and, with ``--faults``, 2 % 429 and 1 % 503.

Run:  nice -n 10 .venv/bin/python benchmarks/polling.py [--shipments 2000] [--latency-ms 120]
      [--db sqlite|postgresql|sqlite,postgresql] [--faults]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import event

from postpurchase.adapters.carriers import simulated
from postpurchase.adapters.carriers.accounts import add_account
from postpurchase.adapters.carriers.simulated.api import (
    DEFAULT_API_KEY,
    MAX_TRACK_BATCH,
    Faults,
    SimulatorState,
)
from postpurchase.adapters.carriers.simulated.server import start_in_thread
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import AccountMode, Connector
from postpurchase.domain.money import Money
from postpurchase.domain.orders import OrderLineInput
from postpurchase.entrypoints.carrier_tasks import make_poller, poll_until_done
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.testing import scratch_pg_database

console = Console(width=150)
CARRIERS = ("ups", "usps", "fedex", "dhl")
ORIGIN = Address("US", "43215", "OH", "Columbus", "500 Commerce Way")
DESTS = [Address("US", z, r, c, "1 Main St") for z, r, c in (
    ("10001", "NY", "New York"), ("60601", "IL", "Chicago"), ("94103", "CA", "San Francisco"),
    ("77002", "TX", "Houston"), ("98101", "WA", "Seattle"), ("33130", "FL", "Miami"),
)]  # fmt: skip


class Statements:
    """Counts statements the engine sends (executemany counts once)."""

    def __init__(self, engine: Any) -> None:
        self.n = 0
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        with self._lock:
            self.n += 1


def seed(platform: Any, state: SimulatorState, merchant_id: str, n: int, now: datetime) -> None:
    rng = random.Random(13)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Creating shipments", total=n)
        for i in range(n):
            carrier = CARRIERS[i % len(CARRIERS)]
            number = simulated.tracking_number(carrier, rng)
            shipped = now - timedelta(hours=rng.uniform(36, 200))
            order = platform.bus().handle(
                commands.PlaceOrder(
                    merchant_id=merchant_id, external_id=uuid.uuid4().hex, number=f"#{i}",
                    email=None, phone=None, customer_name="Ada", locale="en", currency="USD",
                    lines=(OrderLineInput("SKU", "Thing", 1, Money(Decimal(5), "USD")),),
                    shipping_address=DESTS[i % len(DESTS)],
                    shipping_fee=Money(Decimal("4.99"), "USD"), placed_at=shipped,
                )
            )  # fmt: skip
            platform.bus().handle(
                commands.CreateShipment(
                    merchant_id=merchant_id, order_id=order.id, tracking_number=number,
                    carrier=carrier, service="ground", lines=(), origin=ORIGIN,
                    created_at=shipped,
                )
            )  # fmt: skip
            dest = DESTS[i % len(DESTS)]
            state.add_parcel(simulated.SimParcel(number, carrier, "ground", ORIGIN, dest, shipped))
            progress.advance(task)


def baseline(url: str, calls_per_account: int) -> float:
    """Seconds for the same number of no-op round trips, one thread per account."""

    def account(carrier: str) -> None:
        with httpx.Client(timeout=30, headers={"X-Api-Key": DEFAULT_API_KEY}) as http:
            for _ in range(calls_per_account):
                http.get(f"{url}/{carrier}/auth/v1/whoami")

    start = time.perf_counter()
    with ThreadPoolExecutor(len(CARRIERS)) as pool:
        list(pool.map(account, CARRIERS))
    return time.perf_counter() - start


def run(db: str, url: str, n: int, latency_ms: float, faults: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=url, redis_url=None)
        engine = make_engine(settings.db_url, pool_size=12)
        upgrade(engine)
        platform = bootstrap(settings, engine=engine, notifications=False)
        now = datetime.now(UTC)
        state = SimulatorState(
            seed=1,
            faults=Faults(
                latency_ms=latency_ms,
                throttle_rate=0.02 if faults else 0.0,
                error_rate=0.01 if faults else 0.0,
            ),
        )
        sim = start_in_thread(state)
        try:
            merchant, *_ = create_merchant(platform.uow(), platform.clock, "Bench", slug="bench")
            for carrier in CARRIERS:
                add_account(
                    engine, platform.keyring, now, merchant.id, carrier,
                    connector=Connector.SIMULATED, mode=AccountMode.TEST,
                    fields={"base_url": sim.url, "api_key": DEFAULT_API_KEY},
                )  # fmt: skip
            seed(platform, state, merchant.id, n, now)

            calls = -(-n // len(CARRIERS) // MAX_TRACK_BATCH)
            base_s = baseline(sim.url, calls)

            poller = make_poller(platform)
            poller.threads = len(CARRIERS)
            counter = Statements(engine)
            start = time.perf_counter()
            report = poll_until_done(poller, batch=n, budget=600)
            poll_s = time.perf_counter() - start
        finally:
            sim.stop()
            engine.dispose()
    return {
        "db": db,
        "shipments": n,
        "polled": report.polled,
        "calls": report.calls,
        "events": report.ingested_events,
        "failed": len(report.failed_accounts),
        "base_per_min": n / base_s * 60,
        "poll_per_min": report.polled / poll_s * 60,
        "queries": counter.n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=120.0)
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql, or both: a,b")
    parser.add_argument("--faults", action="store_true", help="2 %% 429 and 1 %% 503 answers")
    args = parser.parse_args()
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    rows = []
    for db in args.db.split(","):
        with ExitStack() as stack:
            url = None
            if db == "postgresql":
                url = stack.enter_context(scratch_pg_database(pg, prefix="pp_bench"))
            rows.append(run(db, url, args.shipments, args.latency_ms, args.faults))

    table = Table(
        title=f"Tracking by polling, one worker, {args.shipments} shipments, 4 accounts, "
        f"latency median {args.latency_ms:g} ms{', with 429/503 faults' if args.faults else ''}"
    )
    for col in ("database", "what", "shipments/min", "ratio", "HTTP calls", "queries/shipment",
                "queries/call"):  # fmt: skip
        table.add_column(col, justify="right" if col != "what" else "left")
    for r in rows:
        table.add_row(r["db"], "baseline: no-op round trips", f"{r['base_per_min']:,.0f}", "1.00",
                      f"{r['calls']}", "0", "0")  # fmt: skip
        table.add_row(
            r["db"], f"polling: {r['polled']} polled, {r['events']} scans stored, "
            f"{r['failed']} accounts backed off",
            f"{r['poll_per_min']:,.0f}", f"{r['poll_per_min'] / r['base_per_min']:.2f}",
            f"{r['calls']}", f"{r['queries'] / max(1, r['polled']):.2f}",
            f"{r['queries'] / max(1, r['calls']):.1f}",
        )  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    main()

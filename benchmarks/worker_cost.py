"""The worker's cost per 1,000 scans, in one process: fold, plan, send -- with a profile.

``benchmarks/scale.py`` runs the real processes and measures wall-clock rates, which on the
shared 2-core box move with everyone else's load. This one measures what does not: the CPU
time the worker's own code spends per 1,000 scans, and the statements it sends, with the
same feed and the same wiring (PostgreSQL, deferred ingestion, e-mail to a local SMTP sink,
collapse off so every status change is planned and sent at once).

Phases, each timed (wall and this process's CPU) and counted (SQL statements, commits):

  accept    the feed handed to the bus as the deferred webhook does (not the worker's)
  fold      ``fold_tracking``: the worker's fold of every pending scan
  drain     ``drain_outbox``: every outbox row the fold wrote, planned, and the messages
            due at once sent to the SMTP sink (then the due rows those leave)

``--profile FILE`` writes a cProfile of fold + drain (``python -m pstats FILE``).

Run:  .venv/bin/python benchmarks/worker_cost.py [--events 8000] [--profile /tmp/w.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import event, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest
from postpurchase.adapters.db import tables
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.notifications.demo_smtp import start_demo_smtp
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.entrypoints.worker import drain_outbox, fold_tracking
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.testing import scratch_pg_database

console = Console(width=160)


@dataclass
class Phase:
    name: str
    items: int
    wall: float
    cpu: float
    statements: int
    commits: int


class Counter:
    """Statements and commits sent through ``engine`` (a cursor hook, as ADR 0022 counted)."""

    def __init__(self, engine: Any) -> None:
        self.statements = 0
        self.commits = 0
        event.listen(engine, "before_cursor_execute", self._stmt)
        event.listen(engine, "commit", self._commit)

    def _stmt(self, *_: Any) -> None:
        self.statements += 1

    def _commit(self, *_: Any) -> None:
        self.commits += 1


def timed(
    name: str, counter: Counter, items: int, fn: Callable[[], int], prof: cProfile.Profile | None
) -> Phase:
    s0, c0 = counter.statements, counter.commits
    w0, p0 = time.perf_counter(), time.process_time()
    if prof is not None:
        prof.enable()
    done = fn()
    if prof is not None:
        prof.disable()
    wall, cpu = time.perf_counter() - w0, time.process_time() - p0
    return Phase(name, items or done, wall, cpu, counter.statements - s0, counter.commits - c0)


def updates(bodies: list[bytes]) -> list[tuple[commands.TrackingUpdate, ...]]:
    """The webhook bodies as the API turns them into commands (outside the timed phases)."""
    now = datetime.now(UTC)
    return [tuple(ingest.parse_batch(body, now=now).updates) for body in bodies]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=8000)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    with tempfile.TemporaryDirectory() as tmp, scratch_pg_database(pg, prefix="pp_wcost") as url:
        data_dir = Path(tmp)
        smtp = start_demo_smtp(store_dir=data_dir / "mail")
        os.environ.update(
            POSTPURCHASE_SMTP_URL=smtp.url,
            POSTPURCHASE_NOTIFY_QUIET_HOURS="off",
            POSTPURCHASE_NOTIFY_COLLAPSE_SECONDS="0",
        )
        engine = make_engine(url)
        upgrade(engine)
        settings = Settings(database_url=url, data_dir=data_dir, tracking_ingest="deferred")
        platform = bootstrap(settings, engine=engine)
        merchant, *_ = create_merchant(platform.uow(), platform.clock, "Cost " + tmp[-6:])
        rng = random.Random(42)
        numbers = ingest.make_shipments(
            platform, merchant.id, max(1, args.events // 4), rng, contact=True
        )
        fold_tracking(platform)
        while drain_outbox(platform):  # confirmations and "shipped": not what we measure
            pass
        batches = updates(ingest.batches(ingest.feed(numbers, 4, rng)))
        scans = sum(len(u.events) for b in batches for u in b)
        counter = Counter(engine)
        started = datetime.now(UTC)
        prof = cProfile.Profile() if args.profile else None
        o = tables.outbox.c

        def accept() -> int:
            for b in batches:
                platform.bus().handle(commands.RecordTracking(merchant.id, b))
            return scans

        def drain_all() -> int:
            total = 0
            while n := drain_outbox(platform):
                total += n
            return total

        phases = [timed("accept (API side, deferred)", counter, scans, accept, None)]
        phases.append(timed("fold", counter, 0, lambda: fold_tracking(platform), prof))
        with engine.connect() as c:
            rows = c.execute(select(func.count()).where(o.processed_at.is_(None))).scalar_one()
        phases.append(timed("drain: plan + send", counter, int(rows), drain_all, prof))
        m = tables.notification_messages.c
        with engine.connect() as c:
            sent = c.execute(select(func.count()).where(m.status == "sent")).scalar_one()
            kinds = c.execute(
                select(m.flow, m.status, func.count())
                .where(m.created_at >= started)
                .group_by(m.flow, m.status)
            ).all()
        smtp.stop()
        engine.dispose()
    if prof is not None:
        prof.dump_stats(args.profile)
    table = Table(title=f"Worker cost on PostgreSQL, {scans:,} scans, {sent:,} e-mails sent")
    for col in (
        "phase",
        "items",
        "wall s",
        "CPU s",
        "CPU s / 1,000 scans",
        "statements",
        "commits",
    ):
        table.add_column(col, justify="left" if col == "phase" else "right")
    for p in phases:
        table.add_row(
            p.name,
            f"{p.items:,}",
            f"{p.wall:.2f}",
            f"{p.cpu:.2f}",
            f"{p.cpu / scans * 1000:.3f}",
            f"{p.statements:,}",
            f"{p.commits:,}",
        )
    worker = phases[1:]
    table.add_row(
        "worker (fold + drain)",
        "",
        f"{sum(p.wall for p in worker):.2f}",
        f"{sum(p.cpu for p in worker):.2f}",
        f"{sum(p.cpu for p in worker) / scans * 1000:.3f}",
        f"{sum(p.statements for p in worker):,}",
        f"{sum(p.commits for p in worker):,}",
    )
    console.print(table)
    console.print(
        "messages planned by the drain: " + ", ".join(f"{f} {st} {n:,}" for f, st, n in kinds)
    )
    console.print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""Where the end-to-end path spends its CPU and its round trips, per 1,000 scans.

The worker's code path of ``benchmarks/scale.py`` run in this one process on PostgreSQL, one
phase at a time so each can be counted on its own: *accept* (deferred ingestion, what the
API process does per webhook), *fold* (``fold_tracking``: statuses moved, outbox rows
written) and *drain* (``drain_outbox``: notifications planned, rendered, stored and the
ones due at once sent to an SMTP sink). Per phase: wall and CPU seconds, SQL statements
(counted with a ``before_cursor_execute`` hook, by verb and table), commits, and the
functions with the most own time under cProfile.

Run:  nice -n 10 .venv/bin/python benchmarks/scale_profile.py [--events 4000] [--top 25]
      [--recent]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.notifications.demo_smtp import start_demo_smtp
from postpurchase.adapters.tracking_sources.normalised import parse_batch
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.entrypoints.worker import drain_outbox, fold_tracking
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.testing import scratch_pg_database

VERB = re.compile(
    r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH|BEGIN|COMMIT|SAVEPOINT|RELEASE)\s*"
    r"(?:.*?\bFROM\s+)?([a-z_]+)?",
    re.IGNORECASE | re.DOTALL,
)


class Counts:
    """Statements and commits seen on an engine while ``on``."""

    def __init__(self, engine: Any) -> None:
        self.on = False
        self.engine = engine
        self.statements: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.commits = 0
        self._started: dict[int, tuple[str, float]] = {}
        event.listen(engine, "before_cursor_execute", self._stmt)
        event.listen(engine, "after_cursor_execute", self._done)
        event.listen(engine, "commit", self._commit)

    def _stmt(self, conn: Any, cursor: Any, sql: str, params: Any, ctx: Any, many: bool) -> None:
        if self.on:
            m = VERB.match(sql)
            head = sql.split()[0].upper() if sql.split() else "?"
            if m:
                verb = m.group(1).upper()
                table = m.group(2) or ""
                if verb in ("INSERT INTO", "UPDATE", "DELETE FROM"):
                    table = sql.split()[2] if verb != "UPDATE" else sql.split()[1]
                head = f"{verb.split()[0]} {table}"
            self.statements[head] += 1
            self._started[id(cursor)] = (head, time.perf_counter())

    def _done(self, conn: Any, cursor: Any, sql: str, params: Any, ctx: Any, many: bool) -> None:
        started = self._started.pop(id(cursor), None)
        if started is not None:
            self.seconds[started[0]] += time.perf_counter() - started[1]

    def _commit(self, conn: Any) -> None:
        if self.on:
            self.commits += 1


def rows_written(engine: Any) -> Counter[str]:
    """Rows inserted, updated and deleted so far, per table (PostgreSQL's statistics; the
    pool is closed first, because a backend reports its counts when it ends)."""
    engine.dispose()
    time.sleep(0.5)
    with engine.connect() as c:
        rows = c.execute(text(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables"
        )).all()  # fmt: skip
    engine.dispose()
    return Counter({name: int(n) for name, n in rows})


def phase(name: str, counts: Counts, fn: Callable[[], int], scans: int, top: int) -> dict[str, Any]:
    written = rows_written(counts.engine)
    counts.statements.clear()
    counts.seconds.clear()
    counts.commits = 0
    prof = cProfile.Profile()
    counts.on = True
    w0, c0 = time.perf_counter(), time.process_time()
    prof.enable()
    n = fn()
    prof.disable()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    counts.on = False
    per_k = 1000 / scans
    written = rows_written(counts.engine) - written
    total = sum(counts.statements.values())
    print(f"\n=== {name}: {n:,} items, wall {wall:.2f} s, CPU {cpu:.2f} s "
          f"({cpu * per_k:.3f} CPU s and {wall * per_k:.3f} wall s per 1,000 scans); "
          f"{total:,} statements ({total * per_k:,.0f} per 1,000 scans), "
          f"{counts.commits:,} commits, {written.total():,} rows written "
          f"({written.total() / scans:.2f} per scan: "
          f"{', '.join(f'{t} {n:,}' for t, n in written.most_common())})")  # fmt: skip
    for stmt, secs in counts.seconds.most_common(20):
        print(f"  {counts.statements[stmt]:7,}  {secs:7.3f} s  {stmt}")
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    print("\n".join(out.getvalue().splitlines()[6:]))
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("cumulative").print_stats(r"postpurchase", top)
    print("\n".join(out.getvalue().splitlines()[6:]))
    return {"wall": wall, "cpu": cpu, "statements": total, "commits": counts.commits,
            "rows": written.total()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--recent", action="store_true",
        help="date the scans in the last hours, so the messages they raise are sent (as "
        "scale.py --recent); by default they are days old and planned as suppressed",
    )  # fmt: skip
    args = parser.parse_args()
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    with tempfile.TemporaryDirectory() as tmp, scratch_pg_database(pg, prefix="pp_prof") as url:
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
        merchant, _key, *_ = create_merchant(platform.uow(), platform.clock, "Profile")
        rng = random.Random(42)
        numbers = ingest.make_shipments(platform, merchant.id, max(1, args.events // 4), rng,
                                        contact=True)  # fmt: skip
        drain_outbox(platform)  # the set-up's own events (order placed, shipment created)
        now = datetime.now(UTC)
        t0 = now - timedelta(hours=3) if args.recent else None
        bodies = ingest.batches(ingest.feed(numbers, 4, rng, t0))
        cmds = [
            commands.RecordTracking(merchant.id, parse_batch(b, now=now).updates) for b in bodies
        ]
        scans = sum(len(u.events) for c in cmds for u in c.updates)
        counts = Counts(engine)

        def accept() -> int:
            for c in cmds:
                platform.bus().handle(c)
            return scans

        print(f"{scans:,} scans of {len(numbers):,} parcels, {len(cmds)} batches; "
              f"load average {os.getloadavg()}")  # fmt: skip
        figures = {
            "accept": phase("accept (deferred)", counts, accept, scans, args.top),
            "fold": phase("fold", counts, lambda: fold_tracking(platform), scans, args.top),
        }
        with engine.connect() as c:
            mix = c.execute(text(
                "SELECT topic, count(*) FROM outbox WHERE processed_at IS NULL GROUP BY 1"
                " ORDER BY 2 DESC"
            )).all()  # fmt: skip
        print("\noutbox rows the fold wrote, by topic:",
              ", ".join(f"{topic} {n / scans:.2f} per scan" for topic, n in mix))  # fmt: skip
        figures |= {
            "drain": phase("drain", counts, lambda: drain_outbox(platform), scans, args.top),
        }
        with engine.connect() as c:
            rows = c.execute(text(
                "SELECT status, left(reason, 40), count(*) FROM notification_messages GROUP BY 1, 2"
            )).all()  # fmt: skip
        print("\nmessages:", ", ".join(f"{s} ({r}): {n}" for s, r, n in rows))
        print(f"\nper 1,000 scans (load average {os.getloadavg()}):")
        for name, f in figures.items():
            k = 1000 / scans
            stmts, commits = f["statements"] * k, f["commits"] * k
            print(f"  {name:7} CPU {f['cpu'] * k:.3f} s  wall {f['wall'] * k:.3f} s  "
                  f"statements {stmts:,.0f}  commits {commits:,.1f}  "
                  f"rows written {f['rows'] * k:,.0f}")  # fmt: skip
        smtp.stop()
        engine.dispose()


if __name__ == "__main__":
    main()

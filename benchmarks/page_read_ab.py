"""The tracking page's order read on PostgreSQL, this tree's against another version's
``read_models.py`` in the same run: interleaved per token (alternating which goes first),
statements per read, wall time and client CPU per read. Both must return the same order.

Run:
  git show a695137:src/postpurchase/adapters/db/read_models.py > /tmp/read_models_before.py
  nice -n 10 .venv/bin/python benchmarks/page_read_ab.py /tmp/read_models_before.py [--orders 1000]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tracking_page as tp
from postpurchase.adapters.db import read_models as current
from postpurchase.adapters.db.engine import make_engine
from postpurchase.testing import scratch_pg_database


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("read_models_other", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["read_models_other"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("other", help="the other version's read_models.py (the baseline)")
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    other = load(args.other)
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    print(f"load average before {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp, scratch_pg_database(pg, prefix="pp_bench_ab") as url:
        tokens = tp.seed(url, Path(tmp), args.orders)
        engine = make_engine(url, pre_ping=False).execution_options(isolation_level="AUTOCOMMIT")
        count = [0]

        def counted(*_: Any) -> None:
            count[0] += 1

        event.listen(engine, "before_cursor_execute", counted)
        pair = {"baseline": other.get_order_by_token, "this tree": current.get_order_by_token}
        times: dict[str, list[float]] = {k: [] for k in pair}
        statements = dict.fromkeys(pair, 0)
        cpu = dict.fromkeys(pair, 0.0)
        with engine.connect() as conn:
            for token in tokens:
                assert pair["baseline"](conn, token) == pair["this tree"](conn, token)
            for rnd in range(args.rounds):
                order = list(pair.items()) if rnd % 2 == 0 else list(reversed(pair.items()))
                for token in tokens:
                    for name, read in order:
                        s0, c0, t0 = count[0], time.process_time(), time.perf_counter()
                        read(conn, token)
                        times[name].append(time.perf_counter() - t0)
                        cpu[name] += time.process_time() - c0
                        statements[name] += count[0] - s0
        engine.dispose()
    base = statistics.mean(times["baseline"])
    cols = ["version", "reads", "statements/read", "p50 ms", "p99 ms", "mean ms"]
    cols += ["client CPU ms", "mean vs baseline"]
    print("| " + " | ".join(cols) + " |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, values in times.items():
        v, k = sorted(values), len(values)
        print(
            f"| {name} | {k:,} | {statements[name] / k:.2f} | {v[k // 2] * 1000:.2f} | "
            f"{v[int(k * 0.99)] * 1000:.2f} | {statistics.mean(v) * 1000:.2f} | "
            f"{cpu[name] / k * 1000:.2f} | {statistics.mean(v) / base:.2f}x |"
        )
    print(f"load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""CPU per tracking-page first view, in process: a figure that holds on a busy machine.

Each tree under test runs in a worker process of its own (``PYTHONPATH`` = that tree's
``src``). The worker seeds orders into a scratch database (PostgreSQL by default) with that
tree's ``benchmarks/tracking_page.py`` ``seed``, builds the app with its ``server_app``
factory with the page caches off (``BENCH_TRACKING_PAGE_CACHE=0``: every view reads the
order and renders), runs the app's lifespan, and then, on each request from this script,
asks ``GET /t/{token}`` once for each of the next few distinct orders through
``httpx.ASGITransport`` on one asyncio loop (the page's reads run on the loop, as under
uvicorn). A batch reports the worker process's CPU time (``time.process_time``: every
thread, so the page's background writers count), divided by the views.

With two trees, batches alternate between the workers (which goes first alternating too),
so drift in the machine's speed -- other sessions' load -- hits both alike, and the ratio of
the medians is the figure to read. The static CSS file through the same client is the floor
(client, framework, middleware) in the same run.

    git worktree add --detach /work/wt-old <commit>
    .venv/bin/python benchmarks/page_cost.py --tree /work/wt-old --tree .

``--profile N`` prints each worker's top N functions (cProfile, main thread only) and its
Python function calls per view, which do not move with load at all.

Run:  .venv/bin/python benchmarks/page_cost.py [--tree DIR]... [--orders 1200]
      [--batches 20] [--batch 40] [--profile 30] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import importlib
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parents[1]
STATIC = "/static/tracking/tracking.css"
OUT = sys.stdout  # a worker's answers to the parent
WORKERS: list[Worker] = []
GC = [0.0]  # seconds the cyclic garbage collector ran in a worker (CPU of the main thread)
_gc_began = [0.0]


def _gc_timer(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_began[0] = time.thread_time()
    else:
        GC[0] += time.thread_time() - _gc_began[0]


async def _views(client: httpx.AsyncClient, paths: list[str]) -> None:
    for path in paths:
        answer = await client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {answer.status_code}")


async def _serve(app: Any, tokens: list[str], args: argparse.Namespace) -> None:
    """Answer the parent's requests, one JSON line each: ``first K``, ``static K``,
    ``profile N``, ``quit``."""
    loop = asyncio.get_running_loop()
    # CPU time of the main thread, not wall time: a view's waits on the database don't count
    profiler = cProfile.Profile(time.thread_time) if args.profile else None
    profiled = 0
    pending = [f"/t/{t}" for t in tokens]
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", headers={"Accept-Language": "en"}
        ) as client,
    ):
        await _views(client, pending[: args.warm] + [STATIC] * 50)  # templates, locale data
        del pending[: args.warm]
        print(json.dumps({"ready": len(pending)}), file=OUT, flush=True)
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
            if not line or line[0] == "quit":
                return
            if line[0] == "profile":
                out = io.StringIO()
                if profiler is not None and profiled:
                    stats = pstats.Stats(profiler, stream=out)
                    calls = stats.total_calls / profiled  # type: ignore[attr-defined]
                    out.write(f"function calls per first view: {calls:,.0f}\n")
                    stats.sort_stats(args.sort).print_stats(int(line[1]))
                    if args.dump:
                        stats.dump_stats(args.dump)
                print(json.dumps({"profile": out.getvalue()}), file=OUT, flush=True)
                continue
            k = int(line[1])
            if line[0] == "first":
                paths, pending = pending[:k], pending[k:]
                if len(paths) < k:
                    raise SystemExit("out of distinct orders: seed more (--orders)")
            else:
                paths = [STATIC] * k
            if profiler is not None and line[0] == "first":
                profiler.enable()
            t0, c0, w0 = os.times(), time.process_time(), time.perf_counter()
            m0, g0 = time.thread_time(), GC[0]
            await _views(client, paths)
            t1, c1, w1 = os.times(), time.process_time(), time.perf_counter()
            m1, g1 = time.thread_time(), GC[0]
            if profiler is not None and line[0] == "first":
                profiler.disable()
                profiled += k
            print(
                json.dumps(
                    {
                        "cpu": c1 - c0,
                        "user": t1.user - t0.user,
                        "sys": t1.system - t0.system,
                        "wall": w1 - w0,
                        "main": m1 - m0,
                        "gc": g1 - g0,
                    }
                ),
                file=OUT,
                flush=True,
            )


def worker(args: argparse.Namespace) -> None:
    """One tree: seed, build its app, answer requests on stdin (see :func:`_serve`)."""
    global OUT
    OUT = os.fdopen(os.dup(1), "w")  # the answers; anything else printed goes to stderr
    os.dup2(2, 1)
    sys.path.insert(0, str(args.worker.resolve()))
    bench = importlib.import_module("benchmarks.tracking_page")
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        data_dir = Path(tmp)
        if args.sqlite:
            url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
        else:
            url = stack.enter_context(bench.scratch_pg_database(pg, prefix="pp_bench_pc"))
        tokens = bench.seed(url, data_dir, args.orders)
        os.environ.update(
            POSTPURCHASE_DATABASE_URL=url,
            POSTPURCHASE_DATA_DIR=str(data_dir),
            BENCH_TRACKING_PAGE_CACHE="0",
        )
        os.environ.pop("POSTPURCHASE_REDIS_URL", None)
        app = bench.server_app()
        gc.callbacks.append(_gc_timer)
        asyncio.run(_serve(app, tokens, args))


class Worker:
    def __init__(self, tree: Path, args: argparse.Namespace) -> None:
        self.tree = tree.resolve()
        cmd = [sys.executable, __file__, "--worker", str(self.tree)]
        cmd += ["--orders", str(args.orders), "--warm", str(args.warm), "--sort", args.sort]
        cmd += ["--profile", str(args.profile)] + (["--sqlite"] if args.sqlite else [])
        if args.dump:
            cmd += ["--dump", f"{args.dump}.{len(WORKERS)}.pstats"]
        WORKERS.append(self)
        env = {**os.environ, "PYTHONPATH": str(self.tree / "src")}
        self.proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=self.tree
        )
        self.commit = subprocess.run(
            ["git", "-C", str(self.tree), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip
        self.rows: dict[str, list[float]] = {"first": [], "static": [], "main": [], "gc": []}
        self.user = self.sys = 0.0

    def ask(self, line: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if line:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise SystemExit(f"the worker for {self.tree} stopped")
        return dict(json.loads(answer))

    def batch(self, kind: str, k: int) -> None:
        got = self.ask(f"{kind} {k}")
        self.rows[kind].append(got["cpu"] * 1000 / k)
        if kind == "first":
            self.rows["main"].append(got["main"] * 1000 / k)
            self.rows["gc"].append(got["gc"] * 1000 / k)
            self.user += got["user"]
            self.sys += got["sys"]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tree", type=Path, action="append", help="tree(s) to measure")
    parser.add_argument("--orders", type=int, default=1200)
    parser.add_argument("--batches", type=int, default=20, help="first-view batches per tree")
    parser.add_argument("--batch", type=int, default=40, help="first views per batch")
    parser.add_argument("--warm", type=int, default=50, help="first views before measuring")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions")
    parser.add_argument("--sort", default="tottime", help="profile sort key")
    parser.add_argument("--dump", default="", help="a worker's pstats file (with --profile)")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    trees = args.tree or [HERE]
    need = args.warm + args.batches * args.batch
    if need > args.orders:
        raise SystemExit(f"--orders must be at least {need} (distinct orders viewed)")
    load = os.getloadavg()[0]
    workers = [Worker(t, args) for t in trees]
    try:
        for w in workers:
            w.ask("")  # ready: seeded and warm
        began = time.monotonic()
        for i in range(args.batches):
            order = workers if i % 2 == 0 else workers[::-1]
            for w in order:
                w.batch("static", args.batch)
                w.batch("first", args.batch)
        took = time.monotonic() - began
        profiles = [w.ask(f"profile {args.profile}")["profile"] for w in workers]
    finally:
        for w in workers:
            w.close()
    db = "sqlite" if args.sqlite else "postgresql"
    print(
        f"\n{db}, {args.orders} orders, {args.batches} batches of {args.batch} distinct first "
        f"views per tree, interleaved ({took:.0f} s); load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after\n"
    )
    print("| tree | commit | first view CPU ms (median of batches) | p10-p90 | user / sys ms "
          "| main thread ms | of it GC ms | static CPU ms | first vs first tree |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    base = statistics.median(workers[0].rows["first"])
    for w in workers:
        xs = sorted(w.rows["first"])
        n = len(xs) * args.batch
        med = statistics.median(xs)
        print(
            f"| {w.tree} | {w.commit} | {med:.2f} | {xs[len(xs) // 10]:.2f}-"
            f"{xs[(9 * len(xs)) // 10 - 1 if len(xs) >= 10 else -1]:.2f} | "
            f"{w.user * 1000 / n:.2f} / {w.sys * 1000 / n:.2f} | "
            f"{statistics.median(w.rows['main']):.2f} | {statistics.fmean(w.rows['gc']):.2f} | "
            f"{statistics.median(w.rows['static']):.2f} | {med / base:.2f}x |"
        )
    for w, text in zip(workers, profiles, strict=True):
        if text:
            print(f"\n## {w.tree} ({w.commit})\n{text}")


if __name__ == "__main__":
    main()

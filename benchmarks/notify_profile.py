"""Where held planning (``notify.py``'s "engine, held" row) spends its CPU, per message.

The same set-up as ``benchmarks/notify.py``: a fresh merchant holding updates 5 minutes,
``--events`` orders with a shipment each, one "delivered" scan each, then one drain of the
outbox timed and profiled (load, rules, dedupe, render, store; nothing sent). Prints wall
and CPU milliseconds per planned message and the functions with the most own and
cumulative time under cProfile (the profiler roughly doubles the CPU; the ranking is the
figure, and a second run without the profiler gives the CPU per message).

Run:  nice -n 10 .venv/bin/python benchmarks/notify_profile.py [--events 1000] [--top 30]
      [--sqlite]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notify import NOTIFY, engine_phase
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.notifications.fake import FakeEmailChannel, FakeSmsChannel
from postpurchase.adapters.notifications.settings import NotifySettings
from postpurchase.adapters.notifications.wiring import register
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.status import ShipmentStatus
from postpurchase.service_layer.notifications import Channels
from postpurchase.testing import scratch_pg_database


def run(url: str, events: int, top: int, dump: str | None = None) -> None:
    engine = make_engine(url)
    upgrade(engine)
    platform = bootstrap(
        Settings(base_url="https://shop.example"), engine=engine, notifications=False
    )
    channels = Channels(email=FakeEmailChannel(), sms=FakeSmsChannel())
    service = register(platform, NotifySettings(**NOTIFY), channels=channels)
    # Warm-up (templates compiled, catalogues read), then one timed run without the
    # profiler (the CPU figure) and one with it (the ranking). engine_phase drains three
    # times; the third drain is the timed one, and only it is measured here.
    import notify

    original = notify.drain
    prof = cProfile.Profile(time.process_time)  # CPU, not wall: waits on the server are not ours
    state = {"calls": 0, "profile": False, "cpu": 0.0}

    def third(*args: object, **kw: object) -> object:
        state["calls"] += 1
        if state["calls"] % 3:
            return original(*args, **kw)  # type: ignore[arg-type]
        c = time.process_time()
        if state["profile"]:
            prof.enable()
        try:
            return original(*args, **kw)  # type: ignore[arg-type]
        finally:
            prof.disable()
            state["cpu"] = time.process_time() - c

    notify.drain = third  # type: ignore[assignment]
    try:
        engine_phase(platform, service, 20, ShipmentStatus.DELIVERED, hold=True)
        n, secs, _ = engine_phase(platform, service, events, ShipmentStatus.DELIVERED, hold=True)
        cpu = state["cpu"]
        print(f"held planning: {n} messages in {secs:.2f} s = {n / secs:,.0f} msg/s, "
              f"CPU {cpu:.2f} s = {cpu / n * 1000:.2f} CPU ms per message "
              f"(load average {os.getloadavg()[0]:.2f})")  # fmt: skip
        state["profile"] = True
        n, secs, _ = engine_phase(platform, service, events, ShipmentStatus.DELIVERED, hold=True)
    finally:
        notify.drain = original
    print(f"profiled drain: {n} messages, CPU {state['cpu']:.2f} s under cProfile")
    if dump:
        prof.dump_stats(dump)
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        stats.sort_stats(order).print_stats(top)
        print("\n".join(out.getvalue().splitlines()[6:]))
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--dump", help="also write the cProfile stats to this file")
    ap.add_argument("--sqlite", action="store_true", help="SQLite file instead of PostgreSQL")
    args = ap.parse_args()
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.sqlite3", args.events, args.top, args.dump)
        return
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    with scratch_pg_database(pg, prefix="pp_nprof") as url:
        run(url, args.events, args.top, args.dump)


if __name__ == "__main__":
    main()

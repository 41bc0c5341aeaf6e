"""Adaptive conformal inference (ACI) of the promise level, scored after the fact on one
back-test's dumped promise curves (no new back-test).

``edd_ideas.py --dump FILE`` writes each scored order's promise days at every level of
``CURVE_LEVELS`` (the calibrated promise the engine would have shown at that level). ACI
(Gibbs & Candès) moves the level itself from the outcomes: ``level += gamma * (miss -
(1 - target))``. The engine before issue 16 tried it with outcomes counted when the parcel
arrived, so hits (early deliveries) came in before misses and the level drifted down. Here
every promise is resolved on the day after its own date, kept or broken alike, which is
when a platform first knows a broken promise: a promise only moves the level once it could
have been broken, and only outcomes resolved before an order's purchase day steer it.

Each order is promised at the level in force on its purchase day (the curve read between
its two nearest levels, rounded up). Reported per ``gamma``: on-time rate, slack, the months
inside the band of issue 16 and the spread of the monthly rates, beside the engine's fixed
stated levels on the same orders.

Run:  .venv/bin/python benchmarks/edd_aci_posthoc.py --dump orders.jsonl --idea default
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from postpurchase.adapters.edd.engine_parts import CURVE_LEVELS
from postpurchase.adapters.edd.features import local_date
from postpurchase.adapters.edd.olist import load_olist

DEFAULT_OLIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "olist"
BAND = (0.95, 0.965)


def days_at(curve: list[int], level: float) -> int:
    """Promise days at ``level``, read linearly between the curve's levels, rounded up."""
    levels = CURVE_LEVELS
    if level <= levels[0]:
        return curve[0]
    for i in range(1, len(levels)):
        if level <= levels[i]:
            lo, hi = levels[i - 1], levels[i]
            share = (level - lo) / (hi - lo)
            return math.ceil(curve[i - 1] + share * (curve[i] - curve[i - 1]) - 1e-9)
    return curve[-1]


def score(rows: list[tuple[date, date, int]]) -> tuple[float, float, dict[str, float]]:
    """(order day, delivered, promise days) -> on-time rate, slack, monthly on-time rates."""
    kept = [(o + timedelta(days=p) - d).days for o, d, p in rows if d <= o + timedelta(days=p)]
    months: dict[str, list[int]] = defaultdict(list)
    for o, d, p in rows:
        months[o.strftime("%Y-%m")].append(int(d <= o + timedelta(days=p)))
    monthly = {m: sum(v) / len(v) for m, v in sorted(months.items())}
    return len(kept) / len(rows), sum(kept) / len(kept), monthly


def aci(
    orders: list[tuple[date, date, list[int]]], target: float, gamma: float
) -> list[tuple[date, date, int]]:
    """Walk the purchase days in order; the level moves with promises resolved before each."""
    level = target
    pending: dict[date, list[date]] = defaultdict(list)  # resolution day -> delivered dates
    by_day: dict[date, list[tuple[date, list[int]]]] = defaultdict(list)
    for o, d, curve in orders:
        by_day[o].append((d, curve))
    out: list[tuple[date, date, int]] = []
    resolved_through = min(by_day) - timedelta(days=1)
    for day in sorted(by_day):
        # promises resolved on days up to (and including) this one: known this morning
        while resolved_through < day:
            resolved_through += timedelta(days=1)
            for delivered in pending.pop(resolved_through, []):
                miss = 1.0 if delivered > resolved_through - timedelta(days=1) else 0.0
                level = min(0.99, max(0.8, level + gamma * (miss - (1.0 - target))))
        for delivered, curve in by_day[day]:
            days = days_at(curve, level)
            promise = day + timedelta(days=days)
            pending[promise + timedelta(days=1)].append(delivered)
            out.append((day, delivered, days))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--olist", type=Path, default=DEFAULT_OLIST)
    parser.add_argument("--dump", type=Path, required=True)
    parser.add_argument("--idea", default="default")
    parser.add_argument("--targets", default="0.93,0.9575")
    parser.add_argument("--gammas", default="0.001,0.002,0.005,0.01")
    args = parser.parse_args()
    records = {r.record_id: r for r in load_olist(args.olist).records}
    splits: dict[str, list[tuple[date, date, list[int]]]] = defaultdict(list)
    for line in args.dump.open():
        row = json.loads(line)
        if row["idea"] != args.idea or not row.get("curve"):
            continue
        rec = records[row["id"]]
        splits[row["split"]].append(
            (local_date(rec.ordered_at), date.fromisoformat(row["delivered"]), row["curve"])
        )
    print("| split | promise | on time | slack | months in the 95–96.5% band | monthly sd (pts) |")
    print("|---|---|---:|---:|---:|---:|")
    for split, orders in splits.items():
        orders.sort(key=lambda o: o[0])
        variants: list[tuple[str, list[tuple[date, date, int]]]] = []
        for level in (0.93, 0.95, 0.955, 0.96):
            fixed = [(o, d, days_at(c, level)) for o, d, c in orders]
            variants.append((f"engine, stated {level}", fixed))
        for target in (float(t) for t in args.targets.split(",")):
            for gamma in (float(g) for g in args.gammas.split(",")):
                variants.append(
                    (f"ACI, target {target}, gamma {gamma}", aci(orders, target, gamma))
                )
        for name, rows in variants:
            rate, slack, monthly = score(rows)
            inside = sum(1 for v in monthly.values() if BAND[0] <= v <= BAND[1])
            sd = statistics.pstdev(monthly.values()) * 100
            print(
                f"| {split} | {name} | {rate:.1%} | {slack:.2f} | "
                f"{inside} of {len(monthly)} | {sd:.2f} |"
            )


if __name__ == "__main__":
    main()

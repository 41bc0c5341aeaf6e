"""How low can a P50 error go on this data? Oracle medians, read after the fact.

Each scored order is given, as its P50, the median of the *actual* order-to-door days (or
hand-over-to-door days, for the live P50) of the orders of its own cell in the scored
period: the month, the purchase week, the week and destination state, the week and lane.
(the other orders of the cell: leave-one-out, falling back to the purchase week's when a
cell has fewer than 3 others). These oracles know each cell's level, including the shocks,
which no prediction made at purchase can. A level correction (a network index, a recent window)
can at best reach the cell oracles; the rest of the error is the spread of delivery
times inside one week and one state.

With ``--dump`` (``edd_ideas.py --dump FILE``), the engine's own P50 is also shifted by the
median of its errors in the order's cell (leave-one-out again): the best a level correction
of *this* engine could do, knowing each month's, week's or week-and-state's bias after the
fact.

Run:  .venv/bin/python benchmarks/edd_p50_floor.py [--since 2017-06-01 --until 2018-03-01]
      [--dump orders.jsonl --idea default]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

from postpurchase.adapters.edd.features import local_date
from postpurchase.adapters.edd.history import outcome_of
from postpurchase.adapters.edd.olist import load_olist
from postpurchase.adapters.edd.records import DeliveredShipmentRecord

DEFAULT_OLIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "olist"

Key = Callable[[DeliveredShipmentRecord], tuple[object, ...]]


def oracle_mae(rows: list[tuple[DeliveredShipmentRecord, float]], key: Key) -> float:
    """Each order against the median of the *other* orders of its cell (leave-one-out, so
    a cell of one does not score itself), the purchase week's when fewer than 3 others."""
    cells: dict[tuple[object, ...], list[float]] = defaultdict(list)
    weeks: dict[tuple[object, ...], list[float]] = defaultdict(list)
    for r, y in rows:
        cells[key(r)].append(y)
        weeks[_week(r)].append(y)

    def others(values: list[float], y: float) -> list[float]:
        rest = list(values)
        rest.remove(y)
        return rest

    error = 0.0
    for r, y in rows:
        rest = others(cells[key(r)], y)
        if len(rest) < 3:
            rest = others(weeks[_week(r)], y)
        error += abs(y - statistics.median(rest)) if rest else 0.0
    return error / len(rows)


def _week(r: DeliveredShipmentRecord) -> tuple[object, ...]:
    return tuple(local_date(r.ordered_at).isocalendar()[:2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--olist", type=Path, default=DEFAULT_OLIST)
    parser.add_argument("--since", type=date.fromisoformat, default=date(2017, 6, 1))
    parser.add_argument("--until", type=date.fromisoformat, default=date(2018, 3, 1))
    parser.add_argument("--dump", type=Path, help="edd_ideas.py --dump output")
    parser.add_argument("--idea", default="default")
    args = parser.parse_args()
    everything = load_olist(args.olist).records
    records = [r for r in everything if args.since <= local_date(r.ordered_at) < args.until]

    keys: dict[str, Key] = {
        "month": lambda r: (local_date(r.ordered_at).strftime("%Y-%m"),),
        "week": _week,
        "week x state": lambda r: (*_week(r), r.destination_region),
        "week x lane": lambda r: (*_week(r), r.origin_region, r.destination_region),
    }
    by_month: dict[str, list[DeliveredShipmentRecord]] = defaultdict(list)
    for r in records:
        by_month[local_date(r.ordered_at).strftime("%Y-%m")].append(r)
    groups = [*sorted(by_month.items()), ("all", records)]
    print(
        "| month | orders | "
        + " | ".join(f"P50 MAE, {k} oracle" for k in keys)
        + " | live, week x state oracle |"
    )
    print("|---|---:|" + "---:|" * (len(keys) + 1))
    for month, group in groups:
        total = [(r, outcome_of(r).total_days) for r in group]
        transit = [(r, outcome_of(r).transit_days) for r in group]
        transit = [(r, y) for r, y in transit if not math.isnan(y)]
        cells = [f"{oracle_mae(total, k):.2f}" for k in keys.values()]
        live = oracle_mae(transit, keys["week x state"]) if transit else math.nan
        print(f"| {month} | {len(group):,} | " + " | ".join(cells) + f" | {live:.2f} |")
    if args.dump is not None:
        shifted(args.dump, args.idea, {r.record_id: r for r in everything}, keys)


def shifted(
    dump: Path, idea: str, by_id: dict[str, DeliveredShipmentRecord], keys: dict[str, Key]
) -> None:
    """The engine's P50 error, then shifted by its cell's median error (leave-one-out)."""
    splits: dict[str, list[tuple[DeliveredShipmentRecord, float]]] = defaultdict(list)
    for line in dump.open():
        row = json.loads(line)
        if row["idea"] != idea:
            continue
        error = (date.fromisoformat(row["delivered"]) - date.fromisoformat(row["p50"])).days
        splits[row["split"]].append((by_id[row["id"]], float(error)))
    print()
    names = [k for k in keys if k != "week x lane"]
    print(
        "| split | orders | engine P50 MAE | " + " | ".join(f"shifted by {k}" for k in names) + " |"
    )
    print("|---|---:|---:|" + "---:|" * len(names))
    for split, rows in splits.items():
        base = sum(abs(e) for _, e in rows) / len(rows)
        cells = [f"{oracle_mae(rows, keys[k]):.3f}" for k in names]
        print(f"| {split} | {len(rows):,} | {base:.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

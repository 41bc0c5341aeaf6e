"""P50 ideas scored after the fact on one back-test's dumped estimates (no new back-test).

``edd_ideas.py --dump FILE`` writes each scored order's P50 and promise dates; this script
compares the engine's P50 (at purchase and live) with simple lane statistics computed
*as of* each order's purchase (or hand-over) day: only deliveries dated before that day
count, as in the replay, so nothing here sees the future. Blends are fixed 50/50, not
fitted on the scored period. What wins here is worth a real back-test; nothing here
changes the engine.

Run:  .venv/bin/python benchmarks/edd_p50_posthoc.py --dump base_orders.jsonl [--days 60]
"""

from __future__ import annotations

import argparse
import bisect
import json
import statistics
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from postpurchase.adapters.edd.features import local_date
from postpurchase.adapters.edd.olist import load_olist

DEFAULT_OLIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "olist"


class Recent:
    """Delivered orders per key, sorted by delivery day: the median of a value over the
    deliveries dated in ``[day - window, day)``, i.e. known before ``day``."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.rows: dict[str, list[tuple[date, float]]] = defaultdict(list)

    def add(self, key: str, delivered: date, value: float) -> None:
        self.rows[key].append((delivered, value))

    def freeze(self) -> None:
        for rows in self.rows.values():
            rows.sort()

    def median(self, key: str, day: date, least: int = 5) -> float | None:
        rows = self.rows.get(key, [])
        lo = bisect.bisect_left(rows, (day - timedelta(days=self.window), -1e9))
        hi = bisect.bisect_left(rows, (day, -1e9))
        values = [v for _, v in rows[lo:hi]]
        return statistics.median(values) if len(values) >= least else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--olist", type=Path, default=DEFAULT_OLIST)
    parser.add_argument("--dump", type=Path, required=True)
    parser.add_argument("--days", type=int, default=60, help="window of deliveries (days)")
    args = parser.parse_args()
    records = {r.record_id: r for r in load_olist(args.olist).records}
    total, transit, handoff = Recent(args.days), Recent(args.days), Recent(args.days)
    for r in records.values():
        d = local_date(r.delivered_at)
        o = local_date(r.ordered_at)
        lane = f"{r.origin_region}>{r.destination_region}"
        for key in (lane, f"*>{r.destination_region}", "*"):
            total.add(key, d, (d - o).days)
        if r.handed_over_at is not None:
            h = local_date(r.handed_over_at)
            for key in (lane, f"*>{r.destination_region}", "*"):
                transit.add(key, d, (d - h).days)
            # the seller's hand-off delay is known at hand-over, i.e. before delivery; keyed
            # by hand-over day so only hand-overs before the order day count
            handoff.add(f"s:{r.origin_id}", h, (h - o).days)
    for rec in (total, transit, handoff):
        rec.freeze()

    def lane_median(rec: Recent, r: object, day: date) -> float | None:
        for key in (
            f"{r.origin_region}>{r.destination_region}",  # type: ignore[attr-defined]
            f"*>{r.destination_region}",  # type: ignore[attr-defined]
            "*",
        ):
            m = rec.median(key, day)
            if m is not None:
                return m
        return None

    runs: dict[tuple[str, str], list[dict[str, object]]] = defaultdict(list)
    for line in args.dump.read_text().splitlines():
        row = json.loads(line)
        runs[(row["idea"], row["split"])].append(row)
    for (idea, split), rows in runs.items():
        err: dict[str, list[float]] = defaultdict(list)
        signed: list[float] = []
        for row in rows:
            r = records[str(row["id"])]
            o, d = local_date(r.ordered_at), local_date(r.delivered_at)
            p50 = date.fromisoformat(str(row["p50"]))
            model = (p50 - o).days
            err["model"].append(abs((d - p50).days))
            signed.append((d - p50).days)
            lm = lane_median(total, r, o)
            lane = model if lm is None else lm
            err["lane median"].append(abs((d - o).days - round(lane)))
            err["blend 50/50"].append(abs((d - o).days - round((model + lane) / 2)))
            if row["live_p50"] is None or r.handed_over_at is None:
                continue
            h = local_date(r.handed_over_at)
            live = date.fromisoformat(str(row["live_p50"]))
            err["live: model"].append(abs((d - live).days))
            tm = lane_median(transit, r, h)
            live_lane = (live - h).days if tm is None else tm
            err["live: hand-over + lane median transit"].append(
                abs((d - h).days - round(live_lane))
            )
            err["live: blend 50/50"].append(
                abs((d - h).days - round(((live - h).days + live_lane) / 2))
            )
            # purchase P50 moved by the hand-over's lateness against the seller's usual
            hm = handoff.median(f"s:{r.origin_id}", o, least=3)
            if hm is not None:
                moved = p50 + timedelta(days=max(0, (h - o).days - round(hm)))
                err["live: purchase P50 + late hand-off"].append(abs((d - moved).days))
                err["live: model (same orders)"].append(abs((d - live).days))
        print(f"{idea} / {split}: {len(rows)} orders, window {args.days} d")
        print(f"  mean signed error (delivery - P50): {statistics.mean(signed):+.2f} d")
        for name, values in err.items():
            print(f"  {name:45s} MAE {statistics.mean(values):.3f} ({len(values)} orders)")


if __name__ == "__main__":
    main()

"""Calibration ideas for the delivery-date promise, measured on the two back-tests.

Each idea is one ``EngineConfig`` variant, run on the same two splits as
``benchmarks/edd_frontier.py`` (``make edd-report``):

  rolling   trained before 2017-06-01, every later month scored (4,668 orders)
  holdout   trained before 2017-09-01, the sample's last six months scored (3,560 orders)

For each variant and split it prints the promise and live on-time rate and slack at the
configured confidence, the P50 error, the marketplace's own promise on the same orders, and
the frontier (on-time rate and slack at each stated confidence), with the confidences at
which the engine beats the marketplace on BOTH on-time rate and slack. The named baseline
is the ``default`` variant of the same run. ``--json FILE`` appends one object per run.

Run:  nice -n 10 .venv/bin/python benchmarks/edd_ideas.py [--ideas default,recent30,...]
          [--olist ../shared/data/olist] [--jobs 2] [--json ideas.jsonl]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from postpurchase.adapters.edd.backtest import frontier, monthly_table, run_backtest
from postpurchase.adapters.edd.engine import EngineConfig, Scored
from postpurchase.adapters.edd.features import local_date
from postpurchase.adapters.edd.learned import GbmParams
from postpurchase.adapters.edd.olist import OlistData, load_olist
from postpurchase.adapters.edd.records import SAO_PAULO

DEFAULT_OLIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "olist"
SPLITS = {"rolling": "2017-06-01", "holdout": "2017-09-01"}

# name -> (what it tries, EngineConfig overrides)
IDEAS: dict[str, tuple[str, dict[str, Any]]] = {
    "default": ("the engine as shipped (since the fourth pass: store promise, mask 0.1)", {}),
    "noquotefeature": (
        "the engine before the fourth pass: the store's promise is not a feature",
        {"store_promise_feature": False},
    ),
    "mature45": ("the engine before the second pass: mature_days 45", {"mature_days": 45.0}),
    "recent30": (
        "conformal scores weighted to recent orders (exp(-age/30 d))",
        {"calibration_tau_days": 30.0},
    ),
    "recent14": (
        "conformal scores weighted to recent orders (exp(-age/14 d))",
        {"calibration_tau_days": 14.0},
    ),
    "region03": (
        "per-destination-state calibration, other states' scores at weight 0.3",
        {"group_other_weight": 0.3},
    ),
    "region01": (
        "per-destination-state calibration, other states' scores at weight 0.1",
        {"group_other_weight": 0.1},
    ),
    "drift14": (
        "level tracked over the last 14 days (21 by default)",
        {"calibration_drift_days": 14.0},
    ),
    "nodrift": (
        "no level tracking (tail read off the 90-day window)",
        {"calibration_drift_days": 0.0},
    ),
    "window60": ("60-day calibration window (90 by default)", {"calibration_window_days": 60.0}),
    "halflife90": (
        "training rows weighted to recent orders: 90-day half-life (180 by default)",
        {"train_half_life_days": 90.0},
    ),
    "business": (
        "promise counted in business days at the destination (weekends, holidays skipped)",
        {"day_count": "business"},
    ),
    "keep": (
        "a promise on a closed day stays there (the engine before the third pass)",
        {"closed_day_promise": "keep", "live_closed_day_promise": False},
    ),
    "earlier": (
        "a promise on a closed day at the destination moves to the business day before it",
        {"closed_day_promise": "earlier", "live_closed_day_promise": False},
    ),
    "earlier+seller": (
        "closed-day promises moved earlier, and the seller's recent hand-off/transit features",
        {"closed_day_promise": "earlier", "seller_features": True},
    ),
    "earlier+live": (
        "closed-day promises moved earlier at purchase and in the live re-estimate (default)",
        {"closed_day_promise": "earlier", "live_closed_day_promise": True},
    ),
    "nolive": (
        "closed-day promises moved earlier at purchase only (the default before the live move)",
        {"live_closed_day_promise": False},
    ),
    "seller": (
        "the seller's own recent hand-off, transit and order-to-door days as features",
        {"seller_features": True},
    ),
    "network": (
        "the network's backlog (open share of recent orders), order volume and last week's"
        " deliveries as features (sixth pass)",
        {"network_features": True},
    ),
    "network+seller": (
        "the network features and the seller's recent hand-off/transit features",
        {"network_features": True, "seller_features": True},
    ),
    "business+seller": (
        "business-day promises and the seller's recent hand-off/transit features",
        {"day_count": "business", "seller_features": True},
    ),
    "quote": (
        "the store's own promise at purchase (days to it, its weekday) as a feature",
        {"store_promise_feature": True},
    ),
    "quote+mask": (
        "the store's promise as a feature, hidden from 30% of training rows",
        {"store_promise_feature": True, "store_promise_mask": 0.3},
    ),
    "quote+mask10": (
        "the store's promise as a feature, hidden from 10% of training rows",
        {"store_promise_feature": True, "store_promise_mask": 0.1},
    ),
    "quote+mask10:checkout": (
        "quote+mask10, each scored order estimated without its store promise",
        {"store_promise_feature": True, "store_promise_mask": 0.1},
    ),
    "quote+mask:noquote": (
        "quote+mask, every order from the cut-off on without a store promise (checkout-like)",
        {"store_promise_feature": True, "store_promise_mask": 0.3},
    ),
    "trees300": (
        "twice the boosting: 300 trees at learning rate 0.05 (150 at 0.07 by default)",
        {"gbm": GbmParams(n_estimators=300, learning_rate=0.05)},
    ),
    "leaves31": (
        "bigger trees: 31 leaves, 40 rows a leaf (15 and 25 by default)",
        {"gbm": GbmParams(num_leaves=31, min_child_samples=40)},
    ),
    "default:checkout": (
        "the engine as shipped, each scored order estimated without its store promise",
        {},
    ),
    "quote+mask:checkout": (
        "quote+mask, each scored order estimated without its store promise (a checkout), the "
        "engine still learning and calibrating with it",
        {"store_promise_feature": True, "store_promise_mask": 0.3},
    ),
    "quote:checkout": (
        "quote (no mask), each scored order estimated without its store promise",
        {"store_promise_feature": True},
    ),
    "median": (
        "the P50 read off the calibration too (level-tracked median score; now the default)",
        {"calibrate_median": True},
    ),
    "modelmedian": (
        "the P50 as the model predicts it (the default before the fourth pass)",
        {"calibrate_median": False},
    ),
    "liveround": (
        "the live P50 rounded to the nearest day (rounded up before; now the default)",
        {"live_p50_rounding": "round"},
    ),
    "liveceil": (
        "the live P50 rounded up to the next day (the default before the fifth pass)",
        {"live_p50_rounding": "ceil"},
    ),
    "livedrift14": (
        "the live calibration's level tracked over the last 14 days (21 by default)",
        {"live_calibration_drift_days": 14.0},
    ),
    "livedrift10": (
        "the live calibration's level tracked over the last 10 days (21 by default)",
        {"live_calibration_drift_days": 10.0},
    ),
    "livedrift30": (
        "the live calibration's level tracked over the last 30 days (21 by default)",
        {"live_calibration_drift_days": 30.0},
    ),
    "livenodrift": (
        "no level tracking for the live calibration (its tail read off the 90-day window)",
        {"live_calibration_drift_days": 0.0},
    ),
    "liveregion03": (
        "per-destination-state live calibration, other states' scores at weight 0.3",
        {"live_group_other_weight": 0.3},
    ),
    "mature30": (
        "train on orders at least 30 days old (45 before; now the default)",
        {"mature_days": 30.0},
    ),
}


def dump_orders(path: Path, idea: str, split: str, scored: list[Scored]) -> None:
    """One line per scored order (its dates), for analyses that need no new back-test."""
    with path.open("a") as out:
        for s in scored:
            r = s.record
            out.write(
                json.dumps(
                    {
                        "idea": idea,
                        "split": split,
                        "id": r.record_id,
                        "delivered": local_date(r.delivered_at).isoformat(),
                        "p50": s.purchase.p50.isoformat(),
                        "promise": s.purchase.promise.isoformat(),
                        "live_p50": s.live.p50.isoformat() if s.live else None,
                        "live_promise": s.live.promise.isoformat() if s.live else None,
                        # promise days from the order date at each of CURVE_LEVELS
                        "curve": s.curve,
                    }
                )
                + "\n"
            )


def one(
    data: OlistData, idea: str, split: str, confidence: float, dump: Path | None = None
) -> dict[str, Any]:
    overrides = IDEAS[idea][1]
    config = dataclasses.replace(EngineConfig(confidence=confidence), **overrides)
    started = time.perf_counter()
    cut = datetime.fromisoformat(SPLITS[split]).replace(tzinfo=SAO_PAULO)
    records = data.records
    if idea.endswith(":noquote"):
        # The engine never sees a store promise on the scored orders (nor learns from one
        # there); the marketplace is still scored on its own dates (records swapped back).
        records = [
            dataclasses.replace(r, quoted_promise=None) if r.ordered_at >= cut else r
            for r in records
        ]
    scored = run_backtest(
        records, cut, config=config, centroids=data.centroids, checkout=idea.endswith(":checkout")
    )
    if idea.endswith(":noquote"):
        originals = {r.record_id: r for r in data.records}
        scored = [dataclasses.replace(s, record=originals[s.record.record_id]) for s in scored]
    if dump is not None:
        dump_orders(dump, idea, split, scored)
    rows = monthly_table(scored)
    front = frontier(scored)
    total = rows[-1]
    live = {p.stated: p for p in front.live}
    points = [
        {
            "stated": p.stated,
            "on_time": round(p.on_time_rate, 4),
            "slack": None if p.mean_slack_days is None else round(p.mean_slack_days, 2),
            "live_on_time": round(live[p.stated].on_time_rate, 4) if p.stated in live else None,
            "live_slack": (
                round(live[p.stated].mean_slack_days or 0.0, 2) if p.stated in live else None
            ),
        }
        for p in front.purchase
        if p.stated >= 0.9
    ]
    market = (total.market_on_time_rate or 0.0, total.market_slack_days or 0.0)
    beats = [
        pt["stated"]
        for pt in points
        if pt["slack"] is not None and pt["on_time"] > market[0] and pt["slack"] < market[1]
    ]
    return {
        "idea": idea,
        "split": split,
        "confidence": confidence,
        "orders": total.orders,
        "p50_mae": round(total.p50_mae_days or 0.0, 3),
        "live_p50_mae": round(total.live_p50_mae_days or 0.0, 3),
        "on_time": round(total.promise_on_time_rate or 0.0, 4),
        "slack": round(total.promise_slack_days or 0.0, 2),
        "live_on_time": round(total.live_on_time_rate or 0.0, 4),
        "live_slack": round(total.live_slack_days or 0.0, 2),
        "market_on_time": round(market[0], 4),
        "market_slack": round(market[1], 2),
        "beats_market_at": beats,
        "frontier": points,
        "months": [
            {
                "month": m.month,
                "on_time": m.promise_on_time_rate,
                "slack": m.promise_slack_days,
                "live_on_time": m.live_on_time_rate,
                "live_slack": m.live_slack_days,
                "p50_mae": m.p50_mae_days,
                "live_p50_mae": m.live_p50_mae_days,
            }
            for m in rows[:-1]
        ],
        "seconds": round(time.perf_counter() - started),
    }


def show(r: dict[str, Any]) -> None:
    print(
        f"{r['idea']:>10} {r['split']:>8} @{r['confidence']:.3f}: {r['orders']} orders, "
        f"P50 MAE {r['p50_mae']:.2f}, promise {r['on_time']:.1%} / {r['slack']:.1f} d, "
        f"live {r['live_on_time']:.1%} / {r['live_slack']:.1f} d; marketplace "
        f"{r['market_on_time']:.1%} / {r['market_slack']:.1f} d; beats it on both at "
        f"{r['beats_market_at'] or 'no level'} ({r['seconds']} s)"
    )
    print(
        "           frontier: "
        + ", ".join(f"{p['stated']}: {p['on_time']:.1%}/{p['slack']}" for p in r["frontier"])
    )


def slack_at_rate(points: list[dict[str, Any]], rate: float, live: bool = False) -> float | None:
    """Slack where the frontier (``live``: the live one) crosses ``rate`` on time (linear
    between stated levels)."""
    on, sl = ("live_on_time", "live_slack") if live else ("on_time", "slack")
    pts = sorted((p[on], p[sl]) for p in points if p[sl] is not None and p[on] is not None)
    for (r0, s0), (r1, s1) in itertools.pairwise(pts):
        if r0 <= rate <= r1:
            return float(s0 if r1 == r0 else s0 + (s1 - s0) * (rate - r0) / (r1 - r0))
    return None


def table(paths: list[Path]) -> None:
    """One Markdown row per idea from ``--json`` files: both splits side by side."""
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            r = json.loads(line)
            runs.setdefault(r["idea"], {})[r["split"]] = r
    print(
        "| idea | at the default, on time / slack: rolling · hold-out | live at the default: "
        "rolling · hold-out | slack at the "
        "marketplace's rate: rolling · hold-out | slack at 95% on time: rolling · hold-out "
        "| levels beating it on both: rolling · hold-out | P50 MAE (live): rolling · hold-out |"
    )
    print("|---|---|---|---:|---:|---|---|")
    for idea, splits in runs.items():
        cells = []
        for key in ("on_time", "live", "market", "95", "beats", "mae"):
            parts = []
            for split in ("rolling", "holdout"):
                r = splits.get(split)
                if r is None:
                    parts.append("—")
                elif key == "on_time":
                    parts.append(f"{r['on_time']:.1%} / {r['slack']:.1f}")
                elif key == "live":
                    parts.append(f"{r['live_on_time']:.1%} / {r['live_slack']:.1f}")
                elif key in ("market", "95"):
                    rate = r["market_on_time"] if key == "market" else 0.95
                    at = slack_at_rate(r["frontier"], rate)
                    parts.append("—" if at is None else f"{at:.2f}")
                elif key == "beats":
                    parts.append(", ".join(f"{c:g}" for c in r["beats_market_at"]) or "none")
                else:
                    live = r.get("live_p50_mae")
                    parts.append(f"{r['p50_mae']:.2f}" + (f" ({live:.2f})" if live else ""))
            cells.append(" · ".join(parts))
        print(f"| {idea} | " + " | ".join(cells) + " |")
    print()
    print(
        "| idea | live slack at 94% · 95% · 96% live on time: rolling | the same: hold-out "
        "| promise slack at the default: rolling · hold-out |"
    )
    print("|---|---:|---:|---:|")
    for idea, splits in runs.items():
        cells = []
        for split in ("rolling", "holdout"):
            r = splits.get(split)
            at = [
                None if r is None else slack_at_rate(r["frontier"], x, live=True)
                for x in (0.94, 0.95, 0.96)
            ]
            cells.append(" · ".join("—" if a is None else f"{a:.2f}" for a in at))
        promise = " · ".join(
            "—" if splits.get(x) is None else f"{splits[x]['slack']:.2f}"
            for x in ("rolling", "holdout")
        )
        print(f"| {idea} | {cells[0]} | {cells[1]} | {promise} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--olist", type=Path, default=DEFAULT_OLIST)
    parser.add_argument("--ideas", default=",".join(IDEAS))
    parser.add_argument("--splits", default=",".join(SPLITS))
    parser.add_argument("--confidence", type=float, default=EngineConfig().confidence)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, help="append one JSON object per run here")
    parser.add_argument("--dump", type=Path, help="append each scored order's dates here")
    parser.add_argument(
        "--table", type=Path, nargs="+", help="print a Markdown table from --json files and stop"
    )
    args = parser.parse_args()
    if args.table:
        table(args.table)
        return
    ideas = [i for i in args.ideas.split(",") if i]
    unknown = [i for i in ideas if i not in IDEAS]
    if unknown:
        raise SystemExit(f"unknown idea {unknown[0]!r}; known: {', '.join(IDEAS)}")
    data = load_olist(args.olist)
    plan = [(i, s) for i in ideas for s in args.splits.split(",")]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(one, data, i, s, args.confidence, args.dump) for i, s in plan]
        for f in futures:
            r = f.result()
            show(r)
            if args.json:
                with args.json.open("a") as out:
                    out.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()

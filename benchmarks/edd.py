"""Delivery-date engine: training time and predictions per second, against a plain baseline.

The baseline is the "plain quantile GBM on obvious features" of issue 5: LightGBM at the
0.5 and 0.95 quantiles on distance, weekday, month, weight, volume, price, freight, items
and the two states, trained once on every order placed before the cut-off (no history
features, no calibration, no replay). Both run in the same process on the same data.

  single    one order at a time (an API call per order), a fresh order each call
  batched   1,000 orders per call (a nightly re-estimate or a CSV import)
  training  from the CSV records to a usable model (the engine's includes its replay)

Run:  .venv/bin/python benchmarks/edd.py [--olist ../shared/data/olist] [--cut 2018-01-01]
      [--figure docs/edd_calibration.png]
Without the data directory it falls back to the simulated marketplace (and says so).
``--figure`` also draws the four panels of docs/edd.md (calibration, frontier, drift, states)
and prints the per-state and per-week tables behind them.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import lightgbm as lgb
import numpy as np
from rich.console import Console
from rich.table import Table

from postpurchase.adapters.edd.engine import (
    EddEngine,
    EngineConfig,
    Scored,
)
from postpurchase.adapters.edd.evaluation import calibration_curve, contract_metrics
from postpurchase.adapters.edd.features import local_date
from postpurchase.adapters.edd.olist import load_olist
from postpurchase.adapters.edd.records import SAO_PAULO, DeliveredShipmentRecord
from postpurchase.adapters.edd.replay import replay, train_from_records
from postpurchase.adapters.edd.synthetic import SyntheticConfig, make_records
from postpurchase.domain.edd.geo import BR_STATE_CAPITALS, Point, Precision, haversine_km
from postpurchase.domain.edd.types import EstimateRequest

T = TypeVar("T")
DEFAULT_OLIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "olist"
STATES = sorted(BR_STATE_CAPITALS)
console = Console()


class PlainQuantileGBM:
    """The issue's reference point: quantile GBM on obvious features, nothing else."""

    def __init__(self) -> None:
        self.models: dict[float, lgb.Booster] = {}

    @staticmethod
    def row(r: DeliveredShipmentRecord | EstimateRequest) -> list[float]:
        if isinstance(r, DeliveredShipmentRecord):
            r = r.request()
        origin = r.origin.region if r.origin else None
        dest = r.destination.region
        km = math.nan
        if origin in BR_STATE_CAPITALS and dest in BR_STATE_CAPITALS:
            a = Point(*BR_STATE_CAPITALS[origin], Precision.REGION)
            b = Point(*BR_STATE_CAPITALS[dest], Precision.REGION)
            km = haversine_km(a, b)
        local = r.ordered_at.astimezone(SAO_PAULO)
        extras = r.extras
        return [
            km,
            float(local.weekday()),
            float(local.month),
            r.weight_grams if r.weight_grams is not None else math.nan,
            r.volume_cm3 if r.volume_cm3 is not None else math.nan,
            extras.get("order_value", math.nan),
            extras.get("freight_value", math.nan),
            extras.get("items", math.nan),
            float(STATES.index(dest)) if dest in STATES else math.nan,
            float(STATES.index(origin)) if origin in STATES else math.nan,
        ]

    def fit(self, records: Sequence[DeliveredShipmentRecord]) -> PlainQuantileGBM:
        x = np.array([self.row(r) for r in records])
        y = np.array(
            [(local_date(r.delivered_at) - local_date(r.ordered_at)).days for r in records],
            dtype=float,
        )
        data = lgb.Dataset(x, y, categorical_feature=[8, 9], params={"verbose": -1})
        for alpha in (0.5, 0.95):
            params = {
                "objective": "quantile",
                "alpha": alpha,
                "learning_rate": 0.05,
                "num_leaves": 15,
                "min_data_in_leaf": 20,
                "num_threads": 1,
                "verbose": -1,
            }
            self.models[alpha] = lgb.train(params, data, num_boost_round=300)
        return self

    def predict(self, requests: Sequence[EstimateRequest]) -> np.ndarray:
        x = np.array([self.row(r) for r in requests])
        return np.column_stack([m.predict(x, num_threads=1) for m in self.models.values()])


def plain_frontier(
    history: Sequence[DeliveredShipmentRecord], later: Sequence[DeliveredShipmentRecord]
) -> list[tuple[float, float]]:
    """(on-time rate, slack) of the plain model trained at several quantiles."""
    model = PlainQuantileGBM()
    x = np.array([model.row(r) for r in history])
    y = np.array(
        [(local_date(r.delivered_at) - local_date(r.ordered_at)).days for r in history], float
    )
    xl = np.array([model.row(r) for r in later])
    yl = np.array(
        [(local_date(r.delivered_at) - local_date(r.ordered_at)).days for r in later], float
    )
    data = lgb.Dataset(x, y, categorical_feature=[8, 9], params={"verbose": -1})
    out = []
    for alpha in (0.8, 0.9, 0.95, 0.97, 0.99):
        params = {
            "objective": "quantile",
            "alpha": alpha,
            "learning_rate": 0.05,
            "num_leaves": 15,
            "num_threads": 1,
            "verbose": -1,
        }
        promise = np.ceil(lgb.train(params, data, num_boost_round=300).predict(xl))
        kept = yl <= promise
        out.append((float(kept.mean()), float((promise - yl)[kept].mean())))
    return out


def draw(
    path: Path,
    scored: Sequence[Scored],
    plain_curve: Sequence[tuple[float, float]],
    metrics: dict[str, float | int | None],
) -> None:
    """Four panels: stated vs observed, frontier, drift by week, error by destination state."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    purchase = calibration_curve(scored)
    live = calibration_curve(scored, live=True)
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    ax = axes[0][0]
    ax.plot([0.5, 1], [0.5, 1], color="grey", lw=1, ls="--", label="perfect calibration")
    ax.plot(
        [p.stated for p in purchase], [p.on_time_rate for p in purchase], "o-", label="at purchase"
    )
    ax.plot(
        [p.stated for p in live], [p.on_time_rate for p in live], "s-", label="live (at hand-over)"
    )
    ax.set_xlabel("stated confidence of the promise")
    ax.set_ylabel("observed on-time rate")
    ax.set_title("Calibration: stated vs observed (walk-forward)")
    ax.legend()
    ax.grid(alpha=0.3)

    ax = axes[0][1]
    ax.plot(
        [p.on_time_rate for p in purchase],
        [p.mean_slack_days for p in purchase],
        "o-",
        label="engine at purchase",
    )
    ax.plot(
        [p.on_time_rate for p in live], [p.mean_slack_days for p in live], "s-", label="engine live"
    )
    ax.plot(
        [a for a, _ in plain_curve],
        [b for _, b in plain_curve],
        "^-",
        label="plain quantile GBM (q .8-.99)",
    )
    ax.plot(
        [metrics["olist_on_time_rate"]],
        [metrics["olist_mean_slack_days"]],
        "r*",
        ms=14,
        label="Olist's promise",
    )
    ax.axvline(0.95, color="grey", lw=1, ls=":")
    ax.set_xlabel("promise on-time rate")
    ax.set_ylabel("mean slack of kept promises (days)")
    ax.set_title("Frontier: on-time rate vs slack")
    ax.legend()
    ax.grid(alpha=0.3)

    weeks: dict[date, list[Scored]] = {}
    for sc in scored:
        day = local_date(sc.record.ordered_at)
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(sc)
    keys = sorted(weeks)
    rows = []
    for k in keys:
        group = weeks[k]
        delivered = [local_date(g.record.delivered_at) for g in group]
        ours = sum(d <= g.purchase.promise for g, d in zip(group, delivered, strict=True))
        theirs = [g.record.quoted_promise for g in group]
        olist = sum(1 for t, d in zip(theirs, delivered, strict=True) if t and d <= t)
        days = [
            (d - local_date(g.record.ordered_at)).days
            for g, d in zip(group, delivered, strict=True)
        ]
        promised = [(g.purchase.promise - local_date(g.record.ordered_at)).days for g in group]
        rows.append(
            (
                k,
                len(group),
                ours / len(group),
                olist / len(group),
                statistics.mean(days),
                statistics.mean(promised),
            )
        )
    ax = axes[1][0]
    ax.plot([r[0] for r in rows], [r[2] for r in rows], "o-", label="engine promise on time")
    ax.plot([r[0] for r in rows], [r[3] for r in rows], "x--", label="Olist promise on time")
    ax.axhline(0.95, color="grey", lw=1, ls=":")
    ax.set_ylabel("on-time rate (orders placed that week)")
    ax.set_ylim(0.6, 1.0)
    twin = ax.twinx()
    twin.bar(
        [r[0] for r in rows],
        [r[4] for r in rows],
        width=5,
        alpha=0.15,
        color="k",
        label="mean delivery days",
    )
    twin.plot(
        [r[0] for r in rows], [r[5] for r in rows], "g.-", alpha=0.6, label="mean promised days"
    )
    twin.set_ylabel("days")
    ax.set_title("Drift: weekly on-time rate while delivery times move")
    lines = ax.get_legend_handles_labels()
    lines2 = twin.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="lower left", fontsize=8)
    ax.tick_params(axis="x", rotation=30)
    console.print("week, orders, engine on time, olist on time, delivery days, promised days")
    for r in rows:
        console.print(f"{r[0]}  {r[1]:4d}  {r[2]:.3f}  {r[3]:.3f}  {r[4]:.1f}  {r[5]:.1f}")

    by_state: dict[str, list[Scored]] = {}
    for sc in scored:
        by_state.setdefault(sc.record.destination_region or "?", []).append(sc)
    states = sorted(by_state, key=lambda k: -len(by_state[k]))
    stats = []
    for st in states:
        m = contract_metrics(by_state[st])
        stats.append(
            (
                st,
                m["orders"],
                m["p50_mae_days"],
                m["promise_on_time_rate"],
                m["mean_promise_slack_days"],
                m["olist_on_time_rate"],
                m["olist_mean_slack_days"],
            )
        )
    top = stats[:14]
    ax = axes[1][1]
    ax.bar([s[0] for s in top], [s[2] or 0 for s in top], color="tab:blue", alpha=0.7)
    for i, s in enumerate(top):
        ax.text(i, (s[2] or 0) + 0.2, f"{s[1]}", ha="center", fontsize=7)
    ax.set_ylabel("p50 absolute error (days)")
    ax.set_title("Error by destination state (bar label: orders)")
    ax2 = ax.twinx()
    ax2.plot([s[0] for s in top], [s[3] for s in top], "ko", ms=4, label="engine on time")
    ax2.plot([s[0] for s in top], [s[5] for s in top], "rx", ms=5, label="Olist on time")
    ax2.set_ylim(0.5, 1.02)
    ax2.set_ylabel("on-time rate")
    ax2.legend(loc="lower right", fontsize=8)
    console.print("state | orders | p50 MAE | on time | slack | olist on time | olist slack")
    for s in stats:
        console.print(" | ".join(str(round(v, 3)) if isinstance(v, float) else str(v) for v in s))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    console.print(f"figure written to {path}")


def per_second(fn: Callable[[], int], min_seconds: float = 1.0) -> float:
    """Items per second of ``fn`` (which returns how many it did), median of 3 runs."""
    rates = []
    for _ in range(3):
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < min_seconds / 3:
            done += fn()
        rates.append(done / (time.perf_counter() - start))
    return statistics.median(rates)


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--olist", type=Path, default=DEFAULT_OLIST)
    parser.add_argument("--cut", default="2018-01-01", help="train before, evaluate after")
    parser.add_argument("--end", default="2018-03-01")
    parser.add_argument("--figure", type=Path, help="write the docs/edd.md figure here")
    args = parser.parse_args()
    cut = datetime.fromisoformat(args.cut).replace(tzinfo=SAO_PAULO)
    end = datetime.fromisoformat(args.end).replace(tzinfo=SAO_PAULO)

    if args.olist.is_dir():
        source = f"Olist CSVs in {args.olist}"
        load_s, data = timed(lambda: load_olist(args.olist))
        records = data.records
    else:
        source = "simulated marketplace (no Olist directory found)"
        load_s, records = timed(lambda: make_records(SyntheticConfig(days=420, shock_day=360)))
        cut = (
            records[0].ordered_at.replace(hour=0)
            + (records[-1].ordered_at - records[0].ordered_at) * 0.8
        )
        end = records[-1].ordered_at
    history = [r for r in records if r.ordered_at < cut]
    later = [r for r in records if cut <= r.ordered_at < end]
    requests = [r.request() for r in later] or [r.request() for r in history[-1000:]]
    batch = (requests * (1000 // len(requests) + 1))[:1000]
    console.print(
        f"[bold]EDD benchmark[/] on {source}: {len(history)} orders before {cut:%Y-%m-%d}, "
        f"{len(later)} scored after; CSV load {load_s:.1f}s"
    )

    engine_train_s, engine = timed(lambda: train_from_records(history, EngineConfig(), until=cut))
    assert isinstance(engine, EddEngine)
    plain_train_s, plain = timed(lambda: PlainQuantileGBM().fit(history))
    assert isinstance(plain, PlainQuantileGBM)

    singles = iter(range(10**9))

    def engine_single() -> int:
        engine.estimate(requests[next(singles) % len(requests)])
        return 1

    def plain_single() -> int:
        plain.predict([requests[next(singles) % len(requests)]])
        return 1

    rows = [
        ("training (s)", engine_train_s, plain_train_s, False),
        ("single predictions / s", per_second(engine_single), per_second(plain_single), True),
        (
            "batched predictions / s (1,000 a call)",
            per_second(lambda: len(engine.estimate_many(batch))),
            per_second(lambda: len(plain.predict(batch))),
            True,
        ),
    ]
    eval_s, scored = timed(lambda: replay(engine, records, score_from=cut, score_until=end))
    table = Table(title="postpurchase EDD engine vs plain quantile GBM (same run, same data)")
    table.add_column("measure")
    table.add_column("EDD engine", justify="right")
    table.add_column("plain quantile GBM", justify="right")
    table.add_column("engine / plain", justify="right")
    for name, ours, theirs, higher_better in rows:
        ratio = ours / theirs if theirs else math.inf
        table.add_row(
            name,
            f"{ours:,.1f}",
            f"{theirs:,.1f}",
            f"{ratio:.2f}x" + ("" if higher_better else " (time)"),
        )
    console.print(table)

    if later:
        metrics = contract_metrics(scored)
        q = plain.predict([r.request() for r in later])
        delivered = [(local_date(r.delivered_at) - local_date(r.ordered_at)).days for r in later]
        p50 = np.round(q[:, 0])
        promise = np.ceil(q[:, 1])
        y = np.array(delivered)
        kept = y <= promise
        quality = Table(
            title=f"accuracy on the {len(later)} orders placed {cut:%Y-%m-%d}..{end:%Y-%m-%d}"
        )
        for col in ("", "p50 MAE (days)", "promise on time", "slack (days)"):
            quality.add_column(col, justify="right")
        quality.add_row(
            f"EDD engine (walk-forward replay, {eval_s:.1f}s)",
            f"{metrics['p50_mae_days']:.2f}",
            f"{metrics['promise_on_time_rate']:.3f}",
            f"{metrics['mean_promise_slack_days']:.1f}",
        )
        quality.add_row(
            "plain quantile GBM (0.95 quantile)",
            f"{np.abs(p50 - y).mean():.2f}",
            f"{kept.mean():.3f}",
            f"{(promise - y)[kept].mean():.1f}",
        )
        if metrics["olist_on_time_rate"] is not None:
            quality.add_row(
                "Olist's own promise",
                "",
                f"{metrics['olist_on_time_rate']:.3f}",
                f"{metrics['olist_mean_slack_days']:.1f}",
            )
        console.print(quality)
        if args.figure:
            plain_curve = plain_frontier(history, later)
            draw(args.figure, scored, plain_curve, metrics)


if __name__ == "__main__":
    main()

"""``postpurchase edd backtest``: the rolling monthly back-test and the on-time/slack frontier.

Trains on the orders placed before ``--since`` and lives the following months as
production would (``adapters/edd/backtest.py``), then prints one row per purchase month
beside the marketplace's own promise on the same orders, and the frontier: the on-time
rate and slack the engine would have had at each stated confidence. This is the table a
merchant reads to choose its promise confidence (``edd train --confidence``).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from postpurchase.domain.edd.types import DEFAULT_CONFIDENCE
from postpurchase.entrypoints import cli_edd
from postpurchase.entrypoints.cli_common import progress_bar
from postpurchase.entrypoints.cli_edd import (
    OlistDir,
    fail,
    load,
    parse_moment,
    report_rows,
)

CALIBRATIONS = ("censored", "delivered")  # EngineConfig.calibration (not imported: fast --help)


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def backtest(
    olist: OlistDir,
    since: Annotated[
        str, typer.Option(help="Train on orders placed before this date, score from it on.")
    ],
    until: Annotated[
        str | None, typer.Option(help="Score orders placed before this date (default: all).")
    ] = None,
    confidence: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="Confidence of the promise date.")
    ] = DEFAULT_CONFIDENCE,
    calibration: Annotated[
        str,
        typer.Option(
            help="censored (orders placed in the window, open ones censored) or "
            "delivered (orders delivered in the window, the engine before issue 16)."
        ),
    ] = "censored",
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line instead of tables.")
    ] = False,
) -> None:
    """Rolling monthly back-test: on time, slack and P50 error per month vs the marketplace."""
    import dataclasses

    from postpurchase.adapters.edd.backtest import frontier, monthly_table, run_backtest

    if calibration not in CALIBRATIONS:
        raise fail(f"--calibration must be one of {', '.join(CALIBRATIONS)}, not {calibration!r}")
    start = parse_moment(since, "--since")
    end = parse_moment(until, "--until")
    assert start is not None
    data = load(olist)
    if not any(r.ordered_at < start for r in data.records):
        raise fail(f"no delivered orders placed before {since} in {olist} to learn from")
    if not any(r.ordered_at >= start and (end is None or r.ordered_at < end) for r in data.records):
        raise fail(f"no delivered orders placed from {since} in {olist} to score")
    report_rows(data)
    config = dataclasses.replace(cli_edd.engine_config(confidence), calibration=calibration)
    with progress_bar("back-testing") as update:
        scored = run_backtest(
            data.records,
            start,
            until=end,
            config=config,
            centroids=data.centroids,
            progress=update,
        )
    rows = monthly_table(scored)
    front = frontier(scored)
    if as_json:
        for row in rows:
            typer.echo(json.dumps({"kind": "month", **row.as_dict()}))
        for live, points in ((False, front.purchase), (True, front.live)):
            for p in points:
                typer.echo(
                    json.dumps(
                        {
                            "kind": "frontier",
                            "live": live,
                            "stated": p.stated,
                            "on_time_rate": round(p.on_time_rate, 4),
                            "mean_slack_days": None
                            if p.mean_slack_days is None
                            else round(p.mean_slack_days, 2),
                            "orders": p.orders,
                        }
                    )
                )
        return
    out = Console()
    table = Table(title=f"Back-test from {since}, promise at {confidence:.1%} ({calibration})")
    for name in ("month", "orders", "P50 MAE", "on time", "slack", "live on time",
                 "live slack", "market on time", "market slack"):  # fmt: skip
        table.add_column(name, justify="left" if name == "month" else "right")
    for r in rows:
        table.add_row(
            r.month,
            str(r.orders),
            _f(r.p50_mae_days, 2),
            _f(r.promise_on_time_rate),
            _f(r.promise_slack_days, 1),
            _f(r.live_on_time_rate),
            _f(r.live_slack_days, 1),
            _f(r.market_on_time_rate),
            _f(r.market_slack_days, 1),
        )
    out.print(table)
    curve = Table(title="Frontier: stated confidence -> on time / slack (days)")
    for name in ("stated", "on time", "slack", "live on time", "live slack"):
        curve.add_column(name, justify="right")
    live_points = {p.stated: p for p in front.live}
    for p in front.purchase:
        lp = live_points.get(p.stated)
        curve.add_row(
            f"{p.stated:.2f}",
            _f(p.on_time_rate),
            _f(p.mean_slack_days, 1),
            _f(lp.on_time_rate if lp else None),
            _f(lp.mean_slack_days if lp else None, 1),
        )
    market = front.market
    curve.add_row("market", _f(market.market_on_time_rate), _f(market.market_slack_days, 1), "", "")
    out.print(curve)

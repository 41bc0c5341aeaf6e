"""``postpurchase kpis``: delivery-experience KPIs, today from Olist-format data.

``kpis olist DIR`` reads the orders, customers and reviews CSVs (plain or ``.csv.gz``) and
shows whether on-time deliveries are rated better and bring customers back: a table, or
with ``--json`` exactly one JSON object on stdout (rates as fractions 0–1, ``null`` where
there is nothing to measure). Progress and notes about skipped rows go to stderr; a file
that cannot be used exits 2 with one line. Definitions: docs/kpis.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from postpurchase.adapters.kpis import OlistKpiInputError, read_olist
from postpurchase.domain.kpis import summarise
from postpurchase.entrypoints.cli_common import progress_bar

app = typer.Typer(
    help="Delivery-experience KPIs: on-time rate, click-to-door, reviews, repeat purchase.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """One line on stderr, exit code 2: the contract for bad input."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    return typer.Exit(code=2)


def _number(value: Any, *, percent: bool = False, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if percent:
        return f"{value:.1%}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}f}"


def _interval(value: list[float] | None, *, percent: bool = False) -> str:
    if value is None:
        return ""
    low, high = value
    return f"{low:.1%} – {high:.1%}" if percent else f"{low:.2f} – {high:.2f}"


def table(figures: dict[str, Any], source: str) -> Table:
    """The figures a person reads first, on time next to late, with the counts behind them."""
    grid = Table(title=f"Delivery KPIs: {source}", title_justify="left")
    grid.add_column("KPI", no_wrap=True)
    grid.add_column("value", justify="right")
    grid.add_column("95% interval", justify="right")
    grid.add_column("based on", justify="right")
    f = figures
    rows: list[tuple[str, str, str, str]] = [
        ("delivered orders", _number(f["delivered_orders"]), "", f"{f['orders']:,} orders"),
        (
            "on-time rate",
            _number(f["on_time_rate"], percent=True),
            _interval(f["on_time_rate_ci95"], percent=True),
            f"{f['on_time_orders']:,} on time, {f['late_orders']:,} late",
        ),
        ("click-to-door P50 (days)", _number(f["median_click_to_door_days"]), "", ""),
        ("click-to-door P90 (days)", _number(f["p90_click_to_door_days"]), "", ""),
        (
            "review score, on time",
            _number(f["review_score_on_time"]),
            _interval(f["review_score_on_time_ci95"]),
            f"{f['reviewed_on_time_orders']:,} reviewed",
        ),
        (
            "review score, late",
            _number(f["review_score_late"]),
            _interval(f["review_score_late_ci95"]),
            f"{f['reviewed_late_orders']:,} reviewed",
        ),
        *(
            (
                f"  of which {band['days_late']} days late",
                _number(band["review_score"]),
                "",
                f"{band['reviewed_orders']:,} reviewed",
            )
            for band in f["review_score_by_days_late"][1:]
        ),
        (
            "repeat in 90 days, on time",
            _number(f["repeat_purchase_rate_90d_on_time"], percent=True),
            _interval(f["repeat_purchase_rate_90d_on_time_ci95"], percent=True),
            f"{f['repeat_customers_on_time']:,} of {f['repeat_cohort_on_time']:,} customers",
        ),
        (
            "repeat in 90 days, late",
            _number(f["repeat_purchase_rate_90d_late"], percent=True),
            _interval(f["repeat_purchase_rate_90d_late_ci95"], percent=True),
            f"{f['repeat_customers_late']:,} of {f['repeat_cohort_late']:,} customers",
        ),
    ]
    for row in rows:
        grid.add_row(*row)
    grid.caption = (
        f"purchases {(f['first_purchase'] or '')[:10]} to {(f['last_purchase'] or '')[:10]}; "
        f"{f['repeat_left_out_too_recent']:,} customers too recent for the 90-day window"
    )
    return grid


@app.command("olist")
def olist(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Directory with olist_orders_dataset, olist_customers_dataset and "
            "olist_order_reviews_dataset (.csv or .csv.gz).",
            show_default=False,
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
    chart: Annotated[
        Path | None,
        typer.Option(
            help="Also draw the on-time vs late bar chart (review score, repeat rate) as PNG.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """On-time rate, click-to-door, review score and 90-day repeat purchase, on time vs late."""
    try:
        with progress_bar("reading", in_bytes=True) as update:
            data = read_olist(directory, progress=update)
    except OlistKpiInputError as exc:
        raise fail(str(exc)) from None
    if not data.orders:
        raise fail(f"no orders in {directory}")
    for line in data.report.notes():
        typer.echo(f"olist: {line}", err=True)
    figures = summarise(data.orders).as_dict()
    figures["skipped_rows"] = data.report.skipped_total
    figures["orders_without_customer"] = data.report.orders_without_customer
    if chart is not None:
        from postpurchase.adapters.kpis.chart import write_chart

        try:
            write_chart(figures, chart, title=f"On time vs late: {directory.resolve().name}")
        except OSError as exc:
            raise fail(f"cannot write {chart}: {exc.strerror or exc}") from None
    if as_json:
        typer.echo(json.dumps(figures, allow_nan=False))
    else:
        Console().print(table(figures, str(directory)))


if __name__ == "__main__":
    app()

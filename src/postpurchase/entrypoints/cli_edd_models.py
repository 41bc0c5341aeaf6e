"""``postpurchase edd train SLUG``, ``edd models SLUG`` and ``edd activate SLUG``: a
merchant's own models in the registry (its database), the one the tracking page, the API,
messages and the worker serve at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from postpurchase.domain.edd.types import DEFAULT_CONFIDENCE
from postpurchase.entrypoints.cli_edd import engine_config, fail, note

if TYPE_CHECKING:
    from postpurchase.adapters.edd.merchant_models import Progress as TrainProgress
    from postpurchase.bootstrap import Platform

out = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
]
Slug = Annotated[str, typer.Argument(help="Merchant slug.")]

SHOWN = (
    ("orders", "orders back-tested", "{:.0f}"),
    ("promise_on_time_rate", "promise on time", "{:.1%}"),
    ("mean_promise_slack_days", "mean slack (days)", "{:.1f}"),
    ("p50_mae_days", "P50 error (days)", "{:.2f}"),
    ("live_on_time_rate", "live on time", "{:.1%}"),
)


def _fmt(value: Any, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)


def _merchant(platform: Platform, slug: str) -> str:
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        raise fail(f"no merchant with slug {slug!r}")
    return str(merchant.id)


def _platform(data_dir: Path | None) -> Platform:
    from postpurchase.entrypoints.cli import _platform as build

    platform: Platform = build(data_dir)
    return platform


@contextmanager
def _bar() -> Iterator[TrainProgress]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def train_slug(
    slug: str, *, confidence: float | None, force: bool, holdout_days: int, data_dir: Path | None
) -> None:
    from postpurchase.adapters.edd.merchant_models import ModelRefused, train_merchant

    platform = _platform(data_dir)
    merchant_id = _merchant(platform, slug)
    try:
        with _bar() as update:
            outcome = train_merchant(
                platform.engine,
                merchant_id,
                now=platform.clock.now(),
                config=engine_config(DEFAULT_CONFIDENCE if confidence is None else confidence),
                confidence=confidence,  # None: the merchant's setting
                holdout_days=holdout_days,
                force=force,
                progress=update,
            )
    except ModelRefused as exc:
        raise fail(f"{slug}: {exc}") from None
    table = Table(title=f"back-test on orders placed in the last {holdout_days} days")
    table.add_column("")
    table.add_column(f"new: v{outcome.version}", justify="right")
    old = outcome.compared_with
    if old is not None:
        table.add_column(
            f"active: v{outcome.active_version} ({outcome.compared_on})", justify="right"
        )
    for key, label, pattern in SHOWN:
        row = [label, _fmt(outcome.metrics.get(key), pattern)]
        if old is not None:
            row.append(_fmt(old.get(key), pattern))
        table.add_row(*row)
    out.print(table)
    state = "active now" if outcome.activated else "registered, not activated"
    note(
        f"{slug}: model v{outcome.version} ({outcome.model_version}) trained on "
        f"{outcome.shipments} delivered shipments in {sum(outcome.seconds.values()):.1f}s: "
        f"{state}; {outcome.reason}"
    )


def models(
    slug: Slug,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array on stdout.")] = False,
) -> None:
    """List the merchant's models, newest first, with their back-test and which is active."""
    from postpurchase.adapters.db import edd_registry

    platform = _platform(data_dir)
    merchant_id = _merchant(platform, slug)
    with platform.engine.connect() as conn:
        rows = edd_registry.list_models(conn, merchant_id)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in rows]))
        return
    if not rows:
        note(f"{slug}: no models yet; the rules layer answers (train one: edd train {slug})")
        return
    table = Table(title=f"{slug}: delivery-date models")
    for col in ("version", "active", "created", "trained until", "shipments", "source"):
        table.add_column(col)
    for _, label, _ in SHOWN[1:4]:
        table.add_column(label, justify="right")
    for r in rows:
        table.add_row(
            str(r.version),
            "*" if r.active else "",
            f"{r.created_at:%Y-%m-%d %H:%M}",
            f"{r.trained_until:%Y-%m-%d}" if r.trained_until else "—",
            str(r.shipments),
            r.source,
            *(_fmt(r.metrics.get(k), p) for k, _, p in SHOWN[1:4]),
        )
    out.print(table)
    if not any(r.active for r in rows):
        note("no model active: the rules layer answers")


def activate(
    slug: Slug,
    version: Annotated[
        int | None, typer.Argument(help="Registry version to serve.", show_default=False)
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="Register this model file (from edd train --olist) and serve it."
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Serve VERSION (or a model FILE) for the merchant from now on, in every process."""
    from postpurchase.adapters.edd.merchant_models import (
        ModelRefused,
        activate_version,
        register_file,
    )

    if (version is None) == (file is None):
        raise fail("give a VERSION or --file FILE")
    platform = _platform(data_dir)
    merchant_id = _merchant(platform, slug)
    now = platform.clock.now()
    try:
        if file is not None:
            row = register_file(platform.engine, merchant_id, file, now=now)
        else:
            assert version is not None
            row = activate_version(platform.engine, merchant_id, version, now=now)
    except ModelRefused as exc:
        raise fail(f"refused: {exc}; the active model is unchanged") from None
    except LookupError as exc:
        raise fail(f"{slug}: {exc}") from None
    note(f"{slug}: model v{row.version} ({row.model_version}) is active")


def register(app: typer.Typer) -> None:
    app.command("models")(models)
    app.command("activate")(activate)

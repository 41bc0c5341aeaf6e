"""``postpurchase edd``: train the delivery-date engine and evaluate it on real orders.

``train`` replays Olist-format history into a model artefact; ``evaluate`` continues the
same walk-forward over a later period and prints one JSON line (the contract in issue 5).
Progress goes to stderr so that stdout stays machine-readable; bad input exits with code 2
and one line on stderr.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from postpurchase.domain.edd.types import DEFAULT_CONFIDENCE
from postpurchase.entrypoints.cli_common import progress_bar

# The package __init__ of adapters.edd loads the model stack, so even constants are not
# imported from it here: `postpurchase --help` and every other command stay fast.
SAO_PAULO = ZoneInfo("America/Sao_Paulo")

if TYPE_CHECKING:  # the model stack (LightGBM, scikit-learn) loads only when a command runs
    from postpurchase.adapters.edd.engine import EngineConfig
    from postpurchase.adapters.edd.olist import OlistData

app = typer.Typer(
    help="Estimated delivery dates: train on delivered orders, evaluate on a later period.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)

OlistDir = Annotated[
    Path, typer.Option("--olist", help="Directory of Olist-format CSVs (plain or .csv.gz).")
]
ModelPath = Annotated[Path, typer.Option("--model", help="Model artefact file.")]


def fail(message: str) -> typer.Exit:
    """One line on stderr, exit code 2: the contract for bad input."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    return typer.Exit(code=2)


def note(message: str) -> None:
    typer.echo(message, err=True)


def parse_moment(value: str | None, option: str) -> datetime | None:
    """A date or date-time in São Paulo time (where Olist's clocks are)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None
    return parsed.replace(tzinfo=SAO_PAULO) if parsed.tzinfo is None else parsed


def engine_config(confidence: float) -> EngineConfig:
    """The training configuration; a seam tests use to train small, fast models."""
    from postpurchase.adapters.edd.engine import EngineConfig

    return EngineConfig(confidence=confidence)


def load(olist: Path) -> OlistData:
    from postpurchase.adapters.edd.olist import OlistInputError, load_olist

    try:
        return load_olist(olist)
    except OlistInputError as exc:
        raise fail(str(exc)) from None


def report_rows(data: OlistData) -> None:
    """Say which rows were skipped and why (after input checks, so errors stay one line)."""
    report = data.report
    if report.skipped_total or report.missing_files:
        note(f"olist: {report.summary()}")
        for example in report.examples:
            note(f"  skipped {example}")


@app.command()
def train(
    slug: Annotated[
        str | None,
        typer.Argument(
            help="Merchant slug: train on its own delivered shipments and register the model.",
            show_default=False,
        ),
    ] = None,
    olist: Annotated[
        Path | None,
        typer.Option("--olist", help="Directory of Olist-format CSVs (plain or .csv.gz)."),
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Model artefact file to write (with --olist).")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Learn only from what was known before this date (YYYY-MM-DD)."),
    ] = None,
    confidence: Annotated[
        float | None,
        typer.Option(
            min=0.5,
            max=0.999,
            help="Confidence of the promise date in the back-test. Default: the merchant's "
            "promise confidence (`merchant checkout SLUG --promise-confidence`), or "
            f"{DEFAULT_CONFIDENCE} with --olist.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Activate the new model even if it does not win.")
    ] = False,
    holdout_days: Annotated[
        int, typer.Option(min=1, max=365, help="Back-test on orders placed in the last N days.")
    ] = 30,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
    ] = None,
) -> None:
    """Train the engine: on merchant SLUG's delivered shipments (registered, activated when
    its back-test beats the active model), or on the Olist CSVs in --olist into --model."""
    if slug is not None:
        if olist is not None or model is not None:
            raise fail("give either SLUG or --olist/--model, not both")
        from postpurchase.entrypoints.cli_edd_models import train_slug

        train_slug(slug, confidence=confidence, force=force, holdout_days=holdout_days,
                   data_dir=data_dir)  # fmt: skip
        return
    if olist is None or model is None:
        raise fail("give a merchant SLUG, or --olist DIR and --model FILE")
    from postpurchase.adapters.edd.artefact import save_engine
    from postpurchase.adapters.edd.replay import train_from_records

    cut = parse_moment(until, "--until")
    data = load(olist)
    records = [r for r in data.records if cut is None or r.ordered_at < cut]
    if not records:
        raise fail(f"no delivered orders to learn from in {olist}")
    report_rows(data)
    started = time.perf_counter()
    with progress_bar("training") as update:
        engine = train_from_records(
            records,
            engine_config(DEFAULT_CONFIDENCE if confidence is None else confidence),
            until=cut,
            centroids=data.centroids,
            progress=update,
        )
    try:
        version = save_engine(engine, model)
    except OSError as exc:
        raise fail(f"cannot write {model}: {exc.strerror or exc}") from None
    delivered = sum(1 for s in engine.orders.values() if s.outcome is not None)
    layer = "learned" if engine.purchase.fitted else "rules only (too little history)"
    note(
        f"trained {version} on {delivered} delivered orders in "
        f"{time.perf_counter() - started:.1f}s: {layer}"
    )
    typer.echo(json.dumps({"model": str(model), "model_version": version, "orders": delivered}))


@app.command()
def evaluate(
    olist: OlistDir,
    model: ModelPath,
    since: Annotated[
        str | None,
        typer.Option(help="Score orders placed from this date (default: the model's cut-off)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Score orders placed before this date (default: all).")
    ] = None,
) -> None:
    """Replay the later orders in OLIST as production would and print one JSON line of scores."""
    from postpurchase.adapters.edd.artefact import ArtefactError, load_engine
    from postpurchase.adapters.edd.evaluation import CONTRACT_FIELDS, contract_metrics
    from postpurchase.adapters.edd.replay import replay

    start = parse_moment(since, "--since")
    end = parse_moment(until, "--until")
    try:
        engine, _ = load_engine(model)
    except ArtefactError as exc:
        raise fail(str(exc)) from None
    start = start or engine.trained_until
    data = load(olist)
    if data.centroids is not None:  # finer distances when the directory ships geolocation
        engine.centroids = data.centroids
    window = [
        r
        for r in data.records
        if (start is None or r.ordered_at >= start) and (end is None or r.ordered_at < end)
    ]
    if not window:
        since_text = f"from {start:%Y-%m-%d %H:%M}" if start else "at all"
        raise fail(f"no delivered orders placed {since_text} in {olist} to evaluate")
    with progress_bar("replaying") as update:
        scored = replay(engine, data.records, score_from=start, score_until=end, progress=update)
    if not scored:  # every order in the window was already part of the model's training
        raise fail(f"the orders placed after {start} in {olist} were already used for training")
    report_rows(data)
    metrics = contract_metrics(scored)
    typer.echo(json.dumps({k: metrics[k] for k in CONTRACT_FIELDS}))


from postpurchase.entrypoints import cli_edd_models  # noqa: E402  (registers models, activate)

cli_edd_models.register(app)

if __name__ == "__main__":
    app()

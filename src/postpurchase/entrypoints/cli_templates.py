"""``postpurchase templates list|show|set|preview|reset|split SLUG ...``: a merchant's own
message templates from the shell (the same checks, versions and audit as the API;
docs/templates.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from postpurchase.domain.errors import DomainError

app = typer.Typer(
    help="Message templates per flow, channel and locale (docs/templates.md).",
    no_args_is_help=True,
)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
]
Locale = Annotated[str, typer.Option("--locale", help="en, es, pt-BR, fr or de.")]


def _fail(message: str) -> None:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(2)


def _merchant(data_dir: Path | None, slug: str) -> tuple[Any, str]:
    from postpurchase.entrypoints.cli import _platform

    platform = _platform(data_dir)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        _fail(f"no merchant with slug {slug!r}")
    return platform, merchant.id


def _run(call: Any) -> Any:
    try:
        return call()
    except DomainError as exc:
        _fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)


def _renderer() -> Any:
    from postpurchase.adapters.notifications.rendering import JinjaRenderer

    return JinjaRenderer()


@app.command("list")
def list_(slug: str, data_dir: DataDir = None) -> None:
    """Every flow and channel with its current version (0: built-in) and split."""
    from postpurchase.service_layer.templates import overview

    platform, merchant_id = _merchant(data_dir, slug)
    for row in _run(lambda: overview(platform.uow(), merchant_id)):
        split = row.split.as_dict() if row.split else None
        out = {"flow": row.flow, "channel": row.channel, "current_version": row.current_version}
        typer.echo(json.dumps({**out, "split": split}))


@app.command("show")
def show(slug: str, flow: str, channel: str, data_dir: DataDir = None) -> None:
    """Every version (newest first) with its sources."""
    from postpurchase.service_layer.templates import history

    platform, merchant_id = _merchant(data_dir, slug)
    versions, split = _run(lambda: history(platform.uow(), merchant_id, flow, channel))
    for v in versions:
        typer.echo(json.dumps({"version": v.version, "note": v.note, "created_by": v.created_by,
                               "locales": {k: t.as_dict() for k, t in v.locales.items()}},
                              ensure_ascii=False))  # fmt: skip
    if split:
        typer.echo(json.dumps({"split": split.as_dict()}))


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"{path}: {exc.strerror}")
    return None


@app.command("set")
def set_(
    slug: str,
    flow: str,
    channel: str,
    locale: Locale = "en",
    subject: Annotated[str | None, typer.Option("--subject", help="The subject line.")] = None,
    text: Annotated[Path | None, typer.Option("--text", help="File with the text body.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="File with the HTML body.")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    data_dir: DataDir = None,
) -> None:
    """Save a new version with this locale's sources (checked on sample data first)."""
    from postpurchase.service_layer.templates import save_version

    parts = {"subject": subject, "text": _read(text), "html": _read(html)}
    parts = {k: v for k, v in parts.items() if v is not None}
    platform, merchant_id = _merchant(data_dir, slug)
    version = _run(
        lambda: save_version(
            platform.uow(), _renderer(), merchant_id, flow, channel, {locale: parts}, "cli",
            note=note,
        )
    )  # fmt: skip
    typer.echo(f"saved version {version.version}")


@app.command("preview")
def preview(
    slug: str,
    flow: str,
    channel: str,
    locale: Locale = "en",
    version: Annotated[int | None, typer.Option("--version", help="Default: current.")] = None,
    data_dir: DataDir = None,
) -> None:
    """The message on sample data: subject, then the text body."""
    from postpurchase.service_layer.templates import preview as run_preview

    platform, merchant_id = _merchant(data_dir, slug)
    shown, rendered = _run(
        lambda: run_preview(
            platform.uow(), _renderer(), merchant_id, flow, channel, locale, version=version
        )
    )
    typer.echo(f"version {shown}: {rendered.subject}\n\n{rendered.text}")


@app.command("reset")
def reset(slug: str, flow: str, channel: str, data_dir: DataDir = None) -> None:
    """Back to the built-in template (a new version; history is kept)."""
    from postpurchase.service_layer.templates import reset as run_reset

    platform, merchant_id = _merchant(data_dir, slug)
    version = _run(lambda: run_reset(platform.uow(), merchant_id, flow, channel, "cli"))
    typer.echo(f"saved version {version.version} (built-in)")


@app.command("split")
def split(
    slug: str,
    flow: str,
    channel: str,
    holdout: Annotated[int, typer.Option("--holdout", help="Percent of orders held out.")] = 0,
    variant: Annotated[
        list[str] | None, typer.Option("--variant", help="VERSION:WEIGHT, e.g. 0:50 (repeat).")
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="Remove the split.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Hold out a share of orders and/or split them between versions."""
    from postpurchase.domain.templates import Split
    from postpurchase.service_layer.templates import set_split

    platform, merchant_id = _merchant(data_dir, slug)

    def build() -> Split | None:
        if off:
            return None
        variants: dict[int, int] = {}
        for item in variant or []:
            number, _, weight = item.partition(":")
            if not (number.isdigit() and weight.isdigit()):
                _fail(f"--variant {item!r}: expected VERSION:WEIGHT")
            variants[int(number)] = int(weight)
        return Split(holdout, variants)

    done = _run(lambda: set_split(platform.uow(), merchant_id, flow, channel, build(), "cli"))
    typer.echo(json.dumps(done.as_dict() if done else None))
